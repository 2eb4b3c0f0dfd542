// Snapshot download: 1M health and 1M whitelist entries served by a real checkpoint-server
// process (first request builds and caches, later ones stream the file), bytes per entry and
// decode time; then the codec alone on 10M keys. Run: npx tsx bench/server-snapshot.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnapshotDecoder, SnapshotEncoder, type SnapshotHeader } from '@checkpoint-lane/shared';
import { openDatabase } from '@checkpoint-lane/sync-server';
import { api, machine, startServer, stats } from './server-bench-support.js';

const N = Number(process.env.ENTRIES ?? 1_000_000);
const BIG = Number(process.env.CODEC_ENTRIES ?? 10_000_000);
const RUNS = Number(process.env.RUNS ?? 5);
const ADMIN = 'bench-admin-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'cl-bench-snap-'));
const STATUSES = ['F0', 'F1', 'F2', 'F3', 'recovered'] as const;
const CATS = ['shipper', 'green_lane', 'permit', 'official', 'medical', 'other'] as const;
const DAY = 86_400_000;
const T0 = Date.parse('2021-09-01T00:00:00+07:00');

// Fill the database directly (the import path has its own benchmark): random 64-bit keys,
// statuses and windows drawn from a month of dates, 1 in 5 whitelist entries limited to 2 checkpoints.
{
  const db = openDatabase(join(dir, 'server.db'));
  let x = 0x243f6a8885a308d3n;
  const nextKey = (): bigint => {
    x ^= x << 13n;
    x &= (1n << 64n) - 1n;
    x ^= x >> 7n;
    x ^= x << 17n;
    x &= (1n << 64n) - 1n;
    return BigInt.asIntN(64, x);
  };
  const h = db.prepare(
    'INSERT OR IGNORE INTO health_entries (subject_key, subject, status, since, until, version, updated_at) VALUES (?, ?, ?, ?, ?, 1, 0)',
  );
  const w = db.prepare(
    `INSERT OR IGNORE INTO whitelist_entries (subject_key, subject, category, valid_from, valid_until, checkpoints, version, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 1, 0)`,
  );
  db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const d = i % 30;
      h.run(
        nextKey(),
        `personal_id:${i}`,
        STATUSES[i % 5] ?? 'F2',
        T0 + d * DAY,
        i % 3 === 0 ? null : T0 + (d + 14) * DAY,
      );
      w.run(
        nextKey(),
        `personal_id:${i}`,
        CATS[i % 6] ?? 'other',
        T0 + (i % 28) * DAY,
        T0 + 60 * DAY,
        i % 5 === 0 ? ';HCM-01;HCM-02;' : null,
      );
    }
    db.prepare('UPDATE list_state SET version = 1, changes_from = 1').run();
  })();
  db.close();
}

const server = await startServer(dir, ADMIN);
try {
  await api(`${server.url}/api/v1/admin/checkpoints`, ADMIN, {
    id: 'HCM-01',
    name: 'HCM-01',
    mode: 'closed',
  });
  const { code } = await api<{ code: string }>(`${server.url}/api/v1/admin/enrollments`, ADMIN, {
    checkpointId: 'HCM-01',
  });
  const { token } = await api<{ token: string }>(`${server.url}/api/v1/kiosk/enroll`, '', {
    code,
    name: 'bench lane',
  });
  console.log(`machine: ${machine()}`);
  for (const list of ['health', 'whitelist'] as const) {
    const times: number[] = [];
    let bytes = 0;
    let first = 0;
    let decodeMs = 0;
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      const res = await fetch(`${server.url}/api/v1/kiosk/lists/${list}/snapshot`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const buf = new Uint8Array(await res.arrayBuffer());
      const ms = performance.now() - t0;
      if (r === 0) {
        first = ms;
        const d0 = performance.now();
        const dec = new SnapshotDecoder();
        let count = 0;
        for (let i = 0; i < buf.length; i += 1 << 16)
          count += dec.push(buf.subarray(i, i + (1 << 16))).length;
        dec.end();
        decodeMs = performance.now() - d0;
        if (count !== N) throw new Error(`decoded ${count} of ${N}`);
      } else times.push(ms);
      bytes = buf.length;
    }
    const s = stats(times);
    console.log(
      `${list}: ${N} entries, ${bytes} bytes = ${(bytes / N).toFixed(2)} B/entry; first request (build + cache + download) ${(first / 1000).toFixed(2)} s; cached download median ${s.p50.toFixed(0)} ms (p90 ${s.p90.toFixed(0)}, ${s.n} runs); lane decode ${(decodeMs / 1000).toFixed(2)} s`,
    );
  }
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

// The codec alone at 10M entries: sorted random keys, 150 attribute classes.
{
  const keys = new BigInt64Array(BIG);
  let x = 0x9e3779b97f4a7c15n;
  for (let i = 0; i < BIG; i++) {
    x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
    keys[i] = BigInt.asIntN(64, x);
  }
  keys.sort();
  const classes = Array.from({ length: 150 }, (_, i) => ({
    status: STATUSES[i % 5] ?? 'F2',
    since: T0 + (i % 30) * DAY,
    until: null,
  }));
  const header: SnapshotHeader = { list: 'health', version: 1, count: BIG, checkpointId: '', classes };
  const t0 = performance.now();
  const enc = new SnapshotEncoder(header, 1 << 20);
  let bytes = 0;
  for (let i = 0; i < BIG; i++) {
    // Zipf-like class use: the first classes are the most common (they get 1-byte indexes).
    const chunk = enc.add(keys[i] ?? 0n, (i * i) % 97 < 90 ? i % 100 : i % 150);
    if (chunk) bytes += chunk.length;
  }
  bytes += enc.finish().length;
  const encodeS = (performance.now() - t0) / 1000;
  console.log(`codec: ${BIG} entries, ${(bytes / BIG).toFixed(2)} B/entry, encode ${encodeS.toFixed(1)} s`);
}
