// Fleet mode end to end over HTTP (issue 14): real `checkpoint-server` processes (built dist) on one
// fresh PostgreSQL database, lanes enrolled through the HTTP API, each lane uploading batches of
// 1,000 records (POST /api/v1/kiosk/scans) spread over the servers, several batches in flight per
// lane. In one run, for comparison: 3 servers on PostgreSQL, 1 server on PostgreSQL (a database
// set up the same way), 1 server on SQLite. Then, on the 3-server fleet: a 1M-row health import
// through one server's HTTP import while the lanes upload again, and a snapshot bootstrap: LANES_BOOT
// lanes download the 1M-entry health snapshot through its versioned immutable URL, spread over the
// 3 servers (the cache is shared in PostgreSQL; builds counted from the database's statistics).
// CPU: each server process and the database's backends (/proc/<pid>/stat) over each pass.
// Not a test. Needs a PostgreSQL where it may create and drop databases (default: user postgres on
// 127.0.0.1:5432; CHECKPOINT_TEST_PG_URL names another).
// Run (after `npx tsc -b`): npx tsx bench/fleet-http.ts
//   env: LANES 50, BATCHES 20 per lane, SIZE 500 records per batch, INFLIGHT 1 per lane (as a lane
//        uploads), CHECKPOINTS 10 (lanes spread over them), MODES pg3,pg1,sqlite,
//        POOL (each server's --database-pool-size; default the server's), CHECKPOINT_SERVER_JS (the build to run), IMPORT 1 (0: skip the import and the bootstrap), IMPORT_ROWS 1000000, LANES_BOOT 100,
//        SEAL lane|fresh|key (how scans carry their subject; see SEAL below),
//        PG fleet (a throwaway cluster with docs/fleet.md's settings; default the machine's), PG_PORT 5439,
//        SERVER_CPU_PROF dir (each server writes a V8 CPU profile there when it stops),
//        PG_SOCKET 1 (servers connect through the cluster's Unix socket, not TCP on 127.0.0.1)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createSubjectSealer } from '@checkpoint-lane/kiosk';
import pg from 'pg';
import { startBenchCluster } from './pg-bench-cluster.js';
import { machine, stats } from './server-bench-support.js';

const LANES = Number(process.env.LANES ?? 50);
const BATCHES = Number(process.env.BATCHES ?? 20);
const INFLIGHT = Number(process.env.INFLIGHT ?? 1);
const CHECKPOINTS = Number(process.env.CHECKPOINTS ?? 10);
const MODES = (process.env.MODES ?? 'pg3,pg1,sqlite').split(',');
const IMPORT = process.env.IMPORT !== '0';
const IMPORT_ROWS = Number(process.env.IMPORT_ROWS ?? 1_000_000);
const LANES_BOOT = Number(process.env.LANES_BOOT ?? 100);
const SIZE = Number(process.env.SIZE ?? 500);
/** Each PostgreSQL server's pool size (`--database-pool-size`); the server's default when unset. */
const POOL = process.env.POOL;
/**
 * How scans carry their subject: `lane` (default) sealed to the server's scan seal key as a lane
 * of today seals them (kiosk agent/subject-sealer.ts: one ephemeral key per 1,000 seals), `fresh`
 * sealed with a new ephemeral key each (lanes before that), `key` a bare subject key (no seal).
 */
const SEAL = (process.env.SEAL ?? 'lane') as 'lane' | 'fresh' | 'key';
if (!['lane', 'fresh', 'key'].includes(SEAL)) throw new Error(`SEAL=${SEAL}: lane, fresh or key`);
/** Each enrolled lane's server scan seal key (base64), by token. */
const sealKeyOf = new Map<string, string>();
const ADMIN = 'bench-admin-token-0123456789abcdef';
/**
 * `PG=fleet`: a throwaway cluster with the settings docs/fleet.md recommends (bench/pg-bench-cluster.ts)
 * on port PG_PORT (5439); otherwise the machine's cluster as it is (CHECKPOINT_TEST_PG_URL or 5432).
 */
const benchCluster =
  process.env.PG === 'fleet' ? startBenchCluster(Number(process.env.PG_PORT ?? 5439)) : null;
process.on('exit', () => benchCluster?.stop());
const ADMIN_URL =
  benchCluster?.url ?? process.env.CHECKPOINT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The server build to run: the checkout's `dist` unless CHECKPOINT_SERVER_JS names another (A/B). */
const SERVER_JS =
  process.env.CHECKPOINT_SERVER_JS ??
  fileURLToPath(new URL('../sync-server/dist/cli/checkpoint-server.js', import.meta.url));
const TICK = 100; // clock ticks per second (/proc/<pid>/stat)

const work = mkdtempSync(join(tmpdir(), 'cl-bench-fleet-'));
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** A checkpoint-server process on `--database url` or `--data dir`. */
async function startServer(where: { database: string } | { data: string }): Promise<Server> {
  const args = [
    SERVER_JS,
    '--port',
    '0',
    ...('database' in where ? ['--database', where.database] : ['--data', where.data]),
    '--log-level',
    'warn',
    '--enroll-rate-limit',
    '100000',
    ...('database' in where && POOL !== undefined ? ['--database-pool-size', POOL] : []),
  ];
  // SERVER_CPU_PROF=dir: each server writes a V8 CPU profile there when it stops.
  const prof = process.env.SERVER_CPU_PROF;
  const child = spawn(
    process.execPath,
    [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), ...args],
    {
      env: { ...process.env, CHECKPOINT_ADMIN_TOKEN: ADMIN },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m?.[1]) resolve(m[1]);
      // Warnings and errors the server logs (pino JSON at --log-level warn): their messages.
      else if (line.startsWith('{')) {
        try {
          const l = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
          console.log(`  [server ${child.pid} log ${l.level}] ${l.msg ?? ''} ${l.err?.message ?? ''}`);
        } catch {
          // not JSON
        }
      }
    });
    child.once('exit', (code) => {
      reject(new Error(`server exited ${code}`));
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

async function call<T>(url: string, token: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      ...(token !== '' && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Enrolls `n` lanes, lane i at checkpoint `CP{i mod CHECKPOINTS}`, enrollments spread over the servers; their tokens. */
async function enroll(servers: Server[], n: number, from = 0): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = servers[i % servers.length]!;
    const { code } = await call<{ code: string }>(`${s.url}/api/v1/admin/enrollments`, ADMIN, {
      checkpointId: `CP${(from + i) % CHECKPOINTS}`,
    });
    const { token, scanSealKey } = await call<{ token: string; scanSealKey: string }>(
      `${s.url}/api/v1/kiosk/enroll`,
      '',
      { code, name: `lane ${from + i}` },
    );
    sealKeyOf.set(token, scanSealKey);
    tokens.push(token);
  }
  return tokens;
}

/** Adds the checkpoints CP0 … CP{CHECKPOINTS - 1} (open). */
async function addCheckpoints(server: Server): Promise<void> {
  for (let i = 0; i < CHECKPOINTS; i++)
    await call(`${server.url}/api/v1/admin/checkpoints`, ADMIN, {
      id: `CP${i}`,
      name: `CP${i}`,
      mode: 'open',
    });
}

/** CPU seconds (user + system) of a process so far. */
function cpuOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
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
      // gone meanwhile
    }
  }
  return sum;
}

/** The busiest processes right now (`top -b -n1`), the first `n` lines of its process table. */
function topNow(n = 8): string {
  try {
    const out = execFileSync('top', ['-b', '-n1', '-w', '200'], { encoding: 'utf8' }).split('\n');
    const head = out.findIndex((l) => /PID\s+USER/.test(l));
    return [out[0], ...out.slice(head, head + n + 1)].join('\n');
  } catch {
    return '(top not available)';
  }
}

/** One lane's batch b: scans of distinct subjects, 1 in 50 amber, 1 in 100 an acknowledgement. */
function batchBody(
  lane: number,
  b: number,
  offset: number,
  seal: ((canonical: string) => string) | null,
): string {
  const t0 = Date.now() - 3_600_000;
  const records = Array.from({ length: SIZE }, (_, i) => {
    const seq = offset + b * SIZE + i + 1;
    const id = (s: number): string =>
      `01890a5d-ac96-7${(lane % 4096).toString(16).padStart(3, '0')}-8000-${s.toString(16).padStart(12, '0')}`;
    if (seq % 100 === 0)
      return {
        type: 'ack',
        seq,
        id: id(seq),
        at: t0 + seq,
        scanId: id(seq - 1),
        decision: 'amber',
        note: '',
      };
    const key = BigInt.asUintN(64, BigInt(lane * 10_000_000 + seq + 1) * 0x9e3779b97f4a7c15n);
    return {
      type: 'scan',
      seq,
      id: id(seq),
      at: t0 + seq,
      source: 'camera',
      format: 'personal_id',
      ...(seal === null
        ? { subjectKey: key.toString(16).padStart(16, '0'), subjectSealed: null }
        : {
            subjectKey: null,
            subjectSealed: seal(`personal_id:0${String(key % 100_000_000_000n).padStart(11, '0')}`),
          }),
      decision: seq % 50 === 0 ? 'amber' : 'green',
      reasons: seq % 50 === 0 ? ['health_list_stale'] : ['not_flagged'],
      warnings: [],
      alert: false,
    };
  });
  return JSON.stringify({ records });
}

interface PassResult {
  records: number;
  seconds: number;
  latencies: number[];
  ackedMin: number;
  serverCpu: number[];
  /** CPU seconds of this bench process (the lanes' side: sending, waiting) over the pass. */
  benchCpu: number;
  dbCpu: number;
  allPgCpu: number;
  loadEnd: string;
  top: string;
  activity: Map<string, number>;
  samples: number;
  retried: number;
}

/**
 * Every lane sends BATCHES batches (records from `offset`), at most INFLIGHT at once per lane,
 * batch k of lane l to server (l + k) % servers. CPU of the servers and of `backends` over it.
 */
async function pass(
  servers: Server[],
  tokens: string[],
  offset: number,
  backends: () => Promise<number[]>,
  db?: pg.Client,
): Promise<PassResult> {
  const bodies = tokens.map((token, l) => {
    const key = sealKeyOf.get(token);
    if (SEAL !== 'key' && key === undefined) throw new Error('no scan seal key for a lane');
    const seal =
      SEAL === 'key'
        ? null
        : createSubjectSealer(key!, SEAL === 'lane' ? undefined : { maxSeals: 1, maxAgeMs: 0 });
    return Array.from({ length: BATCHES }, (_, b) => batchBody(l, b, offset, seal));
  });
  const latencies: number[] = [];
  let retried = 0;
  const acked: number[] = tokens.map(() => 0);
  const pids = servers.map((s) => s.child.pid ?? 0);
  const cpu0 = pids.map(cpuOf);
  const bench0 = process.cpuUsage();
  const pgPids0 = await backends();
  const pg0 = new Map(pgPids0.map((p) => [p, cpuOf(p)]));
  const all0 = allPostgresCpu();
  let top = '';
  const sampler = setTimeout(() => {
    top = topNow();
  }, 4_000);
  // Where the database's backends are, every 50 ms: statement (its first words) and wait event.
  const activity = new Map<string, number>();
  let samples = 0;
  let sampling = db !== undefined;
  const sampleLoop = (async () => {
    while (sampling && db) {
      const { rows } = await db.query<{ q: string }>(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') || '  ' ||
           regexp_replace(left(query, 60), '\\s+', ' ', 'g') AS q
         FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`,
      );
      samples++;
      for (const r of rows) activity.set(r.q, (activity.get(r.q) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const t0 = performance.now();
  try {
    await Promise.all(
      tokens.map(async (token, l) => {
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < BATCHES) {
            const b = next++;
            const s = servers[(l + b) % servers.length]!;
            const t = performance.now();
            let res: Response;
            // A 503 (database busy) is retried after its Retry-After, as a lane does; counted.
            for (;;) {
              res = await fetch(`${s.url}/api/v1/kiosk/scans`, {
                method: 'POST',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body: bodies[l]![b]!,
              });
              if (res.status !== 503) break;
              retried++;
              await res.arrayBuffer();
              await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
            }
            if (res.status !== 200) throw new Error(`upload ${res.status}: ${await res.text()}`);
            const { ackedThrough } = (await res.json()) as { ackedThrough: number };
            latencies.push(performance.now() - t);
            acked[l] = Math.max(acked[l]!, ackedThrough);
          }
        };
        await Promise.all(Array.from({ length: INFLIGHT }, worker));
      }),
    );
  } catch (err) {
    sampling = false;
    await sampleLoop;
    throw err;
  }
  const seconds = (performance.now() - t0) / 1000;
  clearTimeout(sampler);
  sampling = false;
  await sampleLoop;
  const allPgCpu = allPostgresCpu() - all0;
  const serverCpu = pids.map((p, i) => cpuOf(p) - cpu0[i]!);
  const benchUsage = process.cpuUsage(bench0);
  const benchCpu = (benchUsage.user + benchUsage.system) / 1e6;
  let dbCpu = 0;
  for (const p of await backends()) dbCpu += cpuOf(p) - (pg0.get(p) ?? 0);
  return {
    records: tokens.length * BATCHES * SIZE,
    seconds,
    latencies,
    benchCpu,
    ackedMin: Math.min(...acked),
    serverCpu,
    dbCpu,
    allPgCpu,
    loadEnd: load(),
    top,
    activity,
    samples,
    retried,
  };
}

/** CPU per record, µs: servers + backends (+ the bench), what decides throughput on shared cores. */
function perRecordUs(r: PassResult): string {
  const us = (sec: number): string => ((sec * 1e6) / r.records).toFixed(0);
  const servers = r.serverCpu.reduce((a, b) => a + b, 0);
  return `servers ${us(servers)} + PostgreSQL ${us(r.allPgCpu)} = ${us(servers + r.allPgCpu)} µs, with the bench ${us(servers + r.allPgCpu + r.benchCpu)} µs`;
}

function show(label: string, r: PassResult): void {
  const s = stats(r.latencies);
  console.log(
    `${label}: ${r.records} records in ${r.seconds.toFixed(1)} s = ${Math.round(r.records / r.seconds)} records/s; ` +
      `batch ms p50 ${s.p50.toFixed(0)} p90 ${s.p90.toFixed(0)} p99 ${s.p99.toFixed(0)} max ${s.max.toFixed(0)}; ` +
      `lanes acked through >= ${r.ackedMin}; ${r.retried} uploads answered 503 and retried; CPU s: servers ${r.serverCpu.map((c) => c.toFixed(1)).join(' + ')}, ` +
      `this database's PostgreSQL backends ${r.dbCpu.toFixed(1)}, all postgres processes ${r.allPgCpu.toFixed(1)}, this bench (the lanes) ${r.benchCpu.toFixed(1)} (wall ${r.seconds.toFixed(1)} s, 2 cores); ` +
      `per record: ${perRecordUs(r)}; load ${r.loadEnd}`,
  );
  if (process.env.TOP !== '0' && r.top !== '') console.log(`top 4 s into it:\n${r.top}`);
  if (r.samples > 0) {
    const busiest = [...r.activity].sort((a, b) => b[1] - a[1]).slice(0, 10);
    console.log(`active backends of this database, ${r.samples} samples every 50 ms (average per sample):`);
    for (const [q, n] of busiest) console.log(`  ${(n / r.samples).toFixed(2)}  ${q}`);
  }
}

/** A fresh database; its URL, a client on it, and how to drop it. */
async function freshDatabase(): Promise<{ url: string; client: pg.Client; drop(): Promise<void> }> {
  const name = `cl_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: u.toString() });
  await client.connect();
  // PG_SOCKET=1: the servers reach the same database through its Unix socket instead of TCP.
  const socketDir = benchCluster?.socketDir ?? '/var/run/postgresql';
  const url =
    process.env.PG_SOCKET === '1'
      ? `postgres://${u.username}@/${name}?host=${socketDir}&port=${u.port || '5432'}`
      : u.toString();
  return {
    url,
    client,
    async drop() {
      await client.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** PIDs of the backends connected to the database `client` is on (other than `client`'s). */
function backendsOf(client: pg.Client): () => Promise<number[]> {
  return async () =>
    (
      await client.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      )
    ).rows.map((r) => r.pid);
}

async function writeHealthCsv(file: string, rows: number): Promise<void> {
  const STATUSES = ['F0', 'F1', 'F2', 'F3', 'recovered'];
  const id = (i: number): string =>
    String(79_000_000_000 + ((i * 2_654_435_761) % 999_999_937)).padStart(12, '0');
  const out = createWriteStream(file);
  out.write('id,status,since,until,name,note\n');
  for (let i = 0; i < rows; i++) {
    const line = `${id(i)},${STATUSES[i % 5]},2021-09-18T08:00:00+07:00,,Trần Thị ${i},"ổ dịch, quận ${1 + (i % 12)}"\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function importHealth(server: Server, file: string): Promise<{ seconds: number; accepted: number }> {
  const t0 = performance.now();
  const res = await fetch(`${server.url}/api/v1/admin/lists/health/import`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${ADMIN}`,
      'content-type': 'text/csv',
      'content-length': String(statSync(file).size),
    },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit);
  const body = (await res.json()) as { accepted: number; rejectedTotal: number };
  if (res.status !== 200 || body.rejectedTotal > 0)
    throw new Error(`import ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return { seconds: (performance.now() - t0) / 1000, accepted: body.accepted };
}

console.log(
  `machine: ${machine()}; load at start ${load()}; SEAL=${SEAL}; server ${SERVER_JS}; PostgreSQL ${benchCluster === null ? "the machine's cluster" : 'a fleet-tuned bench cluster'}${process.env.PG_SOCKET === '1' ? ' by its Unix socket' : ' over TCP'}`,
);
console.log(
  `${LANES} lanes at ${CHECKPOINTS} checkpoints × ${BATCHES} batches × ${SIZE} records, ${INFLIGHT} batches in flight per lane, batches spread over the servers`,
);

for (const mode of MODES) {
  if (mode === 'sqlite') {
    const data = join(work, `sqlite-${randomBytes(4).toString('hex')}`);
    const server = await startServer({ data });
    try {
      await addCheckpoints(server);
      const tokens = await enroll([server], LANES);
      show('sqlite, 1 server', await pass([server], tokens, 0, () => Promise.resolve([])));
    } finally {
      await server.stop();
      rmSync(data, { recursive: true, force: true });
    }
    continue;
  }
  const n = mode === 'pg3' ? 3 : 1;
  const db = await freshDatabase();
  const servers: Server[] = [];
  try {
    // The first server migrates the schema; the others start on it.
    servers.push(await startServer({ database: db.url }));
    for (let i = 1; i < n; i++) servers.push(await startServer({ database: db.url }));
    await addCheckpoints(servers[0]!);
    const tokens = await enroll(servers, LANES);
    const backends = backendsOf(db.client);
    const first = await pass(servers, tokens, 0, backends, db.client);
    show(`postgres, ${n} server${n > 1 ? 's' : ''}`, first);
    if (mode !== 'pg3' || !IMPORT) continue;

    // Health import of IMPORT_ROWS through server 0 while the lanes upload their next batches.
    const csv = join(work, 'health.csv');
    await writeHealthCsv(csv, IMPORT_ROWS);
    // Rounds of uploads (each every lane's next BATCHES batches) until the import has answered.
    const importing = { done: false };
    const imported = importHealth(servers[0]!, csv).finally(() => {
      importing.done = true;
    });
    const ti = performance.now();
    let round = 1;
    do {
      const during = await pass(servers, tokens, round * BATCHES * SIZE, backends, db.client);
      show(
        `postgres, 3 servers, during the health import, round ${round} (${((performance.now() - ti) / 1000).toFixed(0)} s after the import started)`,
        during,
      );
      round++;
    } while (!importing.done);
    const imp = await imported;
    console.log(
      `health import of ${imp.accepted} rows (${(statSync(csv).size / 2 ** 20).toFixed(1)} MiB) through server 0: ${imp.seconds.toFixed(1)} s ` +
        `(${Math.round(imp.accepted / imp.seconds)} rows/s), concurrent with the uploads above; load ${load()}`,
    );
    rmSync(csv, { force: true });

    // Snapshot bootstrap: LANES_BOOT lanes download the health snapshot by its versioned URL.
    const boot = await enroll(servers, LANES_BOOT, LANES);
    const { keyId } = await call<{ keyId: number }>(`${servers[0]!.url}/api/v1/kiosk/list-key`, boot[0]!);
    const version = Number(
      (await db.client.query<{ version: string }>("SELECT version FROM list_state WHERE list = 'health'"))
        .rows[0]!.version,
    );
    const ins0 = await db.client.query<{ n: string }>(
      "SELECT coalesce(sum(n_tup_ins), 0) AS n FROM pg_stat_user_tables WHERE relname = 'snapshot_cache'",
    );
    const cpu0 = servers.map((s) => cpuOf(s.child.pid ?? 0));
    const times: number[] = [];
    let bytes = 0;
    const status = new Map<string, number>();
    const t0 = performance.now();
    await Promise.all(
      boot.map(async (token, i) => {
        const s = servers[i % servers.length]!;
        const t = performance.now();
        let outcome: string;
        try {
          const res = await fetch(`${s.url}/api/v1/kiosk/lists/health/snapshot/${version}?keyId=${keyId}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const buf = await res.arrayBuffer();
          outcome = String(res.status);
          if (res.status === 200) bytes += buf.byteLength;
          times.push(performance.now() - t);
        } catch (err) {
          // The connection cut mid-body (the server's stream failed).
          const cause = err instanceof Error ? (err.cause as Error | undefined)?.message : undefined;
          outcome = `cut: ${err instanceof Error ? err.message : String(err)} ${cause ?? ''}`;
        }
        status.set(outcome, (status.get(outcome) ?? 0) + 1);
      }),
    );
    const total = (performance.now() - t0) / 1000;
    const cpu = servers.map((s, i) => cpuOf(s.child.pid ?? 0) - cpu0[i]!);
    // A backend reports its statistics when idle, at most once a second, else within 10 s.
    await new Promise((r) => setTimeout(r, 12_000));
    const ins1 = await db.client.query<{ n: string }>(
      "SELECT coalesce(sum(n_tup_ins), 0) AS n FROM pg_stat_user_tables WHERE relname = 'snapshot_cache'",
    );
    const cached = await db.client.query<{ size: string; count: string; build_ms: number }>(
      "SELECT size, count, build_ms FROM snapshot_cache WHERE list = 'health' AND version = $1",
      [version],
    );
    const ts = stats(times);
    const row = cached.rows[0];
    console.log(
      `snapshot bootstrap: ${LANES_BOOT} lanes, health v${version} (${row?.count ?? '?'} entries, ${row?.size ?? '?'} B) by its versioned URL over ${n} servers: ` +
        `all done in ${total.toFixed(1)} s; ${(bytes / 2 ** 20).toFixed(1)} MiB received; statuses ${JSON.stringify(Object.fromEntries(status))}; ` +
        `per download ms p50 ${ts.p50.toFixed(0)} p90 ${ts.p90.toFixed(0)} max ${ts.max.toFixed(0)}; ` +
        `builds (snapshot_cache rows inserted) ${Number(ins1.rows[0]!.n) - Number(ins0.rows[0]!.n)}, build_ms ${row?.build_ms ?? '?'}; ` +
        `server CPU s ${cpu.map((c) => c.toFixed(1)).join(' + ')}; load ${load()}`,
    );
  } finally {
    for (const s of servers) await s.stop();
    await db.drop();
  }
}
rmSync(work, { recursive: true, force: true });
