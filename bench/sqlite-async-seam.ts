// What making the SQLite path asynchronous costs (docs/fleet-mode.md, "the seam"): scan ingest of
// 1,000-record batches on real SQLite files, four ways, each on its own database file, batch by
// batch in turns (the order rotated every batch, so machine load and file growth hit all alike):
//   sync        ScansRepository.ingest called directly (today's path)
//   async-call  the same call behind an async method that is awaited (the seam's interface with
//               SQLite synchronous underneath: one await per repository call)
//   stmt-sync   a plain ingest loop (one INSERT OR IGNORE per record) in db.transaction()
//   stmt-async  the same loop written once for both engines: withTransaction(async tx => …) on
//               SQLite (a promise queue so no other caller's statements interleave, BEGIN
//               IMMEDIATE … COMMIT) and one await per statement
//   sync-b, stmt-sync-b  controls (A/A): the sync paths again on files of their own, to show
//               what the bench itself reads as a difference
// Each comparison is also read per round (the two sides' times in the same round, as a ratio), the
// median of which is steadier than comparing medians when other work loads the machine.
// HTTP and JSON parsing, the same in all, are left out. Not a test.
// Run (after `npx tsc -b`): npx tsx bench/sqlite-async-seam.ts   (env: BATCHES per side, default 200)
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LaneRecord } from '@checkpoint-lane/shared';
import type { Statement } from 'better-sqlite3';
import { openDatabase, type Db } from '@checkpoint-lane/sync-server';
import { machine, stats } from './server-bench-support.js';

type Repo = typeof import('../sync-server/dist/db/repositories/scans-repository.js');
type ScansRepository = InstanceType<Repo['ScansRepository']>;
const { ScansRepository } = (await import(
  new URL('../sync-server/dist/db/repositories/scans-repository.js', import.meta.url).href
)) as Repo;

const BATCHES = Number(process.env.BATCHES ?? 200);
const SIZE = 1000;

/** A transaction that may await inside: callers queue, so one transaction runs at a time. */
class AsyncSqlite {
  #queue: Promise<unknown> = Promise.resolve();
  readonly #statements = new Map<string, Statement>();
  constructor(readonly db: Db) {}

  withTransaction<T>(work: (tx: AsyncSqlite) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        this.db.exec('ROLLBACK');
        throw err;
      }
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** One statement (prepared once per SQL text), answered asynchronously as a PostgreSQL client would. */
  run(sql: string, params: unknown[]): Promise<number> {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return Promise.resolve(stmt.run(...params).changes);
  }
}

/** The seam's interface for ingest, with SQLite synchronous underneath. */
class AsyncScans {
  constructor(private readonly inner: ScansRepository) {}
  // eslint-disable-next-line @typescript-eslint/require-await -- the seam's shape: async over a sync call
  async ingest(
    ...args: Parameters<ScansRepository['ingest']>
  ): Promise<ReturnType<ScansRepository['ingest']>> {
    return this.inner.ingest(...args);
  }
}

const INSERT_SCAN = `INSERT OR IGNORE INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, format,
  subject_key, subject_sealed, decision, reasons, warnings, alert) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function scanParams(r: LaneRecord & { type: 'scan' }, now: number): unknown[] {
  return [
    1,
    r.seq,
    r.id,
    'CP',
    r.at,
    now,
    r.source,
    r.format,
    r.subjectKey === null ? null : BigInt.asIntN(64, BigInt(`0x${r.subjectKey}`)),
    r.subjectSealed,
    r.decision,
    JSON.stringify(r.reasons),
    JSON.stringify(r.warnings),
    r.alert ? 1 : 0,
  ];
}

function batch(b: number): (LaneRecord & { type: 'scan' })[] {
  return Array.from({ length: SIZE }, (_, i) => {
    const seq = b * SIZE + i + 1;
    return {
      type: 'scan' as const,
      seq,
      id: `01890a5d-ac96-7000-8000-${seq.toString(16).padStart(12, '0')}`,
      at: 1_700_000_000_000 + seq,
      source: 'camera' as const,
      format: 'chip_id_card' as const,
      subjectKey: (BigInt(seq) * 0x9e3779b97f4a7c15n).toString(16).slice(-16).padStart(16, '0'),
      subjectSealed: null,
      decision: seq % 50 === 0 ? ('amber' as const) : ('green' as const),
      reasons: ['not_flagged'],
      warnings: [],
      alert: false,
    };
  });
}

function openSide(dir: string, name: string): Db {
  const db = openDatabase(join(dir, `${name}.db`));
  const t = Date.now();
  db.prepare(
    `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at)
     VALUES ('CP', 'CP', 'open', 86400, '["F0"]', 60, ?, ?)`,
  ).run(t, t);
  db.prepare(
    `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k1', 'lane', 'CP', 'h', ?)`,
  ).run(t);
  return db;
}

const dir = mkdtempSync(join(tmpdir(), 'cl-bench-seam-'));
try {
  const dbs = Object.fromEntries(
    ['sync', 'async-call', 'stmt-sync', 'stmt-async', 'sync-b', 'stmt-sync-b'].map((n) => [
      n,
      openSide(dir, n),
    ]),
  ) as Record<string, Db>;
  const syncRepo = new ScansRepository(dbs.sync!);
  const syncRepoB = new ScansRepository(dbs['sync-b']!);
  const asyncRepo = new AsyncScans(new ScansRepository(dbs['async-call']!));
  const stmtDb = dbs['stmt-sync']!;
  const stmtInsert = stmtDb.prepare(INSERT_SCAN);
  const stmtDbB = dbs['stmt-sync-b']!;
  const stmtInsertB = stmtDbB.prepare(INSERT_SCAN);
  const stmtSync = (db: Db, ins: Statement, r: ReturnType<typeof batch>, now: number): Promise<number> =>
    Promise.resolve(
      db.transaction(() => {
        let n = 0;
        for (const rec of r) n += ins.run(...scanParams(rec, now)).changes;
        return n;
      })(),
    );
  const asyncDb = new AsyncSqlite(dbs['stmt-async']!);
  const sides: { name: string; run: (records: ReturnType<typeof batch>, now: number) => Promise<number> }[] =
    [
      { name: 'sync', run: (r, now) => Promise.resolve(syncRepo.ingest('k1', 'CP', r, now).inserted) },
      { name: 'async-call', run: async (r, now) => (await asyncRepo.ingest('k1', 'CP', r, now)).inserted },
      { name: 'stmt-sync', run: (r, now) => stmtSync(stmtDb, stmtInsert, r, now) },
      { name: 'sync-b', run: (r, now) => Promise.resolve(syncRepoB.ingest('k1', 'CP', r, now).inserted) },
      { name: 'stmt-sync-b', run: (r, now) => stmtSync(stmtDbB, stmtInsertB, r, now) },
      {
        name: 'stmt-async',
        run: (r, now) =>
          asyncDb.withTransaction(async (tx) => {
            let n = 0;
            for (const rec of r) n += await tx.run(INSERT_SCAN, scanParams(rec, now));
            return n;
          }),
      },
    ];
  const ms: Record<string, number[]> = Object.fromEntries(sides.map((s) => [s.name, []]));
  for (let b = 0; b < BATCHES; b++) {
    const records = batch(b);
    const now = Date.now();
    for (let k = 0; k < sides.length; k++) {
      const side = sides[(b + k) % sides.length]!;
      const t0 = process.hrtime.bigint();
      const inserted = await side.run(records, now);
      const t1 = process.hrtime.bigint();
      if (inserted !== SIZE)
        throw new Error(`${side.name}: batch ${b} inserted ${inserted}, expected ${SIZE}`);
      ms[side.name]!.push(Number(t1 - t0) / 1e6);
    }
  }
  console.log(`machine: ${machine()}`);
  console.log(`${BATCHES} batches of ${SIZE} scans per side, one lane, in turns`);
  const base: Record<string, number> = {};
  for (const s of sides) {
    const st = stats(ms[s.name]!);
    base[s.name] = st.p50;
    const total = ms[s.name]!.reduce((a, x) => a + x, 0);
    console.log(
      `${s.name.padEnd(10)} batch p50 ${st.p50.toFixed(2)} ms  p90 ${st.p90.toFixed(2)} ms  ` +
        `${Math.round((BATCHES * SIZE) / (total / 1000))} records/s`,
    );
  }
  const compare = (a: string, b: string): void => {
    const ratios = ms[a]!.map((x, i) => x / ms[b]![i]!);
    const paired = (stats(ratios).p50 - 1) * 100;
    const medians = ((base[a]! - base[b]!) / base[b]!) * 100;
    console.log(
      `${a} vs ${b}: per-round ratio median ${paired.toFixed(1)} %, batch p50 ${medians.toFixed(1)} %`,
    );
  };
  compare('async-call', 'sync');
  compare('sync-b', 'sync');
  compare('stmt-async', 'stmt-sync');
  compare('stmt-sync-b', 'stmt-sync');
  // What one await of an already-settled promise costs here: the floor of the async path's overhead.
  const AWAITS = 1_000_000;
  const a0 = process.hrtime.bigint();
  let sum = 0;
  for (let i = 0; i < AWAITS; i++) sum += await Promise.resolve(i & 1);
  const perAwaitNs = Number(process.hrtime.bigint() - a0) / AWAITS;
  if (sum !== AWAITS / 2) throw new Error('await loop miscounted');
  const awaitMs = (perAwaitNs * SIZE) / 1e6;
  console.log(
    `one await: ${perAwaitNs.toFixed(0)} ns; ${SIZE} awaits per batch: ${awaitMs.toFixed(3)} ms ` +
      `(${((awaitMs / base['stmt-sync']!) * 100).toFixed(2)} % of a stmt-sync batch)`,
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  for (const db of Object.values(dbs)) db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
