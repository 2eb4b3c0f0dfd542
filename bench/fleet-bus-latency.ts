// Fleet bus latency across two servers on one PostgreSQL (issue 14: an admin write on server A
// reaches lanes on server B within a second). Two PgFleetBus instances (each its own listening
// connection, publishing through its own pool) on a fresh database:
//   bus     A publishes a message, B's subscriber gets it (paced: one every PACE_MS);
//   hub     A's EventHub publishes a list version, a lane stream on B's hub receives it (paced);
//   burst   A publishes N messages back to back; latency of each to B (queueing included).
// Not a test. Needs a PostgreSQL where it may create and drop a database (default: user postgres
// on 127.0.0.1:5432; CHECKPOINT_TEST_PG_URL names another).
// Run (after `npx tsc -b`): npx tsx bench/fleet-bus-latency.ts   (env: N 200, PACE_MS 5)
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { machine, stats } from './server-bench-support.js';

type OpenPg = typeof import('../sync-server/dist/db/pg/open-pg.js');
type PgBus = typeof import('../sync-server/dist/events/pg-fleet-bus.js');
type Hub = typeof import('../sync-server/dist/events/event-hub.js');
type FleetBusEvent = import('../sync-server/dist/events/fleet-bus.js').FleetBusEvent;
const dist = (p: string): string => new URL(`../sync-server/dist/${p}`, import.meta.url).href;
const { openPg } = (await import(dist('db/pg/open-pg.js'))) as OpenPg;
const { PgFleetBus } = (await import(dist('events/pg-fleet-bus.js'))) as PgBus;
const { EventHub } = (await import(dist('events/event-hub.js'))) as Hub;

const N = Number(process.env.N ?? 200);
const PACE_MS = Number(process.env.PACE_MS ?? 5);
const ADMIN_URL = process.env.CHECKPOINT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const name = `cl_bench_${randomBytes(5).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fmt = (xs: number[]): string => {
  const s = stats(xs);
  return `n ${s.n}, p50 ${s.p50.toFixed(2)} ms, p90 ${s.p90.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(2)} ms`;
};

const poolA = await openPg({ url: url.toString(), max: 4 });
const poolB = await openPg({ url: url.toString(), max: 4 });
const key = randomBytes(32);
const busA = new PgFleetBus({ url: url.toString(), pool: poolA, key });
const busB = new PgFleetBus({ url: url.toString(), pool: poolB, key });
await busA.start();
await busB.start();

try {
  console.log(`fleet bus latency, ${machine()}, load ${loadavg()[0]?.toFixed(1)}`);

  // bus: A → B, paced.
  const sentAt = new Map<number, number>();
  const lat: number[] = [];
  let onArrive: ((version: number) => void) | null = null;
  busB.subscribe((e: FleetBusEvent) => {
    if (e.type !== 'officers') return;
    const t0 = sentAt.get(e.version);
    if (t0 !== undefined) lat.push(performance.now() - t0);
    onArrive?.(e.version);
  });
  const waitAll = (count: number): Promise<void> =>
    new Promise((resolve) => {
      let got = 0;
      onArrive = () => {
        got += 1;
        if (got === count) resolve();
      };
    });
  let done = waitAll(N);
  for (let i = 0; i < N; i++) {
    sentAt.set(i, performance.now());
    await busA.publish({ type: 'officers', version: i });
    await sleep(PACE_MS);
  }
  await done;
  const busLat = [...lat];
  console.log(`bus   (A publish → B subscriber, one every ${PACE_MS} ms): ${fmt(busLat)}`);

  // burst: N back to back (publishes queue on A: one server's order is kept).
  lat.length = 0;
  sentAt.clear();
  done = waitAll(N);
  const burstStart = performance.now();
  await Promise.all(
    Array.from({ length: N }, (_, i) => {
      sentAt.set(N + i, performance.now());
      return busA.publish({ type: 'officers', version: N + i });
    }),
  );
  await done;
  const burstMs = performance.now() - burstStart;
  console.log(
    `burst (${N} back to back): ${fmt(lat)}; all in ${burstMs.toFixed(0)} ms (${((N / burstMs) * 1000).toFixed(0)} msg/s)`,
  );
  const burstLat = [...lat];

  // hub: A's EventHub → a lane stream on B's EventHub.
  const none = (): Promise<readonly never[]> => Promise.resolve([]);
  const hubA = new EventHub(none, undefined, Date.now, { bus: busA });
  const hubB = new EventHub(none, undefined, Date.now, { bus: busB });
  const hubLat: number[] = [];
  const hubSent = new Map<number, number>();
  let hubArrive: (() => void) | null = null;
  hubB.addLane('bench-lane', 'CP', {
    send(event: string, data: unknown) {
      if (event !== 'list-version') return;
      const t0 = hubSent.get((data as { version: number }).version);
      if (t0 !== undefined) hubLat.push(performance.now() - t0);
      hubArrive?.();
    },
    comment() {
      return undefined;
    },
    close() {
      return undefined;
    },
  });
  await sleep(50);
  for (let i = 1; i <= N; i++) {
    const arrived = new Promise<void>((r) => {
      hubArrive = r;
    });
    hubSent.set(i, performance.now());
    await hubA.publishListVersion('whitelist', i, i - 1);
    await arrived;
    await sleep(PACE_MS);
  }
  console.log(`hub   (A publishListVersion → lane stream on B, one at a time): ${fmt(hubLat)}`);
  hubA.detach();
  hubB.detach();
  console.log(
    JSON.stringify({
      bus: stats(busLat),
      burst: { ...stats(burstLat), totalMs: Math.round(burstMs) },
      hub: stats(hubLat),
      dropped: busB.stats().dropped,
    }),
  );
} finally {
  await busA.close();
  await busB.close();
  await poolA.end();
  await poolB.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
