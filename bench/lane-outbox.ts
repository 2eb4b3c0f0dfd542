// Outbox: a real lane (LaneAgent, default sync settings as the CLI uses them) decides 100k scans
// while its sync server is down, then the server comes back and the lane uploads its backlog.
// Measures the offline queue rate, the time to drain, and lost/duplicated scans on the server
// (its server.db read read-only after it stopped). Not a test.
// Run (after `npm run build`): npx tsx bench/lane-outbox.ts     env: SCANS (100000)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pino from 'pino';
import { LaneAgent, insecureFileKeyStore } from '@checkpoint-lane/kiosk';
import { BenchServer, chipCardQr, freePort, machine, personalId, sleep } from './lane-support.js';

const SCANS = Number(process.env['SCANS'] ?? 100_000);
const ADMIN = 'bench-admin-token-lane-outbox-0123456789';
const CHECKPOINT = 'BENCH-1';

const dir = mkdtempSync(join(tmpdir(), 'cl-lane-bench-outbox-'));
const server = new BenchServer(join(dir, 'server'), await freePort(), ADMIN);
const logger = pino({ level: 'info' }, pino.destination({ dest: join(dir, 'lane.log'), sync: false }));
console.log(`machine: ${machine()}`);

let agent: LaneAgent | null = null;
try {
  await server.start();
  await server.addCheckpoint(CHECKPOINT, 'open');
  agent = await LaneAgent.open({
    dataDir: join(dir, 'lane'),
    keyStore: insecureFileKeyStore(join(dir, 'lane')),
    serverUrl: server.url,
    enrollCode: await server.enrollmentCode(CHECKPOINT),
    laneName: 'bench-outbox',
    scanners: [],
    logger,
  });
  await agent.start(10_000);
  const kioskId = agent.credentials?.kioskId;
  if (kioskId === undefined) throw new Error(`the lane is locked: ${agent.lock?.message ?? ''}`);

  // 1. The server goes down; the lane decides SCANS different codes, yielding to its event loop
  //    every 100 scans (so its uploader runs and fails, as it would between real scans).
  await server.stop();
  const tQueue = performance.now();
  for (let i = 0; i < SCANS; i++) {
    const id = personalId(20_000_000 + i);
    const d = agent.submit(i % 10 < 7 ? chipCardQr(id, i) : id, 'serial', 'bench');
    if (d.scanId === null) throw new Error(`scan ${i} was not recorded`);
    if (i % 100 === 99) await yieldToLoop();
  }
  const queueMs = performance.now() - tQueue;
  const queued = agent.store.backlog().count;
  console.log(
    `queued offline: ${queued.toLocaleString('en')} scans in ${(queueMs / 1000).toFixed(1)} s (${Math.round(SCANS / (queueMs / 1000))}/s, ${(queueMs / SCANS).toFixed(3)} ms/scan incl. the failing uploader)`,
  );
  if (queued !== SCANS) throw new Error(`backlog ${queued}, expected ${SCANS}`);

  // 2. The server comes back; time until the backlog is empty. The uploader is in its back-off
  //    (capped at 60 s) when the server returns, so the first upload may come some seconds later.
  const tUp = performance.now();
  await server.start();
  const serverUpMs = performance.now() - tUp;
  const t0 = performance.now();
  let firstAckMs: number | null = null;
  let left = queued;
  const trace: [number, number][] = [];
  while (left > 0 && performance.now() - t0 < 900_000) {
    await sleep(50);
    left = agent.store.backlog().count;
    const at = performance.now() - t0;
    if (firstAckMs === null && left < queued) firstAckMs = at;
    if (trace.length === 0 || (trace.at(-1)?.[1] ?? 0) - left >= 10_000) trace.push([Math.round(at), left]);
  }
  const drainMs = performance.now() - t0;
  if (left > 0) throw new Error(`backlog not drained after 900 s: ${left} left`);
  const fromFirst = drainMs - (firstAckMs ?? 0);
  console.log(
    `server restarted in ${(serverUpMs / 1000).toFixed(1)} s; first batch acknowledged ${((firstAckMs ?? 0) / 1000).toFixed(1)} s after it was up (uploader back-off); backlog empty ${(drainMs / 1000).toFixed(1)} s after it was up`,
  );
  console.log(
    `upload from the first acknowledged batch: ${(fromFirst / 1000).toFixed(1)} s = ${Math.round(SCANS / (fromFirst / 1000))} scans/s`,
  );
  const laneLastSeq = agent.store.lastSeq();
  await agent.stop();
  agent = null;
  await server.stop();

  // 3. What the server holds, read-only after it stopped, against what the lane recorded.
  const sdb = new Database(join(server.dataDir, 'server.db'), { readonly: true, fileMustExist: true });
  // The scans table names its kiosk by id, or by the kiosk's row number in later schemas.
  const byNo = (
    sdb.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('scans') as string[]
  ).includes('kiosk_no');
  const srv = sdb
    .prepare(
      byNo
        ? 'SELECT s.seq, s.id FROM scans s JOIN kiosks k ON k.no = s.kiosk_no WHERE k.id = ?'
        : 'SELECT seq, id FROM scans WHERE kiosk_id = ?',
    )
    .all(kioskId) as { seq: number; id: string }[];
  const acked = sdb.prepare('SELECT acked_through FROM kiosks WHERE id = ?').pluck().get(kioskId) as number;
  sdb.close();
  const ldb = new Database(join(dir, 'lane', 'lane.db'), { readonly: true, fileMustExist: true });
  const lane = ldb.prepare('SELECT seq, id FROM outbox').all() as { seq: number; id: string }[];
  ldb.close();
  const serverIds = new Map(srv.map((r) => [r.id, r.seq]));
  const lost = lane.filter((r) => !serverIds.has(r.id)).length;
  const mismatched = lane.filter((r) => serverIds.has(r.id) && serverIds.get(r.id) !== r.seq).length;
  const duplicated = srv.length - serverIds.size + (srv.length - new Set(srv.map((r) => r.seq)).size);
  const laneIds = new Set(lane.map((r) => r.id));
  const unknown = srv.filter((r) => !laneIds.has(r.id)).length;
  console.log(
    `server holds ${srv.length.toLocaleString('en')} scans of this lane (lane recorded ${lane.length.toLocaleString('en')}, last seq ${laneLastSeq}); lost ${lost}, duplicated ${duplicated}, seq mismatches ${mismatched}, unknown ${unknown}; kiosks.acked_through ${acked}`,
  );
  const result = {
    bench: 'lane-outbox',
    date: new Date().toISOString(),
    machine: machine(),
    scans: SCANS,
    queueOfflineMs: Math.round(queueMs),
    queueMsPerScan: Math.round((queueMs / SCANS) * 1000) / 1000,
    serverStartMs: Math.round(serverUpMs),
    firstAckAfterServerUpMs: Math.round(firstAckMs ?? NaN),
    drainAfterServerUpMs: Math.round(drainMs),
    drainFromFirstAckMs: Math.round(fromFirst),
    uploadScansPerSec: Math.round(SCANS / (fromFirst / 1000)),
    drainTrace: trace,
    laneRecorded: lane.length,
    serverStored: srv.length,
    lost,
    duplicated,
    seqMismatches: mismatched,
    unknownOnServer: unknown,
    serverAckedThrough: acked,
    target: { lost: 0, duplicated: 0 },
  };
  console.log(JSON.stringify(result));
} finally {
  if (agent) await agent.stop();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
