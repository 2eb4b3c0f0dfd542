// Why a recorded scan's commit has a tail: the lane outbox's INSERT (same schema and pragmas as
// kiosk/src/store: WAL, synchronous=FULL) on a plain better-sqlite3 connection, with SQLite's
// automatic WAL checkpoints (every 1000 pages, run inside the commit that crosses the mark) and
// without them, and without AUTOINCREMENT. An experiment for docs/benchmarks.md, not a test.
// Run: npx tsx bench/lane-record-commit.ts     env: COMMITS (3000)
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { uuidV7 } from '@checkpoint-lane/kiosk';
import { machine, row, SAMPLE_SCAN_RECORD, summarize } from './lane-support.js';

const COMMITS = Number(process.env['COMMITS'] ?? 3000);
const RECORD = JSON.stringify(SAMPLE_SCAN_RECORD);

const dir = mkdtempSync(join(tmpdir(), 'cl-lane-bench-commit-'));
console.log(
  `machine: ${machine()}; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const results: Record<string, unknown> = {};
try {
  for (const variant of ['as the lane store', 'no auto-checkpoint', 'no AUTOINCREMENT'] as const) {
    const db = new Database(join(dir, `${variant.replace(/\W+/g, '-')}.db`));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    if (variant === 'no auto-checkpoint') db.pragma('wal_autocheckpoint = 0');
    db.exec(`CREATE TABLE outbox (
      seq    INTEGER PRIMARY KEY ${variant === 'no AUTOINCREMENT' ? '' : 'AUTOINCREMENT'},
      id     TEXT NOT NULL UNIQUE,
      at     INTEGER NOT NULL,
      urgent INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1)),
      record TEXT NOT NULL)`);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const insert = db.prepare('INSERT INTO outbox (id, at, urgent, record) VALUES (?, ?, 0, ?)');
    const times: number[] = [];
    for (let i = 0; i < COMMITS; i++) {
      const now = Date.now();
      const t0 = performance.now();
      insert.run(uuidV7(now), now, RECORD);
      times.push(performance.now() - t0);
    }
    const [ck] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    const s = summarize(times);
    const slow = times.filter((t) => t > 2).length;
    console.log(row(variant, s));
    if (variant === 'no auto-checkpoint') {
      console.log(
        `  WAL frames after ${COMMITS} commits: ${ck?.log ?? NaN} (${((ck?.log ?? NaN) / COMMITS).toFixed(2)} pages per commit)`,
      );
    }
    console.log(`  commits over 2 ms: ${slow}`);
    results[variant] = {
      ...s,
      over2ms: slow,
      ...(variant === 'no auto-checkpoint' && { walFrames: ck?.log }),
    };
    db.close();
  }
  console.log(
    JSON.stringify({
      bench: 'lane-record-commit',
      date: new Date().toISOString(),
      machine: machine(),
      loadavg: loadavg(),
      commits: COMMITS,
      results,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
