// What the replay check (issue 16) costs the SQLite scan ingest, as an A/B in one process:
// `ScansRepository.ingest` of this build on two database files, batch by batch in turns (the
// order swapped every batch, so machine load hits both alike). Side A's scans read no lane pass;
// on side B 1 scan in PASS_EVERY reads one (the replay check's query runs for each such batch):
// each pass is read by two lanes of a located checkpoint (no replay), and 1 pass in 100 also at a
// second located checkpoint 1,100 km away the same minute (a replay alert). Same scans otherwise.
// HTTP and JSON parsing, identical in both, are left out. Not a test.
// Run (after `npx tsc -b`): npx tsx bench/server-ingest-replay.ts
//   env: BATCHES (1000 per side), PASS_EVERY (20)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LaneRecord } from '@checkpoint-lane/shared';
import { machine } from './server-bench-support.js';

type OpenDb = typeof import('../sync-server/dist/db/open-database.js');
type Repo = typeof import('../sync-server/dist/db/repositories/scans-repository.js');
const dist = new URL('../sync-server/dist/', import.meta.url).href;
const { openDatabase } = (await import(new URL('db/open-database.js', dist).href)) as OpenDb;
const { ScansRepository } = (await import(new URL('db/repositories/scans-repository.js', dist).href)) as Repo;

const BATCHES = Number(process.env.BATCHES ?? 1000);
const PASS_EVERY = Number(process.env.PASS_EVERY ?? 20);
const SIZE = 500;
const LANES = 50;

function side(dir: string) {
  const db = openDatabase(join(dir, 'server.db'));
  const t = Date.now();
  const cp = db.prepare(
    `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at,
       updated_at, lat, lon) VALUES (?, ?, 'open', 86400, '["F0"]', 60, ?, ?, ?, ?)`,
  );
  cp.run('HN', 'HN', t, t, 21.0285, 105.8542);
  cp.run('SG', 'SG', t, t, 10.7769, 106.7009);
  for (let i = 0; i < LANES; i++)
    db.prepare(
      `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES (?, ?, ?, ?, ?)`,
    ).run(`k${i}`, `lane ${i}`, i === LANES - 1 ? 'SG' : 'HN', `h${i}`, t);
  return { db, repo: new ScansRepository(db), ms: [] as number[], alerts: 0 };
}

const dirA = mkdtempSync(join(tmpdir(), 'cl-bench-replay-a-'));
const dirB = mkdtempSync(join(tmpdir(), 'cl-bench-replay-b-'));
try {
  const a = side(dirA);
  const b = side(dirB);
  const batch = (lane: number, nth: number, passes: boolean): LaneRecord[] =>
    Array.from({ length: SIZE }, (_, i) => {
      const seq = nth * SIZE + i + 1;
      // Lanes 2k and 2k+1 (at HN) read the same passes; the last lane (at SG) reads 1 in 100 of lane 0's.
      const pass =
        passes && seq % PASS_EVERY === 3
          ? lane === LANES - 1
            ? seq % (PASS_EVERY * 100) === 3
              ? `${(0n << 40n) | BigInt(seq)}`
              : `${(BigInt(lane) << 40n) | BigInt(seq)}`
            : `${(BigInt(lane >> 1) << 40n) | BigInt(seq)}`
          : null;
      return {
        type: 'scan',
        seq,
        id: `01890a5d-ac96-7${String(lane).padStart(3, '0')}-8000-${seq.toString(16).padStart(12, '0')}`,
        at: 1_700_000_000_000 + seq * 1000,
        source: 'camera',
        format: pass === null ? 'chip_id_card' : 'lane_pass',
        subjectKey: (BigInt(seq * LANES + lane) * 0x9e3779b97f4a7c15n)
          .toString(16)
          .slice(-16)
          .padStart(16, '0'),
        subjectSealed: null,
        decision: seq % 50 === 0 ? 'amber' : 'green',
        reasons: ['not_flagged'],
        warnings: [],
        alert: false,
        ...(pass !== null && { passId: BigInt(pass).toString(16).padStart(16, '0') }),
      };
    });
  for (let n = 0; n < BATCHES; n++) {
    const lane = n % LANES;
    const nth = Math.floor(n / LANES);
    const cp = lane === LANES - 1 ? 'SG' : 'HN';
    const sides = [
      { s: a, records: batch(lane, nth, false) },
      { s: b, records: batch(lane, nth, true) },
    ];
    for (const { s, records } of n % 2 === 0 ? sides : sides.reverse()) {
      const t = performance.now();
      s.alerts += s.repo.ingest(`k${lane}`, cp, records, Date.now()).alerts.length;
      s.ms.push(performance.now() - t);
    }
  }
  const sorted = (xs: number[]): number[] => [...xs].sort((x, y) => x - y);
  const q = (xs: number[], p: number): number => sorted(xs)[Math.floor((xs.length - 1) * p)] ?? NaN;
  const sum = (xs: number[]): number => xs.reduce((x, y) => x + y, 0);
  const total = BATCHES * SIZE;
  console.log(`machine: ${machine()}`);
  console.log(
    `${BATCHES} batches × ${SIZE} scans per side (${LANES} lanes); side B: 1 scan in ${PASS_EVERY} of a lane pass`,
  );
  for (const [name, s] of [
    ['A (no passes)', a],
    ['B (passes)   ', b],
  ] as const) {
    const passScans = s.db
      .prepare('SELECT count(*) FROM scans WHERE pass_id IS NOT NULL')
      .pluck()
      .get() as number;
    console.log(
      `${name}: ${Math.round(total / (sum(s.ms) / 1000))} scans/s in ingest(); batch p50 ${q(s.ms, 0.5).toFixed(2)} ms ` +
        `p90 ${q(s.ms, 0.9).toFixed(2)} ms p99 ${q(s.ms, 0.99).toFixed(2)} ms; pass scans ${passScans}, replay alerts ${s.alerts}`,
    );
  }
  const ratio = q(b.ms, 0.5) / q(a.ms, 0.5);
  const total2 = sum(b.ms) / sum(a.ms);
  console.log(
    `B / A: batch median ${ratio.toFixed(3)} (${((ratio - 1) * 100).toFixed(1)} %), total time ${total2.toFixed(3)} (${((total2 - 1) * 100).toFixed(1)} %)`,
  );
  a.db.close();
  b.db.close();
} finally {
  rmSync(dirA, { recursive: true, force: true });
  rmSync(dirB, { recursive: true, force: true });
}
