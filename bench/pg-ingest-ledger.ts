// A first look at scan ingest on PostgreSQL with the fleet schema (docs/fleet-mode.md): batches
// of 1,000 scans from several lanes, each batch one transaction of five statements (the lane's
// row locked, the ledger insert with unnest … ON CONFLICT DO NOTHING RETURNING, the scans insert
// of what went in, the hourly roll-up upsert, the lane's acked-through), then every batch sent again (0 new rows
// expected). Not the ported repository (no alerts, no judging): the floor the port starts from.
// Not a test. Needs a PostgreSQL where it may create and drop a database (default: user postgres
// on 127.0.0.1:5432, as scripts/start-postgres.sh sets up; CHECKPOINT_TEST_PG_URL names another).
// Run (after `npx tsc -b`): npx tsx bench/pg-ingest-ledger.ts   (env: LANES 10, BATCHES 20 per lane,
// CONCURRENCY 4 batches in flight)
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import pg from 'pg';
import { machine, stats } from './server-bench-support.js';

type OpenPg = typeof import('../sync-server/dist/db/pg/open-pg.js');
type Migrate = typeof import('../sync-server/dist/db/pg/pg-migrate.js');
type Migrations = typeof import('../sync-server/dist/db/pg/pg-migrations.js');
const dist = (p: string): string => new URL(`../sync-server/dist/db/pg/${p}`, import.meta.url).href;
const { openPg } = (await import(dist('open-pg.js'))) as OpenPg;
const { runPgMigrations } = (await import(dist('pg-migrate.js'))) as Migrate;
const { PG_MIGRATIONS } = (await import(dist('pg-migrations.js'))) as Migrations;

const LANES = Number(process.env.LANES ?? 10);
const BATCHES = Number(process.env.BATCHES ?? 20);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const SIZE = 1000;
const ADMIN_URL = process.env.CHECKPOINT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Batch {
  kno: number;
  seqs: number[];
  ids: string[];
  ats: number[];
  keys: string[];
  decisions: string[];
}

function makeBatch(kno: number, lane: number, b: number): Batch {
  const seqs = Array.from({ length: SIZE }, (_, i) => b * SIZE + i + 1);
  return {
    kno,
    seqs,
    ids: seqs.map(
      (s) => `01890a5d-ac96-7${String(lane).padStart(3, '0')}-8000-${s.toString(16).padStart(12, '0')}`,
    ),
    ats: seqs.map((s) => Date.now() - 60_000 + s),
    keys: seqs.map((s) => BigInt.asIntN(64, BigInt(s * LANES + lane) * 0x9e3779b97f4a7c15n).toString()),
    decisions: seqs.map((s) => (s % 50 === 0 ? 'amber' : 'green')),
  };
}

async function ingest(pool: pg.Pool, batch: Batch, now: number): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One lane's uploads take turns (its row locked), so each sees what the one before it stored.
    await client.query('SELECT 1 FROM kiosks WHERE no = $1 FOR UPDATE', [batch.kno]);
    const fresh = await client.query<{ seq: number }>(
      `INSERT INTO lane_records (kiosk_no, seq, id, kind, at, received_at)
       SELECT $1, s, i, 'scan', a, $5 FROM unnest($2::bigint[], $3::uuid[], $4::bigint[]) AS u (s, i, a)
       ON CONFLICT DO NOTHING RETURNING seq`,
      [batch.kno, batch.seqs, batch.ids, batch.ats, now],
    );
    if (fresh.rowCount !== 0) {
      await client.query(
        `INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, format, subject_key, decision,
           reasons, warnings, alert)
         SELECT $1, s, i, 'CP', a, $2, 'camera', 'chip_id_card', k, d, '["not_flagged"]', '[]', false
         FROM unnest($3::bigint[], $4::uuid[], $5::bigint[], $6::bigint[], $7::text[]) AS u (s, i, a, k, d)
         WHERE s = ANY($8::bigint[])`,
        [
          batch.kno,
          now,
          batch.seqs,
          batch.ids,
          batch.ats,
          batch.keys,
          batch.decisions,
          fresh.rows.map((r) => r.seq),
        ],
      );
      await client.query(
        `INSERT INTO scan_hourly (checkpoint_id, hour, decision, count)
         SELECT 'CP', a - a % 3600000, d, count(*) FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS u (a, d, s)
         WHERE s = ANY($4::bigint[]) GROUP BY 2, 3
         ON CONFLICT (hour, checkpoint_id, decision) DO UPDATE SET count = scan_hourly.count + excluded.count`,
        [batch.ats, batch.decisions, batch.seqs, fresh.rows.map((r) => r.seq)],
      );
    }
    // The highest contiguous seq held: the first seq above the stored one whose successor is missing.
    await client.query(
      `UPDATE kiosks k SET acked_through = coalesce((
         SELECT min(r.seq) FROM lane_records r
         WHERE r.kiosk_no = $1 AND r.seq > k.acked_through
           AND NOT EXISTS (SELECT 1 FROM lane_records n WHERE n.kiosk_no = $1 AND n.seq = r.seq + 1)
           AND EXISTS (SELECT 1 FROM lane_records f WHERE f.kiosk_no = $1 AND f.seq = k.acked_through + 1)),
         k.acked_through)
       WHERE no = $1`,
      [batch.kno],
    );
    await client.query('COMMIT');
    return fresh.rowCount ?? 0;
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

const name = `cl_bench_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
const pool = await openPg({ url: url.toString(), max: CONCURRENCY, applicationName: 'cl-bench' });
try {
  await runPgMigrations(pool, PG_MIGRATIONS);
  await pool.query(`INSERT INTO checkpoints VALUES ('CP', 'CP', 'open', 86400, '["F0"]', 60, NULL, 0, 0)`);
  const knos: number[] = [];
  for (let i = 0; i < LANES; i++) {
    const r = await pool.query<{ no: number }>(
      `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ($1, $1, 'CP', $1, 0) RETURNING no`,
      [`k${i}`],
    );
    knos.push(r.rows[0]!.no);
  }
  const batches: Batch[] = [];
  for (let b = 0; b < BATCHES; b++) for (let l = 0; l < LANES; l++) batches.push(makeBatch(knos[l]!, l, b));

  async function pass(): Promise<{ seconds: number; ms: number[]; inserted: number }> {
    const ms: number[] = [];
    let next = 0;
    let inserted = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          const s = process.hrtime.bigint();
          const n = await ingest(pool, batch, Date.now());
          inserted += n;
          ms.push(Number(process.hrtime.bigint() - s) / 1e6);
        }
      }),
    );
    return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, ms, inserted };
  }
  const first = await pass();
  const again = await pass();
  const acked = await pool.query<{ n: number }>('SELECT count(*) AS n FROM kiosks WHERE acked_through = $1', [
    BATCHES * SIZE,
  ]);
  const total = LANES * BATCHES * SIZE;
  const st = stats(first.ms);
  console.log(`machine: ${machine()}`);
  console.log(`${LANES} lanes × ${BATCHES} batches × ${SIZE} scans, ${CONCURRENCY} batches in flight`);
  console.log(
    `first pass: ${first.inserted} stored in ${first.seconds.toFixed(1)} s = ${Math.round(total / first.seconds)} records/s; ` +
      `batch p50 ${st.p50.toFixed(1)} ms p90 ${st.p90.toFixed(1)} ms p99 ${st.p99.toFixed(1)} ms`,
  );
  console.log(
    `re-sent: ${again.inserted} stored (0 expected) in ${again.seconds.toFixed(1)} s = ` +
      `${Math.round(total / again.seconds)} records/s; lanes acked through ${BATCHES * SIZE}: ${acked.rows[0]!.n}/${LANES}`,
  );
  const size = await pool.query<{ scans: string; ledger: string }>(
    `SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS scans,
       pg_size_pretty(pg_total_relation_size('lane_records')) AS ledger
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'scans'::regclass`,
  );
  console.log(`on disk: scans ${size.rows[0]!.scans} (with indexes), ledger ${size.rows[0]!.ledger}`);
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  if (first.inserted !== total || again.inserted !== 0) throw new Error('ingest stored a wrong count');
} finally {
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
