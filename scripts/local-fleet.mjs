// `npm run fleet`: a local fleet to try fleet mode on one machine. Makes sure PostgreSQL answers
// on 127.0.0.1:5432 (scripts/start-postgres.sh when it does not), creates the database
// `checkpoint_fleet` if missing, builds, starts three checkpoint-server processes on it (ports
// 8081-8083, one admin token: CHECKPOINT_ADMIN_TOKEN or one generated for this run), waits until
// each answers GET /health, prints the URLs and the lane command, and stops them all on Ctrl-C.
// The database is kept between runs. Once all three are up, a server that stops (kill one to try
// failover) is reported and the others keep running; the script ends when none is left.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

const root = new URL('..', import.meta.url).pathname;
const serverCli = `${root}sync-server/dist/cli/checkpoint-server.js`;
const DATABASE = 'checkpoint_fleet';
const databaseUrl = `postgres://postgres@127.0.0.1:5432/${DATABASE}`;
const ports = [8081, 8082, 8083];
const urls = ports.map((p) => `http://127.0.0.1:${p}`);
const logLevel = process.env.CHECKPOINT_LOG_LEVEL ?? 'warn';

/** @param {string} line */
function say(line) {
  process.stdout.write(`[fleet] ${line}\n`);
}

/** @param {string} line */
function die(line) {
  process.stderr.write(`[fleet] ${line}\n`);
  process.exit(1);
}

/**
 * psql as postgres over TCP (no password prompt); null when psql is missing or cannot connect.
 * @param {string} sql
 * @returns {string | null}
 */
function psql(sql) {
  const r = spawnSync(
    'psql',
    ['-h', '127.0.0.1', '-p', '5432', '-U', 'postgres', '-d', 'postgres', '-w', '-Atqc', sql],
    {
      encoding: 'utf8',
    },
  );
  return r.status === 0 ? r.stdout.trim() : null;
}

// 1. PostgreSQL: start-postgres.sh only when it does not answer already (it may install and use sudo).
if (psql('SELECT 1') !== '1') {
  say('PostgreSQL does not answer on 127.0.0.1:5432 as postgres: running scripts/start-postgres.sh');
  const started = spawnSync('bash', [`${root}scripts/start-postgres.sh`], { stdio: 'inherit' });
  if (started.status !== 0 || psql('SELECT 1') !== '1')
    die('PostgreSQL is not reachable on 127.0.0.1:5432 as postgres; see the lines above');
}
if (psql(`SELECT 1 FROM pg_database WHERE datname = '${DATABASE}'`) !== '1') {
  if (psql(`CREATE DATABASE ${DATABASE}`) === null) die(`could not create the database ${DATABASE}`);
  say(`created the database ${DATABASE}`);
}

// 2. Build: incremental, as `npm start` does (dist may exist but be stale after a pull).
say('building (npm run build)…');
const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) die('the build failed; run `npm ci` first');

// 3. The ports must be free: the lane command below names them.
/** @param {number} port @returns {Promise<boolean>} */
function portFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
for (const port of ports)
  if (!(await portFree(port))) die(`port ${port} is in use (another fleet or server?); stop it first`);

const fromEnv = process.env.CHECKPOINT_ADMIN_TOKEN;
const token = fromEnv !== undefined && fromEnv !== '' ? fromEnv : randomBytes(24).toString('base64url');

// 4. Three servers on one database, their output prefixed with their port.
/** @type {import('node:child_process').ChildProcess[]} */
const children = [];
let ready = false;
let stopping = false;

function stopAll() {
  if (stopping) return;
  stopping = true;
  say('stopping the servers…');
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
process.on('SIGHUP', stopAll);

function finishIfNoneLeft() {
  if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) {
    say('all servers stopped');
    process.exit(ready && stopping ? 0 : 1);
  }
}

for (const port of ports) {
  const child = spawn(
    process.execPath,
    [serverCli, '--database', databaseUrl, '--port', String(port), '--log-level', logLevel],
    {
      env: { ...process.env, CHECKPOINT_ADMIN_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Their own process group: Ctrl-C reaches this script only, which sends each one SIGTERM
      // once (a server takes a second signal as "exit now", skipping its orderly close).
      detached: true,
    },
  );
  children.push(child);
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue;
    createInterface({ input: stream }).on('line', (line) => {
      process.stdout.write(`[${port}] ${line}\n`);
    });
  }
  child.on('exit', (code, signal) => {
    say(`server on port ${port} stopped (${signal ?? `exit ${code}`})`);
    if (!ready) stopAll();
    else if (!stopping) say('the other servers keep running (Ctrl-C stops them)');
    finishIfNoneLeft();
  });
}

/** @param {string} url @returns {Promise<boolean>} */
async function healthy(url) {
  try {
    const res = await fetch(`${url}/health`, { signal: globalThis.AbortSignal.timeout(1000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

// The first start migrates the schema (the others wait on its lock): allow 60 s.
const deadline = Date.now() + 60_000;
for (const url of urls) {
  while (!(await healthy(url))) {
    if (stopping) break;
    if (Date.now() > deadline) {
      say(`${url}/health did not answer 200 within 60 s`);
      stopAll();
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
if (!stopping) {
  ready = true;
  const tokenNote =
    fromEnv !== undefined && fromEnv !== '' ? 'from CHECKPOINT_ADMIN_TOKEN' : 'generated for this run';
  say(`fleet of ${ports.length} servers on ${databaseUrl}:`);
  for (const url of urls) say(`  ${url}   (GET /health answers 200)`);
  say(`admin console: ${urls[0]}/admin/ (any of the three)`);
  say(`admin token (${tokenNote}): ${token}`);
  say('a checkpoint and a one-time enrollment code (on any server):');
  say(
    `  npx checkpoint-admin --server ${urls[0]} --token ${token} checkpoints add --id HCM-01 --name "Chốt Q1" --mode open`,
  );
  say(`  npx checkpoint-admin --server ${urls[1]} --token ${token} enroll HCM-01`);
  say('a lane listing all three (fails over when one stops):');
  say(
    `  npx checkpoint-lane --server ${urls.join(',')} --enroll CODE --data .data/fleet-lane --scanner stdin --key-store file --insecure-key-file`,
  );
  say(
    'Ctrl-C stops all three; the database is kept (dropdb -h 127.0.0.1 -U postgres checkpoint_fleet to start over)',
  );
}
