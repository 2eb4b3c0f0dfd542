// Scan ingest: batches of 500 from 50 concurrent lanes against a real checkpoint-server
// process, then every batch sent again (duplicates must stay 0). Run: npx tsx bench/server-ingest.ts
// env PASS_EVERY=N (N > 0): 1 scan in N reads a lane pass, each pass read by two lanes of the
// (located) checkpoint: the replay check's A/B (issue 16).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { api, machine, peakRssMiB, startServer, stats } from './server-bench-support.js';

const LANES = Number(process.env.LANES ?? 50);
const BATCHES = Number(process.env.BATCHES ?? 20);
const SIZE = 500;
const PASS_EVERY = Number(process.env.PASS_EVERY ?? 0);
const ADMIN = 'bench-admin-token-0123456789abcdef';

const dir = mkdtempSync(join(tmpdir(), 'cl-bench-ingest-'));
const server = await startServer(dir, ADMIN);
try {
  await api(`${server.url}/api/v1/admin/checkpoints`, ADMIN, {
    id: 'CP',
    name: 'CP',
    mode: 'open',
    ...(PASS_EVERY > 0 && { location: { lat: 21.0285, lon: 105.8542 } }),
  });
  const tokens: string[] = [];
  for (let i = 0; i < LANES; i++) {
    const { code } = await api<{ code: string }>(`${server.url}/api/v1/admin/enrollments`, ADMIN, {
      checkpointId: 'CP',
    });
    const res = await fetch(`${server.url}/api/v1/kiosk/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, name: `lane ${i}` }),
    });
    if (res.status === 429) {
      throw new Error(
        'enrollment rate limit hit: this bench enrolls 50 lanes; raise enrollRateLimit or enroll slower',
      );
    }
    tokens.push(((await res.json()) as { token: string }).token);
  }
  // Pre-serialise the bodies: the bench measures the server, not JSON.stringify in the client.
  const bodies = tokens.map((_, lane) =>
    Array.from({ length: BATCHES }, (_, b) =>
      JSON.stringify({
        records: Array.from({ length: SIZE }, (_, i) => {
          const seq = b * SIZE + i + 1;
          return {
            type: 'scan',
            seq,
            id: `01890a5d-ac96-7${String(lane).padStart(3, '0')}-8000-${seq.toString(16).padStart(12, '0')}`,
            at: 1_700_000_000_000 + seq,
            source: 'camera',
            format: 'chip_id_card',
            subjectKey: (BigInt(seq) * 0x9e3779b97f4a7c15n).toString(16).slice(-16).padStart(16, '0'),
            subjectSealed: null,
            decision: seq % 50 === 0 ? 'amber' : 'green',
            reasons: ['not_flagged'],
            warnings: [],
            alert: false,
            ...(PASS_EVERY > 0 &&
              seq % PASS_EVERY === 3 && {
                passId: ((BigInt(lane >> 1) << 40n) | BigInt(seq)).toString(16).padStart(16, '0'),
              }),
          };
        }),
      }),
    ),
  );

  async function pass(): Promise<{ seconds: number; latencies: number[]; acked: number[] }> {
    const latencies: number[] = [];
    const acked: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      tokens.map(async (token, lane) => {
        let last = 0;
        for (const body of bodies[lane] ?? []) {
          const s = performance.now();
          const res = await fetch(`${server.url}/api/v1/kiosk/scans`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body,
          });
          if (res.status !== 200) throw new Error(`upload ${res.status}: ${await res.text()}`);
          last = ((await res.json()) as { ackedThrough: number }).ackedThrough;
          latencies.push(performance.now() - s);
        }
        acked.push(last);
      }),
    );
    return { seconds: (performance.now() - t0) / 1000, latencies, acked };
  }

  const total = LANES * BATCHES * SIZE;
  const first = await pass();
  const again = await pass();
  const rss = await peakRssMiB(server.child.pid ?? 0);
  await server.stop();
  const db = new Database(join(dir, 'server.db'), { readonly: true });
  const rows = db.prepare('SELECT count(*) FROM scans').pluck().get() as number;
  const unique = db.prepare('SELECT count(DISTINCT id) FROM scans').pluck().get() as number;
  db.close();
  const fmt = (x: number): string => x.toFixed(1);
  const l1 = stats(first.latencies);
  const l2 = stats(again.latencies);
  console.log(`machine: ${machine()}`);
  console.log(
    `${LANES} lanes × ${BATCHES} batches × ${SIZE} records = ${total} records` +
      (PASS_EVERY > 0 ? `, 1 scan in ${PASS_EVERY} of a lane pass` : ', no lane passes'),
  );
  console.log(
    `first pass: ${fmt(first.seconds)} s, ${Math.round(total / first.seconds)} records/s; batch latency ms p50 ${fmt(l1.p50)} p90 ${fmt(l1.p90)} p99 ${fmt(l1.p99)} max ${fmt(l1.max)}`,
  );
  console.log(
    `re-send every batch: ${fmt(again.seconds)} s, ${Math.round(total / again.seconds)} records/s; batch latency ms p50 ${fmt(l2.p50)} p99 ${fmt(l2.p99)}`,
  );
  console.log(
    `rows stored ${rows}, unique ids ${unique}, duplicates ${rows - unique}, every lane acked through ${Math.min(...again.acked)}..${Math.max(...again.acked)}; server peak RSS ${fmt(rss)} MiB`,
  );
} finally {
  if (server.child.exitCode === null) await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
