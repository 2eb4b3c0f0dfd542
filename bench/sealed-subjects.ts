// What sealing scan subjects to the server costs, with the code that runs it: the lane's
// `sealSubject` (kiosk agent/subject-sealer.ts) per scan, the server's `ScanSealKeys.open` per
// scan, and `ScansRepository.ingest` of 500-record batches whose scans are sealed against the
// same batches carrying a subject key (each on its own database file, in turns, the order swapped
// every batch, so machine load hits both alike). HTTP and JSON parsing are left out. Not a test.
// Run (after `npx tsc -b`): npx tsx bench/sealed-subjects.ts
// Env: SEALS (20k), BATCHES (40 per side)
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { subjectKeyFromDigest, subjectKeyToHex, type LaneRecord } from '@checkpoint-lane/shared';
import { machine } from './server-bench-support.js';

// The built code (as the other benches load it): kiosk/dist and sync-server/dist.
type Sealer = typeof import('../kiosk/dist/agent/subject-sealer.js');
type OpenDb = typeof import('../sync-server/dist/db/open-database.js');
type Repo = typeof import('../sync-server/dist/db/repositories/scans-repository.js');
type SealKeys = typeof import('../sync-server/dist/lists/scan-seal-keys.js');
const dist = (path: string): string => new URL(`../${path}`, import.meta.url).href;
const { sealSubject } = (await import(dist('kiosk/dist/agent/subject-sealer.js'))) as Sealer;
const { openDatabase } = (await import(dist('sync-server/dist/db/open-database.js'))) as OpenDb;
const { ScansRepository } = (await import(
  dist('sync-server/dist/db/repositories/scans-repository.js')
)) as Repo;
const { ScanSealKeys } = (await import(dist('sync-server/dist/lists/scan-seal-keys.js'))) as SealKeys;

const SEALS = Number(process.env.SEALS ?? 20_000);
const BATCHES = Number(process.env.BATCHES ?? 40);
const SIZE = 500;
const INDEX_KEY = Buffer.alloc(32, 3);

const subject = (i: number): string => `personal_id:${String(100_000_000_000 + i)}`;
const pct = (sorted: number[], p: number): number => sorted[Math.floor(sorted.length * p)] ?? NaN;

function setup(dir: string) {
  const db = openDatabase(join(dir, 'server.db'));
  const t = Date.now();
  db.prepare(
    `INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at)
     VALUES ('CP', 'CP', 'open', 86400, '["F0"]', 60, ?, ?)`,
  ).run(t, t);
  db.prepare(
    `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k', 'k', 'CP', 'h', ?)`,
  ).run(t);
  const sealKeys = ScanSealKeys.open(db);
  return {
    db,
    sealKeys,
    repo: new ScansRepository(db, { sealKeys, indexKey: INDEX_KEY }),
    ms: [] as number[],
  };
}

const dirA = mkdtempSync(join(tmpdir(), 'cl-bench-sealed-'));
const dirB = mkdtempSync(join(tmpdir(), 'cl-bench-keyed-'));
try {
  const sealed = setup(dirA);
  const keyed = setup(dirB);
  const serverPublic = Buffer.from(sealed.sealKeys.publicKeyBase64(), 'base64');

  // Lane: one seal per scan (warm-up first).
  for (let i = 0; i < 500; i++) sealSubject(serverPublic, subject(i));
  const sealUs: number[] = [];
  const seals: string[] = [];
  for (let i = 0; i < SEALS; i++) {
    const t = performance.now();
    seals.push(sealSubject(serverPublic, subject(i)));
    sealUs.push((performance.now() - t) * 1000);
  }
  // Server: one open per scan.
  const openUs: number[] = [];
  for (const s of seals) {
    const t = performance.now();
    if (sealed.sealKeys.open(s) === null) throw new Error('a seal did not open');
    openUs.push((performance.now() - t) * 1000);
  }
  sealUs.sort((a, b) => a - b);
  openUs.sort((a, b) => a - b);

  // Server: ingest, sealed subjects against subject keys.
  const record = (seq: number, i: number, sealedForm: boolean): LaneRecord => ({
    type: 'scan',
    seq,
    id: `01890a5d-ac96-7000-8000-${seq.toString(16).padStart(12, '0')}`,
    at: Date.now(),
    source: 'camera',
    format: 'personal_id',
    subjectKey: sealedForm
      ? null
      : subjectKeyToHex(subjectKeyFromDigest(createHmac('sha256', INDEX_KEY).update(subject(i)).digest())),
    subjectSealed: sealedForm ? (seals[i % seals.length] ?? null) : null,
    decision: 'green',
    reasons: [],
    warnings: [],
    alert: false,
  });
  for (let b = 0; b < BATCHES; b++) {
    const batch = (sealedForm: boolean) =>
      Array.from({ length: SIZE }, (_, i) => record(b * SIZE + i + 1, b * SIZE + i, sealedForm));
    const sides = b % 2 === 0 ? [sealed, keyed] : [keyed, sealed];
    for (const side of sides) {
      const records = batch(side === sealed);
      const t = performance.now();
      side.repo.ingest('k', 'CP', records, Date.now(), ['F0']);
      side.ms.push(performance.now() - t);
    }
  }
  const rate = (ms: number[]) => {
    const sorted = [...ms].sort((a, b) => a - b);
    return `${((SIZE * 1000) / pct(sorted, 0.5)).toFixed(0)} records/s (median ${pct(sorted, 0.5).toFixed(1)} ms per ${SIZE})`;
  };
  const keyedRows = keyed.db
    .prepare('SELECT count(*) FROM scans WHERE subject_key IS NOT NULL')
    .pluck()
    .get();
  const sealedRows = sealed.db
    .prepare('SELECT count(*) FROM scans WHERE subject_key IS NOT NULL')
    .pluck()
    .get();
  const mean = (us: number[]): number => us.reduce((a, b) => a + b, 0) / us.length;
  console.log(machine());
  console.log(
    `lane seal: p50 ${pct(sealUs, 0.5).toFixed(0)} µs, p99 ${pct(sealUs, 0.99).toFixed(0)} µs, mean ${mean(sealUs).toFixed(0)} µs (${SEALS} scans; ${seals[0]?.length ?? 0} base64 chars for a personal ID)`,
  );
  console.log(
    `server open: p50 ${pct(openUs, 0.5).toFixed(0)} µs, p99 ${pct(openUs, 0.99).toFixed(0)} µs, mean ${mean(openUs).toFixed(0)} µs → ${(1e6 / mean(openUs)).toFixed(0)} scans/s per core`,
  );
  console.log(`ingest sealed: ${rate(sealed.ms)}; keyed rows ${String(sealedRows)}`);
  console.log(`ingest with subject key: ${rate(keyed.ms)}; keyed rows ${String(keyedRows)}`);
  sealed.db.close();
  keyed.db.close();
} finally {
  rmSync(dirA, { recursive: true, force: true });
  rmSync(dirB, { recursive: true, force: true });
}
