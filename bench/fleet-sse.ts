// Fleet SSE fan-out and failover (issue 14): 3 real `checkpoint-server` processes (built dist) on
// one fresh PostgreSQL database; LANES lanes enrolled over HTTP, spread over the servers, each
// holding one GET /api/v1/kiosk/events stream (plain node:http clients). An admin PUTs one F0
// entry on server A; for each stream, the time until its `urgent` (or health `list-version`)
// event for the new version arrives: p50/p99/max, and how many never arrive within 10 s. Each
// server's RSS (/proc/PID/status VmRSS) before and after the streams open → RSS per 1,000 streams.
// Then failover: SIGKILL server C; each of its streams' clients reconnects to the next live server
// (as a lane does: at once, then back-off 0.5, 1, 2, 4 s…) → time from the kill until each is
// connected elsewhere (p50/max). Scans lost/doubled over a failover are measured by the
// integration test tests/integration/fleet-servers.test.ts, not here.
// Not a test. Needs a PostgreSQL where it may create and drop databases (default: user postgres on
// 127.0.0.1:5432; CHECKPOINT_TEST_PG_URL names another).
// Run (after `npx tsc -b`): npx tsx bench/fleet-sse.ts
//   env: LANES 3000, RUNS 2 (F0 adds measured per fleet), ENROLL_CONCURRENCY 16
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, request, type ClientRequest } from 'node:http';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { api, machine, stats } from './server-bench-support.js';

const LANES = Number(process.env.LANES ?? 3000);
const RUNS = Number(process.env.RUNS ?? 2);
const ENROLL_CONCURRENCY = Number(process.env.ENROLL_CONCURRENCY ?? 16);
const WAIT_MS = 10_000;
const ADMIN = 'bench-admin-token-0123456789abcdef';
const ADMIN_URL = process.env.CHECKPOINT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const SERVER_JS = fileURLToPath(new URL('../sync-server/dist/cli/checkpoint-server.js', import.meta.url));

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Server {
  url: string;
  child: ChildProcess;
}

/** A checkpoint-server process on `--database url`. */
async function startServer(database: string): Promise<Server> {
  const child = spawn(
    process.execPath,
    [
      SERVER_JS,
      '--port',
      '0',
      '--database',
      database,
      '--log-level',
      'warn',
      '--enroll-rate-limit',
      '100000',
    ],
    { env: { ...process.env, CHECKPOINT_ADMIN_TOKEN: ADMIN }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => {
      reject(new Error(`server exited ${code}`));
    });
  });
  return { url, child };
}

/** Resident set size of a process in MiB (VmRSS). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Enrolls `n` lanes at CP, ENROLL_CONCURRENCY at a time, enrollment i on server i % servers. */
async function enroll(servers: Server[], n: number): Promise<string[]> {
  const tokens: string[] = new Array<string>(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const s = servers[i % servers.length]!;
      const { code } = await api<{ code: string }>(`${s.url}/api/v1/admin/enrollments`, ADMIN, {
        checkpointId: 'CP',
      });
      tokens[i] = (
        await api<{ token: string }>(`${s.url}/api/v1/kiosk/enroll`, '', { code, name: `lane ${i}` })
      ).token;
    }
  };
  await Promise.all(Array.from({ length: ENROLL_CONCURRENCY }, worker));
  return tokens;
}

/** One lane's event stream client: which server it is on, the health versions it has seen. */
interface Stream {
  token: string;
  server: number;
  req: ClientRequest | null;
  /** Health version → when (performance.now()) the lane first heard of it. */
  heard: Map<number, number>;
  onHello: (() => void) | null;
  onLost: (() => void) | null;
}

const agents: Agent[] = [];

/** Opens `st`'s stream on `servers[st.server]`; resolves at its `hello`, rejects on failure. */
function connect(servers: Server[], st: Stream): Promise<void> {
  return new Promise((resolve, reject) => {
    let hello = false;
    const lost = (err: Error): void => {
      if (!hello) reject(err);
      else st.onLost?.();
    };
    const req = request(
      `${servers[st.server]!.url}/api/v1/kiosk/events`,
      { headers: { authorization: `Bearer ${st.token}` }, agent: agents[st.server] },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`events ${res.statusCode}`));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) !== -1) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const event = /^event: (\S+)/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event === 'hello') {
              hello = true;
              resolve();
            } else if (event === 'urgent' && data) {
              const v = (JSON.parse(data) as { toVersion: number }).toVersion;
              if (!st.heard.has(v)) st.heard.set(v, performance.now());
            } else if (event === 'list-version' && data) {
              const d = JSON.parse(data) as { list: string; version: number };
              if (d.list === 'health' && !st.heard.has(d.version)) st.heard.set(d.version, performance.now());
            }
          }
        });
        res.on('close', () => {
          lost(new Error('stream closed'));
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', lost);
    req.end();
    st.req = req;
  });
}

async function putF0(server: Server, r: number): Promise<number> {
  const id = String(1_000_000_000 + r).padStart(12, '0');
  const res = await fetch(`${server.url}/api/v1/admin/lists/health/entries/${id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'F0' }),
  });
  if (res.status !== 200) throw new Error(`put ${res.status} ${await res.text()}`);
  return ((await res.json()) as { version: number }).version;
}

/** PUTs an F0 on server A; per stream, ms until it heard of the new version (missing after 10 s). */
async function fanOut(servers: Server[], streams: Stream[], r: number): Promise<void> {
  const t0 = performance.now();
  const version = await putF0(servers[0]!, r);
  const putMs = performance.now() - t0;
  const deadline = t0 + WAIT_MS;
  while (performance.now() < deadline && streams.some((st) => !st.heard.has(version))) await sleep(20);
  const delays = streams.filter((st) => st.heard.has(version)).map((st) => st.heard.get(version)! - t0);
  const s = stats(delays);
  const perServer = servers.map((_, i) => {
    const d = streams
      .filter((st) => st.server === i && st.heard.has(version))
      .map((st) => st.heard.get(version)! - t0);
    return stats(d).max.toFixed(0);
  });
  console.log(
    `F0 add ${r + 1} (health v${version}, PUT answered in ${putMs.toFixed(0)} ms): ${delays.length}/${streams.length} streams heard it; ` +
      `ms from the PUT: p50 ${s.p50.toFixed(0)} p99 ${s.p99.toFixed(0)} max ${s.max.toFixed(0)} ` +
      `(last lane per server A/B/C: ${perServer.join(' / ')}); never within 10 s: ${streams.length - delays.length}; load ${load()}`,
  );
}

console.log(`machine: ${machine()}; load at start ${load()}`);
console.log(`open-files limit of this process (ulimit -n, soft): ${readLimit()}`);

function readLimit(): string {
  const l = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(
    readFileSync('/proc/self/limits', 'utf8'),
  );
  return l ? `${l[1]} (hard ${l[2]})` : '?';
}

const name = `cl_bench_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const dbUrl = new URL(ADMIN_URL);
dbUrl.pathname = `/${name}`;
const servers: Server[] = [];
try {
  // The first server migrates the schema; the others start on it.
  for (let i = 0; i < 3; i++) {
    servers.push(await startServer(dbUrl.toString()));
    agents.push(new Agent({ keepAlive: true, maxSockets: Infinity }));
  }
  await api(`${servers[0]!.url}/api/v1/admin/checkpoints`, ADMIN, { id: 'CP', name: 'CP', mode: 'open' });
  const e0 = performance.now();
  const tokens = await enroll(servers, LANES);
  console.log(
    `${LANES} lanes enrolled over 3 servers in ${((performance.now() - e0) / 1000).toFixed(1)} s (${ENROLL_CONCURRENCY} at a time); load ${load()}`,
  );
  const pids = servers.map((s) => s.child.pid!);
  const rss0 = pids.map(rssMiB);
  const streams: Stream[] = tokens.map((token, i) => ({
    token,
    server: i % 3,
    req: null,
    heard: new Map(),
    onHello: null,
    onLost: null,
  }));
  const c0 = performance.now();
  let nextOpen = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (nextOpen < streams.length) await connect(servers, streams[nextOpen++]!);
    }),
  );
  const connectS = (performance.now() - c0) / 1000;
  await sleep(2000);
  const rss1 = pids.map(rssMiB);
  const per = servers.map((_, i) => streams.filter((st) => st.server === i).length);
  console.log(
    `${streams.length} streams open (A/B/C ${per.join(' / ')}) in ${connectS.toFixed(1)} s; server RSS MiB before → after: ` +
      servers.map((_, i) => `${rss0[i]!.toFixed(0)} → ${rss1[i]!.toFixed(0)}`).join(', ') +
      `; per 1,000 streams: ` +
      servers.map((_, i) => (((rss1[i]! - rss0[i]!) * 1000) / per[i]!).toFixed(1)).join(' / ') +
      ` MiB (all 3: ${(((sum(rss1) - sum(rss0)) * 1000) / streams.length).toFixed(1)}); load ${load()}`,
  );

  for (let r = 0; r < RUNS; r++) {
    await fanOut(servers, streams, r);
    await sleep(1000);
  }

  // Failover: SIGKILL server C; its streams' clients reconnect to the next live server.
  const victim = 2;
  const orphans = streams.filter((st) => st.server === victim);
  const moved: number[] = [];
  const attempts: number[] = [];
  const noticed: number[] = [];
  let tKill = 0;
  const allMoved = new Promise<void>((resolve) => {
    if (orphans.length === 0) resolve();
    for (const st of orphans) {
      st.onLost = () => {
        st.onLost = null;
        noticed.push(performance.now() - tKill);
        void (async () => {
          const backoff = [0, 500, 1000, 2000, 4000, 8000];
          for (let a = 0; ; a++) {
            await sleep(backoff[Math.min(a, backoff.length - 1)]!);
            st.server = (victim + 1 + (a % 2)) % 3; // B's next is A, then B again…
            try {
              await connect(servers, st);
              moved.push(performance.now() - tKill);
              attempts.push(a + 1);
              if (moved.length === orphans.length) resolve();
              return;
            } catch {
              // try again after the next back-off
            }
          }
        })();
      };
    }
  });
  tKill = performance.now();
  servers[victim]!.child.kill('SIGKILL');
  const timeout = sleep(60_000).then(() => 'timeout');
  const outcome = await Promise.race([allMoved.then(() => 'done'), timeout]);
  const m = stats(moved);
  const a = stats(attempts);
  const n = stats(noticed);
  console.log(
    `failover: server C SIGKILLed with ${orphans.length} streams; ${moved.length} reconnected to A/B (${outcome}); ` +
      `loss noticed ms from the kill p50 ${n.p50.toFixed(0)} max ${n.max.toFixed(0)}; ` +
      `connected elsewhere ms from the kill: p50 ${m.p50.toFixed(0)} p99 ${m.p99.toFixed(0)} max ${m.max.toFixed(0)}; attempts per stream p50 ${a.p50} max ${a.max}; load ${load()}`,
  );
  // The fleet of 2 still fans out to every stream.
  await fanOut(servers.slice(0, 2), streams, RUNS);
  const rss2 = pids.slice(0, 2).map(rssMiB);
  console.log(`server RSS MiB after the failover: A ${rss2[0]!.toFixed(0)}, B ${rss2[1]!.toFixed(0)}`);
} finally {
  for (const a of agents) a.destroy();
  for (const s of servers) {
    if (s.child.exitCode === null && s.child.signalCode === null) {
      const exited = once(s.child, 'exit');
      s.child.kill('SIGTERM');
      await exited;
    }
  }
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
