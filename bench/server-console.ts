// Admin console APIs against a real checkpoint-server process: ≈1M scans over the last 7 days
// at 20 checkpoints, uploaded through the kiosk API (so the `scan_hourly` roll-up is kept by the
// real ingest transaction); then the chart API, the scan search, the CSV export of everything
// (with `/health` polled every 50 ms meanwhile) and console sign-in (scrypt). Not a test.
// Run (after `npx tsc -b`): npx tsx bench/server-console.ts
//   env: SCANS (1000000), CHECKPOINTS (20), LANES_PER_CP (2), REPS (50: requests per query)
//
// Sign-in is rate limited per client address (20/min). Loopback is a /8 on Linux, so the client
// signs in from several source addresses (127.0.0.2, 127.0.0.10–…) to the server on 127.0.0.1,
// at most 20 a minute from each: the server and its limits are exactly as shipped.
import { writeFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { subjectKey, subjectKeyToHex } from '@checkpoint-lane/sync-server';
import { api, machine, peakRssMiB, startServer } from './server-bench-support.js';

const SCANS = Number(process.env.SCANS ?? 1_000_000);
const CHECKPOINTS = Number(process.env.CHECKPOINTS ?? 20);
const LANES_PER_CP = Number(process.env.LANES_PER_CP ?? 2);
const REPS = Number(process.env.REPS ?? 50);
const BATCH = 500;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const ADMIN = 'bench-admin-token-0123456789abcdef';
const PASSWORD = 'bench-password-0123';
/** Distinct subjects: each is scanned ≈ 10 times over the week. */
const SUBJECTS = Math.max(1, Math.round(SCANS / 10));

const fmt = (x: number, d = 1): string => x.toFixed(d);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** p50/p95 (and the rest) of a latency sample in ms. */
function pct(xs: readonly number[]): { n: number; p50: number; p95: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s.at(-1) ?? NaN };
}
const line = (p: ReturnType<typeof pct>): string =>
  `p50 ${fmt(p.p50)} ms, p95 ${fmt(p.p95)} ms, p99 ${fmt(p.p99)}, max ${fmt(p.max)} (n ${p.n})`;

/** Small deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The i-th subject: a 12-digit personal ID (HCMC province code, century/sex, birth year, serial). */
const personalId = (i: number): string =>
  `079${(i % 2) + 2}${String(60 + (i % 40)).padStart(2, '0')}${String(i).padStart(6, '0')}`;

/** `/health` polled every `everyMs` (requests may overlap, so a stall shows in each waiting one). */
function pollHealth(url: string, everyMs = 50): { stop: () => Promise<number[]> } {
  const lat: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const t = performance.now();
    const p = fetch(`${url}/health`)
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`/health ${res.status}`);
        lat.push(performance.now() - t);
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(inFlight);
      return lat;
    },
  };
}

/** GET with the admin token; answers the latency and the parsed JSON. */
async function timedGet(url: string): Promise<{ ms: number; body: unknown }> {
  const t = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${ADMIN}` } });
  const text = await res.text();
  const ms = performance.now() - t;
  if (!res.ok) throw new Error(`${url}: ${res.status} ${text}`);
  return { ms, body: JSON.parse(text) as unknown };
}

/** One console sign-in from a given loopback source address. */
function signIn(base: URL, username: string, localAddress: string): Promise<number> {
  const body = JSON.stringify({ username, password: PASSWORD });
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path: '/api/v1/session',
        method: 'POST',
        localAddress,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const ms = performance.now() - t;
          const cookie = String(res.headers['set-cookie'] ?? '');
          if (res.statusCode !== 200 || !cookie.includes('cl_session='))
            reject(new Error(`sign-in from ${localAddress}: ${res.statusCode}`));
          else resolve(ms);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'cl-bench-console-'));
let server = await startServer(dir, ADMIN);
try {
  const now = Date.now();
  const weekStart = now - 7 * DAY_MS;
  const cps = Array.from({ length: CHECKPOINTS }, (_, i) => `CP${String(i + 1).padStart(2, '0')}`);
  for (const id of cps)
    await api(`${server.url}/api/v1/admin/checkpoints`, ADMIN, { id, name: id, mode: 'open' });
  const lanes: { token: string; checkpoint: string }[] = [];
  for (const checkpoint of cps) {
    for (let j = 0; j < LANES_PER_CP; j++) {
      const { code } = await api<{ code: string }>(`${server.url}/api/v1/admin/enrollments`, ADMIN, {
        checkpointId: checkpoint,
      });
      const res = await fetch(`${server.url}/api/v1/kiosk/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code, name: `${checkpoint} lane ${j + 1}` }),
      });
      if (!res.ok) throw new Error(`enroll ${res.status}: ${await res.text()}`);
      lanes.push({ token: ((await res.json()) as { token: string }).token, checkpoint });
    }
  }

  // The server's own list key, so the bench's subject keys are what `subject=` looks up.
  const sdb = new Database(join(dir, 'server.db'), { readonly: true });
  const listKey = sdb.prepare("SELECT value FROM settings WHERE key = 'list_key'").pluck().get() as Buffer;
  sdb.close();
  const keyHex: string[] = [];
  for (let i = 0; i < SUBJECTS; i++)
    keyHex.push(subjectKeyToHex(subjectKey(listKey, { kind: 'personal_id', value: personalId(i) })));
  const seen = new Uint16Array(SUBJECTS);

  // --- 1. Load: every lane uploads its week of scans (plus an override per 200 scans) in order.
  const perLane = Math.floor(SCANS / lanes.length);
  const extra = SCANS - perLane * lanes.length;
  let overrides = 0;
  const decisions = { green: 0, amber: 0, red: 0 };
  const tLoad = performance.now();
  await Promise.all(
    lanes.map(async (lane, li) => {
      const n = perLane + (li < extra ? 1 : 0);
      const rand = rng(li + 1);
      const span = now - 60_000 - weekStart;
      const laneHex = li.toString(16).padStart(4, '0');
      let seq = 0;
      let batch: object[] = [];
      const flush = async (): Promise<void> => {
        const res = await fetch(`${server.url}/api/v1/kiosk/scans`, {
          method: 'POST',
          headers: { authorization: `Bearer ${lane.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ records: batch }),
        });
        if (res.status !== 200) throw new Error(`upload ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        batch = [];
      };
      for (let k = 0; k < n; k++) {
        const at = weekStart + Math.floor(((k + rand()) * span) / n);
        const subject = Math.floor(rand() * SUBJECTS);
        seen[subject] = (seen[subject] ?? 0) + 1;
        const u = rand();
        const decision = u < 0.92 ? 'green' : u < 0.98 ? 'amber' : 'red';
        decisions[decision]++;
        const id = `01890a5d-ac96-7${laneHex.slice(1)}-8000-${(k + 1).toString(16).padStart(12, '0')}`;
        batch.push({
          type: 'scan',
          seq: ++seq,
          id,
          at,
          source: 'camera',
          format: u < 0.7 ? 'chip_id_card' : 'personal_id',
          subjectKey: keyHex[subject],
          subjectSealed: null,
          decision,
          reasons: [
            decision === 'green'
              ? 'not_flagged'
              : decision === 'amber'
                ? 'health_list_stale'
                : 'health_blocked',
          ],
          warnings: u > 0.995 ? ['id_birth_year_mismatch'] : [],
          alert: decision === 'red',
        });
        if (batch.length === BATCH) await flush();
        if (k % 200 === 199) {
          overrides++;
          batch.push({
            type: 'override',
            seq: ++seq,
            id: `01890a5d-ac96-7${laneHex.slice(1)}-9000-${(k + 1).toString(16).padStart(12, '0')}`,
            scanId: id,
            at: at + 30_000,
            originalDecision: decision,
            decision: decision === 'red' ? 'amber' : 'red',
            officerId: `officer-${li}`,
            supervisorId: null,
            reason: 'document_check',
            note: 'Kiểm tra giấy tờ, "ghi chú" có dấu phẩy, và dấu ngoặc kép',
          });
          if (batch.length === BATCH) await flush();
        }
      }
      if (batch.length > 0) await flush();
    }),
  );
  const loadS = (performance.now() - tLoad) / 1000;
  const loadRss = await peakRssMiB(server.child.pid ?? 0);
  console.log(`machine: ${machine()}`);
  console.log(
    `load: ${SCANS} scans + ${overrides} overrides from ${lanes.length} lanes (${CHECKPOINTS} checkpoints) over 7 days, ` +
      `through POST /kiosk/scans in batches of ${BATCH}: ${fmt(loadS)} s, ${Math.round((SCANS + overrides) / loadS)} records/s; ` +
      `decisions ${JSON.stringify(decisions)}; server peak RSS ${fmt(loadRss)} MiB`,
  );

  // Check the roll-up kept by the ingest against the migration's GROUP BY over the scans.
  await server.stop();
  const db = new Database(join(dir, 'server.db'), { readonly: true });
  const rows = db.prepare('SELECT count(*) FROM scans').pluck().get() as number;
  const rolled = db.prepare('SELECT sum(count) FROM scan_hourly').pluck().get() as number;
  const mismatches = db
    .prepare(
      `SELECT count(*) FROM (
         SELECT checkpoint_id, at - (at % 3600000) AS hour, decision, count(*) AS count FROM scans GROUP BY 1, 2, 3
         EXCEPT SELECT checkpoint_id, hour, decision, count FROM scan_hourly)`,
    )
    .pluck()
    .get() as number;
  const hourlyRows = db.prepare('SELECT count(*) FROM scan_hourly').pluck().get() as number;
  db.close();
  const dbMiB = statSync(join(dir, 'server.db')).size / 2 ** 20;
  console.log(
    `stored: ${rows} scans, scan_hourly ${hourlyRows} rows summing to ${rolled}, ${mismatches} (checkpoint, hour, decision) ` +
      `groups differ from GROUP BY over scans; server.db ${fmt(dbMiB)} MiB`,
  );

  // A fresh server process on the loaded data (its page cache cold, the OS's warm).
  server = await startServer(dir, ADMIN);
  const pid = server.child.pid ?? 0;
  const base = `${server.url}/api/v1/admin`;

  const idle = pollHealth(server.url);
  await sleep(3000);
  const idleHealth = pct(await idle.stop());
  console.log(`/health idle, polled every 50 ms: ${line(idleHealth)}`);

  // --- 2. Charts.
  const results: Record<string, ReturnType<typeof pct> & { note?: string }> = {};
  async function measure(name: string, url: string, note: (b: unknown) => string): Promise<void> {
    const first = await timedGet(url); // warm-up, not counted
    const lat: number[] = [];
    let body = first.body;
    const t0 = performance.now();
    for (let i = 0; i < REPS && (i < 10 || performance.now() - t0 < 60_000); i++) {
      const r = await timedGet(url);
      lat.push(r.ms);
      body = r.body;
    }
    const p = pct(lat);
    results[name] = { ...p, note: note(body) };
    console.log(`${name}: ${line(p)}; first ${fmt(first.ms)} ms; ${note(body)}`);
  }
  type Stats = { series: unknown[]; totals: { green: number; amber: number; red: number } };
  const statsNote = (x: unknown): string => {
    const b = x as Stats;
    return `${b.series.length} series points, total ${b.totals.green + b.totals.amber + b.totals.red} scans`;
  };
  await measure('stats range=24h', `${base}/stats/scans?range=24h`, statsNote);
  await measure('stats range=7d', `${base}/stats/scans?range=7d`, statsNote);

  // --- 3. Search, first page (100 rows).
  const probe = Math.max(0, seen.indexOf(10)); // a subject scanned exactly 10 times
  const hourAgo = Math.floor(now / HOUR_MS) * HOUR_MS - 2 * HOUR_MS;
  const midWeek = Math.floor((now - 3.5 * DAY_MS) / HOUR_MS) * HOUR_MS;
  type Page = { scans: unknown[]; nextCursor: string | null };
  const pageNote = (x: unknown): string => {
    const b = x as Page;
    return `${b.scans.length} rows${b.nextCursor === null ? '' : ', more'}`;
  };
  const searches: [string, string][] = [
    ['search, no filter', ''],
    ['search, checkpoint=CP07', '?checkpoint=CP07'],
    [`search, subject= (scanned ${seen[probe] ?? 0}×)`, `?subject=${personalId(probe)}`],
    ['search, decision=red', '?decision=red'],
    ['search, one hour 2 h ago', `?from=${hourAgo}&to=${hourAgo + HOUR_MS}`],
    ['search, one hour 3.5 days ago', `?from=${midWeek}&to=${midWeek + HOUR_MS}`],
  ];
  for (const [name, q] of searches) await measure(name, `${base}/scans${q}`, pageNote);

  // --- 4. CSV export of everything, /health polled meanwhile, peak RSS of the export alone.
  const rssBefore = await peakRssMiB(pid);
  writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS
  const rssReset = await peakRssMiB(pid);
  const poll = pollHealth(server.url);
  const exp = await new Promise<{ ms: number; ttfb: number; bytes: number; rows: number; truncated: string }>(
    (resolve, reject) => {
      const u = new URL(`${base}/scans/export.csv`);
      const t = performance.now();
      const req = request(
        { host: u.hostname, port: u.port, path: u.pathname, headers: { authorization: `Bearer ${ADMIN}` } },
        (res) => {
          const ttfb = performance.now() - t;
          if (res.statusCode !== 200) reject(new Error(`export ${res.statusCode}`));
          let bytes = 0;
          let newlines = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
          });
          res.on('end', () => {
            resolve({
              ms: performance.now() - t,
              ttfb,
              bytes,
              rows: newlines - 1,
              truncated: String(res.headers['x-truncated']),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
  const exportHealth = pct(await poll.stop());
  const rssExport = await peakRssMiB(pid);
  console.log(
    `export.csv: ${exp.rows} rows, ${fmt(exp.bytes / 2 ** 20)} MiB in ${fmt(exp.ms / 1000, 2)} s ` +
      `(${Math.round(exp.rows / (exp.ms / 1000))} rows/s, first byte ${fmt(exp.ttfb)} ms, X-Truncated ${exp.truncated}); ` +
      `server peak RSS during it ${fmt(rssExport)} MiB (RSS at start ${fmt(rssReset)}, lifetime peak before ${fmt(rssBefore)})`,
  );
  console.log(`/health during the export: ${line(exportHealth)}`);

  // --- 5. Sign-in (scrypt N=2^15): one at a time, then 4 and 8 at once, /health polled.
  const WORKERS = 8;
  for (let w = 0; w < WORKERS; w++)
    await api(`${base}/accounts`, ADMIN, {
      username: `bench${w}`,
      displayName: `Bench ${w}`,
      role: 'admin',
      password: PASSWORD,
    });
  const u = new URL(server.url);
  await signIn(u, 'bench0', '127.0.0.3'); // warm-up
  const serial: number[] = [];
  for (let i = 0; i < 20; i++) serial.push(await signIn(u, 'bench0', '127.0.0.2'));
  const signSerial = pct(serial);
  console.log(`sign-in, one at a time: ${line(signSerial)}`);
  const parallel: Record<
    number,
    { perS: number; lat: ReturnType<typeof pct>; health: ReturnType<typeof pct> }
  > = {};
  for (const [c, firstIp] of [
    [4, 20],
    [8, 30],
  ] as const) {
    const each = 8; // ≤ 20 per source address per minute
    const lat: number[] = [];
    const hp = pollHealth(server.url);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: c }, async (_, w) => {
        for (let i = 0; i < each; i++) lat.push(await signIn(u, `bench${w}`, `127.0.0.${firstIp + w}`));
      }),
    );
    const s = (performance.now() - t0) / 1000;
    const health = pct(await hp.stop());
    parallel[c] = { perS: (c * each) / s, lat: pct(lat), health };
    console.log(
      `sign-in, ${c} at once (${c * each} in ${fmt(s, 2)} s): ${fmt((c * each) / s)} sign-ins/s; ` +
        `latency ${line(pct(lat))}; /health meanwhile ${line(health)}`,
    );
  }
  const rssEnd = await peakRssMiB(pid);
  console.log(`server peak RSS since the export started: ${fmt(rssEnd)} MiB`);
  console.log(
    JSON.stringify({
      bench: 'server-console',
      scans: SCANS,
      loadRecordsPerS: Math.round((SCANS + overrides) / loadS),
      rollupMismatches: mismatches,
      idleHealth,
      results,
      export: {
        ...exp,
        rowsPerS: Math.round(exp.rows / (exp.ms / 1000)),
        peakRssMiB: rssExport,
        health: exportHealth,
      },
      signIn: { serial: signSerial, parallel },
    }),
  );
} finally {
  if (server.child.exitCode === null) await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
