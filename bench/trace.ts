// Contact tracing at the model's scale (issue 15): SCANS scans over 14 days at 120 checkpoints
// (2 lanes each), written straight into a real server database with the real schema (SQLite: a
// DATA_DIR/server.db made by the server's migrations; PostgreSQL: a fresh database migrated with
// PG_MIGRATIONS, rows by unnest in batches of 20,000), then the trace engine (runTrace) over the
// real stores: hop 1 for INDEX index subjects, hop 2 on the same (stopped after HOP2_SECONDS and
// projected from its progress when longer), storing hop 1's contacts (TracesStore.finish). On
// SQLite, then the real server (checkpoint-server CLI over that data dir) runs an INDEX-subject
// trace through POST /api/v1/admin/traces while GET /health is timed every 50 ms.
//
// The model: scans spread evenly over the 14 days (day and night alike), each at one of the 120
// checkpoints drawn at random, of one of SCANS / SCANS_PER_SUBJECT subjects drawn at random (so a
// subject is scanned Poisson(3.2) times). At 10M scans a checkpoint sees 10M / 120 / 336 h ≈ 248
// scans an hour (≈ 4 a minute), a ±15-minute window ≈ 124 other scans, so an index subject's ≈ 3.2
// scans give ≈ 400 contacts. 1 event in 50 is a vehicle: a plate scan and 3 passengers (scans of
// the same subject pool) within a minute, the passengers carrying the plate scan's id as vehicle_id.
// Subjects are 12-digit personal IDs, keyed with the data dir's list key as the server keys them;
// subject_sealed holds a placeholder of a seal's length (not openable: pages show no raw text).
// Index subjects: INDEX subjects drawn at random (some were never scanned, as with real F0s).
// Not a test. Run (after `npx tsc -b`):
//   NODE_OPTIONS=--max-old-space-size=8192 npx tsx bench/trace.ts
//   env: SCANS 10000000, ENGINES sqlite,postgres, INDEX 1000, HOP2_SECONDS 180, SERVER 1 (0: skip
//   the server run), DATA_DIR (default a temporary dir, removed at the end unless KEEP=1),
//   SERVER_ONLY=1 (the server run over a kept DATA_DIR), INGEST=1 [INGEST_RATE scans/s] (uploads
//   during the trace), CHECKPOINT_SERVER_JS (another build's server, for an A/B)
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { api, machine, startServer, stats } from './server-bench-support.js';

const dist = (p: string): string => new URL(`../sync-server/dist/${p}`, import.meta.url).href;
type OpenDb = typeof import('../sync-server/dist/db/open-database.js');
type TraceRepo = typeof import('../sync-server/dist/db/repositories/traces-repository.js');
type Engine = typeof import('../sync-server/dist/tracing/trace-engine.js');
const { openDatabase } = (await import(dist('db/open-database.js'))) as OpenDb;
const { SqliteTraceScans, TracesRepository } = (await import(
  dist('db/repositories/traces-repository.js')
)) as TraceRepo;
const { runTrace } = (await import(dist('tracing/trace-engine.js'))) as Engine;
const { subjectKeyFromDigest } = await import('@checkpoint-lane/shared');

const SCANS = Number(process.env.SCANS ?? 10_000_000);
const ENGINES = (process.env.ENGINES ?? 'sqlite,postgres').split(',').map((s) => s.trim());
const INDEX = Number(process.env.INDEX ?? 1000);
const HOP2_SECONDS = Number(process.env.HOP2_SECONDS ?? 180);
const SERVER = process.env.SERVER !== '0';
const SCANS_PER_SUBJECT = 3.2;
const CHECKPOINTS = 120;
const LANES_PER_CHECKPOINT = 2;
const DAYS = 14;
const WINDOW_MINUTES = 15;
const SPAN = DAYS * 86_400_000;
const T0 = Math.floor((Date.now() - SPAN - 3_600_000) / 60_000) * 60_000;
const SUBJECTS = Math.round(SCANS / SCANS_PER_SUBJECT);
const PLATES = Math.max(1000, Math.round(SUBJECTS / 20));
const BATCH = 20_000;
const ADMIN_URL = process.env.CHECKPOINT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** SERVER_ONLY=1 with DATA_DIR: the server run alone over data written by an earlier run (its key). */
const SERVER_ONLY = process.env.SERVER_ONLY === '1';
const LIST_KEY = ((): Buffer => {
  if (!SERVER_ONLY) return randomBytes(32);
  if (process.env.DATA_DIR === undefined) throw new Error('SERVER_ONLY=1 needs DATA_DIR');
  const db = openDatabase(join(process.env.DATA_DIR, 'server.db'));
  const key = db.prepare("SELECT value FROM settings WHERE key = 'list_key'").pluck().get() as Buffer;
  db.close();
  return key;
})();

const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');
const secs = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;
const log = (s: string): void => {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);
};

/** A small seeded generator (mulberry32): the same data for every engine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const personText = (n: number): string => `0790${String(n).padStart(8, '0')}`;
const plateText = (n: number): string => `51A${String(n).padStart(5, '0')}`;
/** As the server keys a canonical subject (`subjectKey` in lists/subject-key.ts). */
const keyOf = (canonical: string): bigint =>
  subjectKeyFromDigest(createHmac('sha256', LIST_KEY).update(canonical, 'utf8').digest());
const personKeys = new BigInt64Array(SUBJECTS);
for (let n = 0; n < SUBJECTS; n++) personKeys[n] = keyOf(`personal_id:${personText(n)}`);
const plateKeys = new BigInt64Array(PLATES);
for (let n = 0; n < PLATES; n++) plateKeys[n] = keyOf(`plate:${plateText(n)}`);
const SEAL_PAD = 'x'.repeat(90);

interface Row {
  kioskNo: number;
  seq: number;
  id: string;
  checkpointId: string;
  at: number;
  format: string;
  subjectKey: bigint;
  subjectSealed: string;
  vehicleId: string | null;
}

const uuid = (i: number): string => `01890a5d-ac96-7000-8000-${i.toString(16).padStart(12, '0')}`;

/** The scans in time order, in batches. */
function* scanBatches(): Generator<Row[]> {
  const r = rng(15);
  const seq = new Array<number>(CHECKPOINTS * LANES_PER_CHECKPOINT + 1).fill(0);
  let batch: Row[] = [];
  let i = 0;
  const push = (
    cp: number,
    at: number,
    format: string,
    key: bigint,
    sealed: string,
    vehicleId: string | null,
  ): string => {
    const kioskNo = cp * LANES_PER_CHECKPOINT + 1 + Math.floor(r() * LANES_PER_CHECKPOINT);
    const id = uuid(i++);
    batch.push({
      kioskNo,
      seq: ++seq[kioskNo]!,
      id,
      checkpointId: `CP${cp}`,
      at,
      format,
      subjectKey: key,
      subjectSealed: sealed,
      vehicleId,
    });
    return id;
  };
  while (i < SCANS) {
    const at = T0 + Math.floor((i * SPAN) / SCANS);
    const cp = Math.floor(r() * CHECKPOINTS);
    if (r() < 1 / 50 && i + 4 <= SCANS) {
      const plate = Math.floor(r() * PLATES);
      const vid = push(cp, at, 'vehicle_plate', plateKeys[plate]!, `p${plate}${SEAL_PAD}`, null);
      for (let p = 0; p < 3; p++) {
        const n = Math.floor(r() * SUBJECTS);
        push(cp, at + 10_000 * (p + 1), 'personal_id', personKeys[n]!, `s${n}${SEAL_PAD}`, vid);
      }
    } else {
      const n = Math.floor(r() * SUBJECTS);
      push(cp, at, 'personal_id', personKeys[n]!, `s${n}${SEAL_PAD}`, null);
    }
    if (batch.length >= BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The index subjects: INDEX distinct subjects drawn at random. */
const indexSubjects = ((): number[] => {
  const r = rng(7);
  const s = new Set<number>();
  while (s.size < Math.min(INDEX, SUBJECTS)) s.add(Math.floor(r() * SUBJECTS));
  return [...s];
})();
const params = (hops: 1 | 2) => ({
  indexKeys: indexSubjects.map((n) => personKeys[n]!),
  from: T0,
  to: T0 + SPAN + 3_600_000,
  windowMinutes: WINDOW_MINUTES,
  hops,
});

type Store = Parameters<typeof runTrace>[0];
type Traces = InstanceType<typeof TracesRepository>;

/** Hop 1, storing its contacts, then hop 2 (stopped after HOP2_SECONDS). */
async function traces(
  engine: string,
  store: Store,
  tracesStore: Traces | import('../sync-server/dist/db/store/traces-store.js').TracesStore,
): Promise<void> {
  const indexScans = (await store.scansOfSubjects(params(1).indexKeys, params(1).from, params(1).to)).length;
  log(`${engine}: ${indexSubjects.length} index subjects with ${indexScans} scans in the period`);
  let t = process.hrtime.bigint();
  const hop1 = await runTrace(store, params(1));
  const hop1s = secs(t);
  if (hop1 === null) throw new Error('hop 1 stopped');
  const viaVehicle = hop1.filter((c) => c.via === 'vehicle').length;
  log(
    `${engine}: hop 1: ${hop1.length} contacts (${viaVehicle} via a vehicle) = ` +
      `${(hop1.length / indexSubjects.length).toFixed(0)} per index subject, in ${hop1s.toFixed(1)} s (load ${load()})`,
  );
  t = process.hrtime.bigint();
  const id = `bench-${randomBytes(4).toString('hex')}`;
  await tracesStore.create({
    id,
    createdAt: Date.now(),
    createdBy: 'bench',
    params: params(1),
    indexSeals: new Map(),
  });
  await tracesStore.finish(id, hop1, Date.now());
  log(
    `${engine}: storing hop 1's ${hop1.length} contacts (finish): ${secs(t).toFixed(1)} s (load ${load()})`,
  );
  await tracesStore.delete(id);

  t = process.hrtime.bigint();
  let reached = 0;
  let hop1Done = Number.NaN;
  const both = await runTrace(store, params(2), {
    progress: (f) => {
      if (f >= 0.5 && Number.isNaN(hop1Done)) hop1Done = secs(t);
      reached = f;
      return Promise.resolve(secs(t) < HOP2_SECONDS);
    },
  });
  const total = secs(t);
  const hop2s = total - hop1Done;
  if (both === null) {
    const frac = (reached - 0.5) / 0.5;
    log(
      `${engine}: hop 2 (from ${hop1.length} hop-1 contacts): stopped after ${hop2s.toFixed(0)} s at ${(frac * 100).toFixed(1)}% ` +
        `of its sources: ≈ ${frac > 0 ? (hop2s / frac / 60).toFixed(0) : '?'} min projected (load ${load()}; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB)`,
    );
  } else {
    const h2 = both.filter((c) => c.hop === 2).length;
    log(
      `${engine}: hop 2: ${h2} contacts (${(h2 / Math.max(1, hop1.length)).toFixed(1)} per hop-1 contact) in ${hop2s.toFixed(1)} s after hop 1's ` +
        `${hop1Done.toFixed(1)} s (load ${load()}; heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB)`,
    );
  }
}

async function sqlite(): Promise<void> {
  const dir = process.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'cl-trace-bench-'));
  try {
    const db = openDatabase(join(dir, 'server.db'));
    db.pragma('cache_size = -2000000');
    db.pragma('synchronous = OFF');
    db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)').run('list_key', LIST_KEY);
    const addCp = db.prepare(
      `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at)
       VALUES (?, ?, 'open', 86400, '["F0","F1"]', 5, 0, 0)`,
    );
    const addKiosk = db.prepare(
      'INSERT INTO kiosks (no, id, name, checkpoint_id, token_hash, enrolled_at) VALUES (?, ?, ?, ?, ?, 0)',
    );
    db.transaction(() => {
      for (let c = 0; c < CHECKPOINTS; c++) {
        addCp.run(`CP${c}`, `CP${c}`);
        for (let l = 1; l <= LANES_PER_CHECKPOINT; l++) {
          const no = c * LANES_PER_CHECKPOINT + l;
          addKiosk.run(no, `lane-${no}`, `lane-${no}`, `CP${c}`, `bench-${no}`);
        }
      }
    })();
    const ins = db.prepare(
      `INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, format, subject_key, subject_sealed,
         decision, reasons, warnings, alert, vehicle_id) VALUES (?, ?, ?, ?, ?, ?, 'camera', ?, ?, ?, 'green', '[]', '[]', 0, ?)`,
    );
    const write = db.transaction((rows: Row[]) => {
      for (const r of rows)
        ins.run(
          r.kioskNo,
          r.seq,
          r.id,
          r.checkpointId,
          r.at,
          r.at,
          r.format,
          r.subjectKey,
          r.subjectSealed,
          r.vehicleId,
        );
    });
    const t = process.hrtime.bigint();
    let n = 0;
    for (const rows of scanBatches()) {
      write(rows);
      n += rows.length;
      if (n % 1_000_000 < BATCH)
        log(`sqlite: ${n} scans written, ${Math.round(n / secs(t))}/s (load ${load()})`);
    }
    db.exec('ANALYZE');
    log(`sqlite: ${n} scans written in ${secs(t).toFixed(0)} s (load ${load()})`);
    await traces('sqlite', new SqliteTraceScans(db), new TracesRepository(db));
    db.close();
    if (SERVER) await serverRun(dir);
  } finally {
    if (process.env.KEEP !== '1' && process.env.DATA_DIR === undefined)
      rmSync(dir, { recursive: true, force: true });
  }
}

/** The real server over that data dir: a trace through the API while /health is timed. */
async function serverRun(dir: string): Promise<void> {
  const token = `bench-admin-${randomBytes(8).toString('hex')}`;
  // INGEST=1: 10 of the lanes get known tokens and upload batches of 500 scans one after another
  // (POST /api/v1/kiosk/scans), 20 s without a trace, then during it.
  const INGEST = process.env.INGEST === '1';
  // INGEST_RATE: scans a second in all (0: each lane uploads its next batch as soon as the last is
  // answered, saturating the server). The model's 10M scans in 14 days are ≈ 8 a second.
  const INGEST_RATE = Number(process.env.INGEST_RATE ?? 0);
  const laneToken = (no: number): string => `bench-lane-token-${no}`;
  if (INGEST) {
    const db = openDatabase(join(dir, 'server.db'));
    const set = db.prepare('UPDATE kiosks SET token_hash = ? WHERE no = ?');
    for (let no = 1; no <= 10; no++)
      set.run(createHash('sha256').update(laneToken(no), 'utf8').digest('hex'), no);
    db.close();
  }
  const server = await startServer(dir, token);
  let uploaded = 0;
  let nextSeq = 50_000_000;
  const ingest = async (until: () => boolean): Promise<{ records: number; seconds: number }> => {
    const t0 = process.hrtime.bigint();
    const before = uploaded;
    await Promise.all(
      Array.from({ length: 10 }, async (_, l) => {
        while (!until()) {
          const started = Date.now();
          const records = Array.from({ length: 500 }, () => {
            const seq = ++nextSeq;
            const n = seq % SUBJECTS;
            return {
              type: 'scan',
              seq,
              id: `01890a5d-ac96-7fff-8000-${seq.toString(16).padStart(12, '0')}`,
              // Three days before the traced period: the trace reads only the written data.
              at: T0 - 3 * 86_400_000 + (seq % 86_400_000),
              source: 'camera',
              format: 'personal_id',
              subjectKey: BigInt.asUintN(64, personKeys[n]!).toString(16).padStart(16, '0'),
              subjectSealed: null,
              decision: 'green',
              reasons: [],
              warnings: [],
              alert: false,
            };
          });
          const res = await fetch(`${server.url}/api/v1/kiosk/scans`, {
            method: 'POST',
            headers: { authorization: `Bearer ${laneToken(l + 1)}`, 'content-type': 'application/json' },
            body: JSON.stringify({ records }),
          });
          if (res.status !== 200) throw new Error(`upload ${res.status}: ${await res.text()}`);
          await res.arrayBuffer();
          uploaded += records.length;
          // 10 lanes × 500 scans per batch at INGEST_RATE in all: one batch per lane every 5000/rate s.
          if (INGEST_RATE > 0)
            await new Promise((r) =>
              setTimeout(r, Math.max(0, (5000 / INGEST_RATE) * 1000 - (Date.now() - started))),
            );
        }
      }),
    );
    return { records: uploaded - before, seconds: secs(t0) };
  };
  try {
    const health = async (): Promise<number> => {
      const s = process.hrtime.bigint();
      const res = await fetch(`${server.url}/health`);
      await res.arrayBuffer();
      return Number(process.hrtime.bigint() - s) / 1e6;
    };
    const quiet: number[] = [];
    for (let i = 0; i < 100; i++) {
      quiet.push(await health());
      await new Promise((r) => setTimeout(r, 50));
    }
    const q = stats(quiet);
    log(
      `server: /health without a trace: p50 ${q.p50.toFixed(1)} ms, p99 ${q.p99.toFixed(1)}, max ${q.max.toFixed(1)} (load ${load()})`,
    );
    if (INGEST) {
      const end = Date.now() + 20_000;
      const r = await ingest(() => Date.now() > end);
      log(
        `server: ingest without a trace: ${r.records} scans in ${r.seconds.toFixed(1)} s = ${Math.round(r.records / r.seconds)}/s (load ${load()})`,
      );
    }
    const t = process.hrtime.bigint();
    const { id } = await api<{ id: string }>(`${server.url}/api/v1/admin/traces`, token, {
      subjects: indexSubjects.map(personText),
      // A day early: a SERVER_ONLY run's T0 is a few minutes later than the data's.
      from: String(params(1).from - 86_400_000),
      to: String(params(1).to),
      windowMinutes: WINDOW_MINUTES,
      hops: 1,
    });
    const during: number[] = [];
    let status = 'running';
    const slow: string[] = [];
    let seen: {
      status: string;
      progress?: number;
      total?: number;
      contactCount?: number | null;
      error?: string | null;
    } = {
      status,
    };
    const ticker = (async () => {
      while (status === 'running') {
        const started = Date.now();
        const ms = await health();
        during.push(ms);
        if (ms > 250)
          slow.push(`${ms.toFixed(0)} ms at ${secs(t).toFixed(0)} s (progress ${seen.progress ?? '?'})`);
        await new Promise((r) => setTimeout(r, Math.max(0, 50 - (Date.now() - started))));
      }
    })();
    const uploading = INGEST ? ingest(() => status !== 'running') : null;
    // When progress first reads 1: the search is over and its contacts are being stored.
    let searched = Number.NaN;
    while (status === 'running') {
      await new Promise((r) => setTimeout(r, 500));
      seen = await api(`${server.url}/api/v1/admin/traces/${id}?limit=1`, token);
      status = seen.status;
      if (Number.isNaN(searched) && (seen.progress ?? 0) >= 1) searched = secs(t);
    }
    const took = secs(t);
    log(
      `server: the search reached progress 1 at ${Number.isNaN(searched) ? '?' : searched.toFixed(1)} s; ` +
        `storing the contacts took the rest`,
    );
    if (slow.length > 0) log(`server: /health over 250 ms: ${slow.join('; ')}`);
    await ticker;
    if (uploading !== null) {
      const r = await uploading;
      log(
        `server: ingest during the trace: ${r.records} scans in ${r.seconds.toFixed(1)} s = ${Math.round(r.records / r.seconds)}/s`,
      );
    }
    const d = stats(during);
    const p95 = [...during].sort((a, b) => a - b)[Math.floor(0.95 * during.length)] ?? NaN;
    log(
      `server: trace ${status} (${seen.total ?? seen.contactCount ?? '?'} contacts${seen.error ? `, ${seen.error}` : ''}) in ${took.toFixed(1)} s ` +
        `(POST to done, polled every 0.5 s); /health meanwhile (${d.n} requests): p50 ${d.p50.toFixed(1)} ms, ` +
        `p95 ${p95.toFixed(1)}, p99 ${d.p99.toFixed(1)}, max ${d.max.toFixed(1)} (load ${load()})`,
    );
  } finally {
    await server.stop();
  }
}

async function postgres(): Promise<void> {
  type OpenPg = typeof import('../sync-server/dist/db/pg/open-pg.js');
  type Migrate = typeof import('../sync-server/dist/db/pg/pg-migrate.js');
  type Migrations = typeof import('../sync-server/dist/db/pg/pg-migrations.js');
  type PgTraces = typeof import('../sync-server/dist/db/pg/stores/pg-traces.js');
  const { openPg } = (await import(dist('db/pg/open-pg.js'))) as OpenPg;
  const { runPgMigrations } = (await import(dist('db/pg/pg-migrate.js'))) as Migrate;
  const { PG_MIGRATIONS } = (await import(dist('db/pg/pg-migrations.js'))) as Migrations;
  const { PgTraceScansStore, PgTracesStore } = (await import(dist('db/pg/stores/pg-traces.js'))) as PgTraces;
  const name = `cl_bench_trace_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const pool = await openPg({
    url: url.toString(),
    max: 4,
    applicationName: 'cl-bench-trace',
    statementTimeoutMs: 600_000,
  });
  try {
    await runPgMigrations(pool, PG_MIGRATIONS);
    await pool.query('SELECT ensure_scan_partitions($1, 2)', [T0]);
    for (let c = 0; c < CHECKPOINTS; c++) {
      await pool.query(
        `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec,
           created_at, updated_at) VALUES ($1, $1, 'open', 86400, '["F0","F1"]', 5, 0, 0)`,
        [`CP${c}`],
      );
      for (let l = 1; l <= LANES_PER_CHECKPOINT; l++) {
        const no = c * LANES_PER_CHECKPOINT + l;
        await pool.query(
          `INSERT INTO kiosks (no, id, name, checkpoint_id, token_hash, enrolled_at) VALUES ($1, $2, $2, $3, $2, 0)`,
          [no, `lane-${no}`, `CP${c}`],
        );
      }
    }
    const t = process.hrtime.bigint();
    let n = 0;
    for (const rows of scanBatches()) {
      await pool.query(
        `INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, format, subject_key, subject_sealed,
           decision, reasons, warnings, alert, vehicle_id)
         SELECT k, s, i, c, a, a, 'camera', f, sk, ss, 'green', '[]', '[]', false, v
         FROM unnest($1::bigint[], $2::bigint[], $3::uuid[], $4::text[], $5::bigint[], $6::text[], $7::bigint[], $8::text[], $9::uuid[])
           AS u (k, s, i, c, a, f, sk, ss, v)`,
        [
          rows.map((r) => r.kioskNo),
          rows.map((r) => r.seq),
          rows.map((r) => r.id),
          rows.map((r) => r.checkpointId),
          rows.map((r) => r.at),
          rows.map((r) => r.format),
          rows.map((r) => r.subjectKey.toString()),
          rows.map((r) => r.subjectSealed),
          rows.map((r) => r.vehicleId),
        ],
      );
      n += rows.length;
      if (n % 1_000_000 < BATCH)
        log(`postgres: ${n} scans written, ${Math.round(n / secs(t))}/s (load ${load()})`);
    }
    await pool.query('ANALYZE scans');
    log(`postgres: ${n} scans written in ${secs(t).toFixed(0)} s (load ${load()})`);
    await traces('postgres', new PgTraceScansStore(pool), new PgTracesStore(pool));
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

console.log(`machine: ${machine()}; load ${load()}`);
console.log(
  `model: ${SCANS} scans over ${DAYS} days at ${CHECKPOINTS} checkpoints (${LANES_PER_CHECKPOINT} lanes each): ` +
    `${(SCANS / CHECKPOINTS / (DAYS * 24)).toFixed(0)} scans per checkpoint per hour; ${SUBJECTS} subjects ` +
    `(${SCANS_PER_SUBJECT} scans each on average), 1 event in 50 a vehicle (plate + 3 passengers); ` +
    `window ±${WINDOW_MINUTES} min: expected ≈ ${((SCANS_PER_SUBJECT * SCANS * 2 * WINDOW_MINUTES) / (CHECKPOINTS * DAYS * 24 * 60)).toFixed(0)} contacts per index subject`,
);
for (const e of ENGINES) {
  if (e === 'sqlite' && SERVER_ONLY) await serverRun(process.env.DATA_DIR ?? '');
  else if (e === 'sqlite') await sqlite();
  else if (e === 'postgres') await postgres();
  else throw new Error(`ENGINES: unknown engine ${e}`);
}
