// Movement declarations through the public route (issue 16 asks 1,000 a second on this machine,
// signing included): a real `checkpoint-server` process (built dist), CLIENTS concurrent clients
// each posting valid declarations (distinct personal IDs, a plate and a ward: the largest pass,
// QR version 7) to POST /api/v1/public/declarations, one after another, over keep-alive
// connections; the server's rate limits raised by its flags. On SQLite (a fresh data directory)
// and on PostgreSQL (a fresh database). Reports declarations a second, latency p50/p99, the
// server's CPU per declaration (/proc/<pid>/stat), PostgreSQL's CPU per declaration (every
// `postgres` process of the machine), and the QR version and modules of the passes.
// Not a test. Needs, for `pg`, a PostgreSQL where it may create and drop databases (default: user
// postgres on 127.0.0.1:5432; CHECKPOINT_TEST_PG_URL names another).
// Run (after `npx tsc -b`): npx tsx bench/declarations.ts
//   env: CLIENTS 64, COUNT 20000 per mode (after WARMUP 1000), MODES sqlite,pg,
//        SERVER_CPU_PROF dir (the server writes a V8 CPU profile there when it stops),
//        CHECKPOINT_SERVER_JS (the build to run)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import QRCode from 'qrcode';
import { machine, stats } from './server-bench-support.js';

const CLIENTS = Number(process.env.CLIENTS ?? 64);
const COUNT = Number(process.env.COUNT ?? 20_000);
const WARMUP = Number(process.env.WARMUP ?? 1_000);
const MODES = (process.env.MODES ?? 'sqlite,pg').split(',');
const ADMIN = 'bench-admin-token-0123456789abcdef';
const ADMIN_URL = process.env.CHECKPOINT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SERVER_JS =
  process.env.CHECKPOINT_SERVER_JS ??
  fileURLToPath(new URL('../sync-server/dist/cli/checkpoint-server.js', import.meta.url));
const TICK = 100; // clock ticks per second (/proc/<pid>/stat)

interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A checkpoint-server process on `--database url` or `--data dir`, declaration limits raised. */
async function startServer(where: { database: string } | { data: string }): Promise<Server> {
  const prof = process.env.SERVER_CPU_PROF;
  const child = spawn(
    process.execPath,
    [
      ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
      SERVER_JS,
      '--port',
      '0',
      ...('database' in where ? ['--database', where.database] : ['--data', where.data]),
      '--log-level',
      'warn',
      '--declare-rate-limit',
      '1000000',
      '--declare-id-limit',
      '1000',
    ],
    { env: { ...process.env, CHECKPOINT_ADMIN_TOKEN: ADMIN }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m?.[1]) resolve(m[1]);
      else if (line.startsWith('{')) console.log(`  [server log] ${line.slice(0, 300)}`);
    });
    child.once('exit', (code) => {
      reject(new Error(`server exited ${String(code)}`));
    });
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU seconds (user + system) of a process so far. */
function cpuOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / TICK;
  } catch {
    return 0;
  }
}

/** CPU seconds of every `postgres` process on this machine (other databases' too). */
function allPostgresCpu(): number {
  let sum = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres') sum += cpuOf(Number(d));
    } catch {
      // gone
    }
  }
  return sum;
}

/** A fresh database; its URL and how to drop it. */
async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `cl_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Vietnam's date today, `YYYY-MM-DD`. */
const today = (): string => new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);

let serial = 0;
/** A valid declaration under a personal ID no other has (province 001, male, born 1999). */
function declaration(): unknown {
  const n = serial++;
  return {
    personalId: `001099${String(n % 1_000_000).padStart(6, '0')}`,
    fullName: 'Nguyễn Văn An',
    phone: '0901 234 567',
    from: { province: 79, district: 760, ward: 26734 },
    to: { province: 1, district: 1, ward: 4 },
    plate: '51F-123.45',
    purpose: 'Công tác',
    travelDate: today(),
  };
}

/** The QR version and modules of a pass text as the server draws it (one alphanumeric segment, level M). */
function passQrSize(text: string): { version: number; modules: number } {
  const qr = QRCode.create([{ data: text, mode: 'alphanumeric' }], { errorCorrectionLevel: 'M' });
  return { version: qr.version, modules: qr.modules.size };
}

interface Answer {
  passId: string | null;
  qr: string | null;
}

/** Posts `total` declarations from CLIENTS clients, each waiting for its answer; latencies (ms). */
async function run(url: string, total: number): Promise<{ ms: number[]; wall: number; last: Answer | null }> {
  const ms: number[] = [];
  let left = total;
  let last: Answer | null = null;
  const t0 = performance.now();
  const client = async () => {
    while (left > 0) {
      left--;
      const s = performance.now();
      const res = await fetch(`${url}/api/v1/public/declarations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(declaration()),
      });
      const text = await res.text();
      ms.push(performance.now() - s);
      if (res.status !== 201)
        throw new Error(`declaration answered ${String(res.status)}: ${text.slice(0, 300)}`);
      last = JSON.parse(text) as Answer;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return { ms, wall: (performance.now() - t0) / 1000, last };
}

console.log(`# declarations through the public route — ${machine()}`);
console.log(
  `clients ${String(CLIENTS)}, ${String(COUNT)} declarations per mode after ${String(WARMUP)} warm-up`,
);
for (const mode of MODES) {
  let drop: (() => Promise<void>) | null = null;
  let dir: string | null = null;
  let where: { database: string } | { data: string };
  if (mode === 'pg') {
    const db = await freshDatabase();
    drop = () => db.drop();
    where = { database: db.url };
  } else if (mode === 'sqlite') {
    dir = mkdtempSync(join(tmpdir(), 'cl-bench-declare-'));
    where = { data: dir };
  } else throw new Error(`MODES: sqlite or pg, not ${mode}`);
  const server = await startServer(where);
  try {
    await run(server.url, WARMUP);
    const pid = server.child.pid ?? 0;
    const cpu0 = cpuOf(pid);
    const pg0 = mode === 'pg' ? allPostgresCpu() : 0;
    const load0 = loadavg()[0] ?? 0;
    const r = await run(server.url, COUNT);
    const cpu = cpuOf(pid) - cpu0;
    const pgCpu = mode === 'pg' ? allPostgresCpu() - pg0 : 0;
    const s = stats(r.ms);
    const qr = r.last?.qr ? passQrSize(r.last.qr) : null;
    console.log(
      `${mode}: ${(COUNT / r.wall).toFixed(0)} declarations/s (${String(COUNT)} in ${r.wall.toFixed(2)} s); ` +
        `latency p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms; ` +
        `server CPU ${((cpu / COUNT) * 1e6).toFixed(0)} µs/declaration (${(cpu / r.wall).toFixed(2)} cores)` +
        (mode === 'pg' ? `; postgres CPU ${((pgCpu / COUNT) * 1e6).toFixed(0)} µs/declaration` : '') +
        `; QR version ${String(qr?.version)} (${String(qr?.modules)} modules), pass ${String(r.last?.qr?.length)} chars; ` +
        `load before ${load0.toFixed(2)}`,
    );
  } finally {
    await server.stop();
    if (drop) await drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
