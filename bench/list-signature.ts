// Signed lists: what a lane pays to check a 10M-entry snapshot's signature (SHA-256 over its
// bytes as they arrive, then one Ed25519 verify), what the server pays per signed answer, and
// what keeping the signed counts costs a list write. Run: npx tsx bench/list-signature.ts
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalChangeLine,
  listSignatureMessage,
  parseListSignature,
  SnapshotEncoder,
  type HealthClass,
  type SignedListFacts,
  type WireChange,
} from '@checkpoint-lane/shared';
import { changesDigest, ListCounts, ListSigner, openDatabase } from '@checkpoint-lane/sync-server';
import { machine, stats } from './server-bench-support.js';

const N = Number(process.env.ENTRIES ?? 10_000_000);
const RUNS = Number(process.env.RUNS ?? 5);
const COUNT_ROWS = Number(process.env.COUNT_ROWS ?? 1_000_000);
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (s: ReturnType<typeof stats>, unit = 'ms', digits = 1): string =>
  `median ${s.p50.toFixed(digits)} ${unit} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)}, n=${s.n})`;

console.log(`list signatures — ${machine()}`);
const dir = mkdtempSync(join(tmpdir(), 'cl-bench-sig-'));
try {
  const db = openDatabase(join(dir, 'server.db'));
  const signer = await ListSigner.open(db, Date.now());
  const key = signer.publicKeys()[0];
  if (!key) throw new Error('no key');
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.publicKey, 'base64').toString('base64url') },
    format: 'jwk',
  });

  // --- a 10M-entry health snapshot, as the server streams it (256 KiB chunks) -----------------
  let x = 0x243f6a8885a308d3n;
  const keys = new BigInt64Array(N);
  for (let i = 0; i < N; i++) {
    x ^= (x << 13n) & 0xffffffffffffffffn;
    x ^= x >> 7n;
    x ^= (x << 17n) & 0xffffffffffffffffn;
    keys[i] = BigInt.asIntN(64, x);
  }
  keys.sort();
  const classes: HealthClass[] = Array.from({ length: 150 }, (_, i) => ({
    status: (['F0', 'F1', 'F2', 'F3', 'recovered'] as const)[i % 5] ?? 'F1',
    since: 1_630_000_000_000 + i * 86_400_000,
    until: null,
  }));
  let unique = 0;
  for (let i = 0; i < N; i++) if (i === 0 || keys[i] !== keys[i - 1]) unique++;
  const encoder = new SnapshotEncoder(
    { list: 'health', version: 42, count: unique, checkpointId: '', classes },
    1 << 18,
  );
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < N; i++) {
    if (i > 0 && keys[i] === keys[i - 1]) continue;
    const c = encoder.add(keys[i] ?? 0n, i % classes.length);
    if (c) chunks.push(Uint8Array.from(c));
  }
  chunks.push(Uint8Array.from(encoder.finish()));
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  console.log(
    `snapshot: ${unique.toLocaleString('en')} entries, ${(bytes / 1e6).toFixed(1)} MB in ${chunks.length} chunks`,
  );

  const digestOf = (): string => {
    const h = createHash('sha256');
    for (const c of chunks) h.update(c);
    return h.digest('hex');
  };
  const facts: SignedListFacts = {
    kind: 'snapshot',
    list: 'health',
    scope: '',
    fromVersion: 0,
    toVersion: 42,
    count: unique,
    issuedAt: Date.now(),
    digest: digestOf(),
  };
  const signature = signer.signList(facts);
  const parsed = parseListSignature(signature);
  if (!parsed) throw new Error('bad signature text');

  const hashRuns: number[] = [];
  const verifyRuns: number[] = [];
  const totalRuns: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    const digest = digestOf();
    const t1 = process.hrtime.bigint();
    const ok = verify(
      null,
      Buffer.from(listSignatureMessage({ ...facts, digest }), 'utf8'),
      publicKey,
      Buffer.from(parsed.signature, 'base64'),
    );
    if (!ok) throw new Error('signature does not verify');
    hashRuns.push(Number(t1 - t0) / 1e6);
    verifyRuns.push(ms(t1));
    totalRuns.push(ms(t0));
  }
  console.log(`lane: SHA-256 of the snapshot bytes   ${fmt(stats(hashRuns))}`);
  console.log(`lane: one Ed25519 verify               ${fmt(stats(verifyRuns), 'ms', 3)}`);
  console.log(`lane: whole check (target ≤ 1000 ms)   ${fmt(stats(totalRuns))}`);

  // --- the server, per answer -----------------------------------------------------------------
  const signRuns: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = process.hrtime.bigint();
    signer.signList({ ...facts, toVersion: i });
    signRuns.push(ms(t0) * 1000);
  }
  console.log(`server: sign one answer (message + Ed25519)    ${fmt(stats(signRuns), 'µs', 0)}`);
  for (const n of [1, 1000, 100_000]) {
    const changes: WireChange[] = Array.from({ length: n }, (_, i) => ({
      key: (BigInt(i) * 7919n).toString(16).padStart(16, '0'),
      op: 'put',
      entry: { status: 'F1', since: 1_630_000_000_000, until: null },
    }));
    const runs: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t0 = process.hrtime.bigint();
      changesDigest(changes);
      runs.push(ms(t0));
    }
    const line = canonicalChangeLine(changes[0] as WireChange).length;
    console.log(
      `server/lane: digest of ${n.toLocaleString('en')} changes (≈${line} B each)  ${fmt(stats(runs), 'ms', 2)}`,
    );
  }

  // --- keeping the signed counts: the grouped reads a write adds --------------------------------
  const counts = new ListCounts(db);
  db.exec('BEGIN');
  const ins = db.prepare(
    'INSERT INTO health_entries (subject_key, subject, status, since, until, version, updated_at) VALUES (?, ?, ?, NULL, NULL, 1, 0)',
  );
  const wl = db.prepare(
    'INSERT INTO whitelist_entries (subject_key, subject, category, checkpoints, version, updated_at) VALUES (?, ?, ?, ?, 1, 0)',
  );
  for (let i = 0; i < COUNT_ROWS; i++) {
    ins.run(keys[i * 7] ?? BigInt(i), `personal_id:${i}`, 'F1');
    wl.run(
      keys[i * 7] ?? BigInt(i),
      `personal_id:${i}`,
      'shipper',
      i % 5 === 0 ? `;CP-${i % 6000};CP-${(i + 1) % 6000};` : null,
    );
  }
  db.exec('COMMIT');
  // Shaped as an import's staging table (lists/list-staging.ts): keyed by line, subject_key not indexed.
  db.exec(`CREATE TEMP TABLE staged (line INTEGER PRIMARY KEY, subject_key INTEGER NOT NULL, checkpoints TEXT,
             rejected INTEGER NOT NULL DEFAULT 0);
           INSERT INTO staged (subject_key, checkpoints) SELECT subject_key, checkpoints FROM whitelist_entries ORDER BY random();`);
  for (const list of ['health', 'whitelist'] as const) {
    const touched: number[] = [];
    const written: number[] = [];
    const stale: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      let t0 = process.hrtime.bigint();
      counts.groups(list, 'subject_key IN (SELECT subject_key FROM temp.staged WHERE rejected = 0)', []);
      touched.push(ms(t0));
      t0 = process.hrtime.bigint();
      counts.groups(list, 'rejected = 0', [], 'temp.staged');
      written.push(ms(t0));
      t0 = process.hrtime.bigint();
      db.transaction(() => {
        counts.recount(list);
      })();
      stale.push(ms(t0));
    }
    console.log(
      `server: ${list}, ${COUNT_ROWS.toLocaleString('en')} rows staged over as many stored: a merging import reads the stored rows it replaces ${fmt(stats(touched))} and counts the staged ones ${fmt(stats(written))}; a replacing import counts the list once ${fmt(stats(stale))}`,
    );
  }
  const reads: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t0 = process.hrtime.bigint();
    counts.laneCount('whitelist', `CP-${i % 6000}`);
    reads.push(ms(t0) * 1000);
  }
  console.log(`server: a changes answer's count (two key reads)  ${fmt(stats(reads), 'µs', 0)}`);
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
