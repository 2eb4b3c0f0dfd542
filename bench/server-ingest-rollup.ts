// What the hourly scan roll-up (`scan_hourly`, kept in the ingest transaction) costs, as an A/B
// in one process: `ScansRepository.ingest` of this build against the same class built from an
// older commit without the roll-up, each on its own database file, batch by batch in turns (the
// order swapped every batch), so machine load hits both alike. HTTP and JSON parsing, identical
// in both, are left out. Not a test.
// Run (after `npx tsc -b`, and building the old commit somewhere, e.g.
//   git archive ae85fd6^ shared sync-server tsconfig.base.json tsconfig.json package.json | tar -x -C /tmp/old
//   ln -s "$PWD/node_modules" /tmp/old/node_modules && (cd /tmp/old && npx tsc -b sync-server)):
//   OLD_DIST=/tmp/old/sync-server/dist npx tsx bench/server-ingest-rollup.ts
// Control (A/A): OLD_DIST=sync-server/dist (this build on both sides) shows the bench's own bias.
//   env: BATCHES (1000 per side), SPREAD_H (0: all scans in one hour as server-ingest.ts; N: a
//   batch's scans spread over N hours, so N+ roll-up rows are bumped per batch)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LaneRecord } from '@checkpoint-lane/shared';
import { machine } from './server-bench-support.js';

type OpenDb = typeof import('../sync-server/dist/db/open-database.js');
type Repo = typeof import('../sync-server/dist/db/repositories/scans-repository.js');

const OLD_DIST = process.env.OLD_DIST ?? '/tmp/cl-old-rollup/sync-server/dist';
const NEW_DIST = new URL('../sync-server/dist/', import.meta.url).href;
const BATCHES = Number(process.env.BATCHES ?? 1000);
const SPREAD_H = Number(process.env.SPREAD_H ?? 0);
const SIZE = 500;
const LANES = 50;

async function side(distHref: string, dir: string) {
  const { openDatabase } = (await import(new URL('db/open-database.js', distHref).href)) as OpenDb;
  const { ScansRepository } = (await import(
    new URL('db/repositories/scans-repository.js', distHref).href
  )) as Repo;
  const db = openDatabase(join(dir, 'server.db'));
  const t = Date.now();
  db.prepare(
    `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at)
     VALUES ('CP', 'CP', 'open', 86400, '["F0"]', 60, ?, ?)`,
  ).run(t, t);
  for (let i = 0; i < LANES; i++)
    db.prepare(
      `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES (?, ?, 'CP', ?, ?)`,
    ).run(`k${i}`, `lane ${i}`, `h${i}`, t);
  return { db, repo: new ScansRepository(db), ms: [] as number[] };
}

const dirOld = mkdtempSync(join(tmpdir(), 'cl-bench-rollup-old-'));
const dirNew = mkdtempSync(join(tmpdir(), 'cl-bench-rollup-new-'));
try {
  const old = await side(pathToFileURL(`${OLD_DIST}/`).href, dirOld);
  const cur = await side(NEW_DIST, dirNew);
  const hasRollup = (s: typeof old): boolean =>
    (s.db.prepare('SELECT count(*) FROM scan_hourly').pluck().get() as number) > 0;
  const perLane = Math.ceil(BATCHES / LANES);
  for (let b = 0; b < BATCHES; b++) {
    const lane = b % LANES;
    const nth = Math.floor(b / LANES);
    const records: LaneRecord[] = Array.from({ length: SIZE }, (_, i) => {
      const seq = nth * SIZE + i + 1;
      const spread = SPREAD_H > 0 ? Math.floor((i * SPREAD_H * 3_600_000) / SIZE) : 0;
      return {
        type: 'scan',
        seq,
        id: `01890a5d-ac96-7${String(lane).padStart(3, '0')}-8000-${seq.toString(16).padStart(12, '0')}`,
        at: 1_700_000_000_000 + (SPREAD_H > 0 ? nth * SPREAD_H * 3_600_000 + spread : seq),
        source: 'camera',
        format: 'chip_id_card',
        subjectKey: (BigInt(seq * LANES + lane) * 0x9e3779b97f4a7c15n)
          .toString(16)
          .slice(-16)
          .padStart(16, '0'),
        subjectSealed: null,
        decision: seq % 50 === 0 ? 'amber' : 'green',
        reasons: ['not_flagged'],
        warnings: [],
        alert: false,
      };
    });
    const order = b % 2 === 0 ? [old, cur] : [cur, old];
    for (const s of order) {
      const t = performance.now();
      s.repo.ingest(`k${lane}`, 'CP', records, Date.now());
      s.ms.push(performance.now() - t);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const total = BATCHES * SIZE;
  console.log(`machine: ${machine()}`);
  console.log(
    `${BATCHES} batches × ${SIZE} scans per side (${LANES} lanes, ${perLane} batches each), ` +
      (SPREAD_H > 0 ? `a batch spread over ${SPREAD_H} h` : 'all in one hour'),
  );
  for (const [name, s] of [
    ['old (OLD_DIST)  ', old],
    ['new (this build)', cur],
  ] as const) {
    console.log(
      `${name}: ${Math.round(total / (sum(s.ms) / 1000))} scans/s in ingest(); batch median ${median(s.ms).toFixed(2)} ms; ` +
        `scan_hourly rows ${hasRollup(s) ? String(s.db.prepare('SELECT count(*) FROM scan_hourly').pluck().get()) : 0}`,
    );
  }
  const ratio = median(cur.ms) / median(old.ms);
  console.log(`new / old batch median: ${ratio.toFixed(3)} (${((ratio - 1) * 100).toFixed(1)} %)`);
  old.db.close();
  cur.db.close();
} finally {
  rmSync(dirOld, { recursive: true, force: true });
  rmSync(dirNew, { recursive: true, force: true });
}
