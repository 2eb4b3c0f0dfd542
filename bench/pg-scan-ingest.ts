// Scan ingest on PostgreSQL through the ported store (PgScansStore.upload: the ledger, scans,
// alerts, judging, roll-up, acked-through, health-release audit in one transaction per batch),
// with 3 pools standing for 3 servers on one database. Each lane uploads its batches one after
// another (as a lane does: the next batch after the answer), sending each to the next server in
// turn; all lanes at once. Then every batch again (0 stored expected). While the first pass runs,
// an "export" asks lastNo() every 500 ms (it waits for uploads in flight): its latency is shown.
// Not a test. Needs a PostgreSQL where it may create and drop a database (default: user postgres
// on 127.0.0.1:5432, as scripts/start-postgres.sh sets up; CHECKPOINT_TEST_PG_URL names another).
// Run (after `npx tsc -b`): npx tsx bench/pg-scan-ingest.ts
//   env: LANES 12, CHECKPOINTS 4, BATCHES 20 per lane, SERVERS 3, POOL 4 connections per server,
//   PASS_EVERY 0 (N > 0: 1 scan in N reads a lane pass — the replay check's A/B, issue 16: passes
//   shared by the lanes of one checkpoint, 1 pass in 100 scanned at every checkpoint at once)
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import pg from 'pg';
import type { LaneRecord } from '@checkpoint-lane/shared';
import { machine, stats } from './server-bench-support.js';

type OpenPg = typeof import('../sync-server/dist/db/pg/open-pg.js');
type Migrate = typeof import('../sync-server/dist/db/pg/pg-migrate.js');
type Migrations = typeof import('../sync-server/dist/db/pg/pg-migrations.js');
type Scans = typeof import('../sync-server/dist/db/pg/stores/pg-scans.js');
const dist = (p: string): string => new URL(`../sync-server/dist/db/pg/${p}`, import.meta.url).href;
const { openPg } = (await import(dist('open-pg.js'))) as OpenPg;
const { runPgMigrations } = (await import(dist('pg-migrate.js'))) as Migrate;
const { PG_MIGRATIONS } = (await import(dist('pg-migrations.js'))) as Migrations;
const { PgScansStore } = (await import(dist('stores/pg-scans.js'))) as Scans;

const LANES = Number(process.env.LANES ?? 12);
const CHECKPOINTS = Number(process.env.CHECKPOINTS ?? 4);
const BATCHES = Number(process.env.BATCHES ?? 20);
const SERVERS = Number(process.env.SERVERS ?? 3);
const POOL = Number(process.env.POOL ?? 4);
const PASS_EVERY = Number(process.env.PASS_EVERY ?? 0);
const SIZE = 1000;
const HEALTH = 10_000;
const ADMIN_URL = process.env.CHECKPOINT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const hex = (k: bigint): string => BigInt.asUintN(64, k).toString(16).padStart(16, '0');
/** Subject n's key: the first HEALTH subjects are on the health list (F0 or recovered). */
const keyOf = (n: number): bigint => BigInt.asIntN(64, BigInt(n + 1) * 0x9e3779b97f4a7c15n);

/**
 * The pass a lane's scan `seq` reads: shared by the lanes of one checkpoint (same time, one place:
 * no replay), and 1 in 100 by every lane (every checkpoint at once: replays).
 */
function passIdOf(lane: number, seq: number): string {
  const everywhere = seq % (PASS_EVERY * 100) === 3;
  const n = everywhere ? (1n << 48n) | BigInt(seq) : (BigInt(lane % CHECKPOINTS) << 40n) | BigInt(seq);
  return n.toString(16).padStart(16, '0');
}

/**
 * One lane's batch: scans of random subjects (1 in 200 on the health list), 1 in 50 flagged by
 * the lane, 1 in 100 records an acknowledgement of the scan before it.
 */
function makeBatch(lane: number, b: number): LaneRecord[] {
  const out: LaneRecord[] = [];
  const t0 = Date.now() - 3_600_000;
  for (let i = 0; i < SIZE; i++) {
    const seq = b * SIZE + i + 1;
    const id = `01890a5d-ac96-7${lane.toString(16).padStart(3, '0')}-8000-${seq.toString(16).padStart(12, '0')}`;
    if (seq % 100 === 0) {
      const prev = seq - 1;
      out.push({
        type: 'ack',
        seq,
        id,
        at: t0 + seq * 10 + 5,
        scanId: `01890a5d-ac96-7${lane.toString(16).padStart(3, '0')}-8000-${prev.toString(16).padStart(12, '0')}`,
        decision: 'amber',
        note: '',
      });
      continue;
    }
    const subject = seq % 200 === 7 ? (seq * 31 + lane) % HEALTH : HEALTH + lane * 10_000_000 + seq;
    out.push({
      type: 'scan',
      seq,
      id,
      at: t0 + seq * 10,
      source: 'camera',
      format: 'personal_id',
      subjectKey: hex(keyOf(subject)),
      subjectSealed: null,
      decision: seq % 50 === 0 ? 'red' : seq % 20 === 0 ? 'amber' : 'green',
      reasons: seq % 50 === 0 ? ['health_blocked'] : [],
      warnings: [],
      alert: seq % 50 === 0,
      ...(PASS_EVERY > 0 && seq % PASS_EVERY === 3 && { passId: passIdOf(lane, seq) }),
    });
  }
  return out;
}

const name = `cl_bench_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
const pools = await Promise.all(
  Array.from({ length: SERVERS }, (_, i) =>
    openPg({ url: url.toString(), max: POOL, applicationName: `cl-bench-server-${i}` }),
  ),
);
try {
  const first = pools[0]!;
  await runPgMigrations(first, PG_MIGRATIONS);
  for (let c = 0; c < CHECKPOINTS; c++)
    await first.query(
      `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec,
         created_at, updated_at, lat, lon) VALUES ($1, $1, 'open', 86400, '["F0","F1"]', 5, 0, 0, $2, 106.7)`,
      [`CP${c}`, 10 + c],
    );
  await first.query(
    `INSERT INTO health_entries (subject_key, subject, status, version, updated_at)
     SELECT k, 'personal_id:' || n, CASE WHEN n % 2 = 0 THEN 'F0' ELSE 'recovered' END, 1, 0
     FROM unnest($1::bigint[]) WITH ORDINALITY AS u (k, n)`,
    [Array.from({ length: HEALTH }, (_, n) => String(keyOf(n)))],
  );
  const lanes = Array.from({ length: LANES }, (_, l) => ({
    id: `lane-${l}`,
    checkpointId: `CP${l % CHECKPOINTS}`,
  }));
  for (const l of lanes)
    await first.query(
      `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ($1, $1, $2, $1, 0)`,
      [l.id, l.checkpointId],
    );
  const servers = pools.map((p) => new PgScansStore(p));
  const batches = lanes.map((_, l) => Array.from({ length: BATCHES }, (_, b) => makeBatch(l, b)));

  async function pass(): Promise<{ seconds: number; ms: number[]; inserted: number; alerts: number }> {
    const ms: number[] = [];
    let inserted = 0;
    let alerts = 0;
    let turn = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      lanes.map(async (lane, l) => {
        for (const batch of batches[l]!) {
          const server = servers[turn++ % servers.length]!;
          const s = process.hrtime.bigint();
          const r = await server.upload(lane, batch, Date.now(), ['F0', 'F1']);
          ms.push(Number(process.hrtime.bigint() - s) / 1e6);
          inserted += r.inserted;
          alerts += r.alerts.length;
        }
      }),
    );
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, ms, inserted, alerts };
  }

  // An export starting every 500 ms on the last server while the first pass runs.
  const settle: number[] = [];
  const exporting = { on: true };
  const exporter = (async () => {
    while (exporting.on) {
      const s = process.hrtime.bigint();
      await servers.at(-1)!.lastNo();
      settle.push(Number(process.hrtime.bigint() - s) / 1e6);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  const one = await pass();
  exporting.on = false;
  await exporter;
  const again = await pass();
  const total = LANES * BATCHES * SIZE;
  const acked = await first.query<{ n: number }>(
    'SELECT count(*) AS n FROM kiosks WHERE acked_through = $1',
    [BATCHES * SIZE],
  );
  const counts = await first.query<{ scans: number; acks: number; alerts: number }>(
    `SELECT (SELECT count(*) FROM scans) AS scans, (SELECT count(*) FROM acks) AS acks,
       (SELECT count(*) FROM alerts) AS alerts`,
  );
  const st = stats(one.ms);
  const se = stats(settle);
  console.log(`machine: ${machine()}`);
  console.log(
    `${SERVERS} servers (pools of ${POOL}) on one PostgreSQL, ${LANES} lanes at ${CHECKPOINTS} checkpoints × ${BATCHES} batches × ${SIZE} records` +
      (PASS_EVERY > 0 ? `, 1 scan in ${PASS_EVERY} of a lane pass` : ', no lane passes'),
  );
  console.log(
    `first pass: ${one.inserted} stored in ${one.seconds.toFixed(1)} s = ${Math.round(total / one.seconds)} records/s; ` +
      `batch p50 ${st.p50.toFixed(0)} ms p90 ${st.p90.toFixed(0)} ms p99 ${st.p99.toFixed(0)} ms max ${st.max.toFixed(0)} ms; ` +
      `${one.alerts} alerts raised`,
  );
  console.log(
    `lastNo() during it (${se.n} calls): p50 ${se.p50.toFixed(1)} ms p90 ${se.p90.toFixed(1)} ms max ${se.max.toFixed(1)} ms`,
  );
  console.log(
    `re-sent: ${again.inserted} stored (0 expected) in ${again.seconds.toFixed(1)} s = ` +
      `${Math.round(total / again.seconds)} records/s; lanes acked through ${BATCHES * SIZE}: ${acked.rows[0]!.n}/${LANES}`,
  );
  console.log(`stored: ${JSON.stringify(counts.rows[0])}`);
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  if (one.inserted !== total || again.inserted !== 0 || acked.rows[0]!.n !== LANES)
    throw new Error('ingest stored a wrong count');
} finally {
  await Promise.all(pools.map((p) => p.end()));
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
