// Contact tracing over what real lanes uploaded (issue 15, "Done when"): a real sync server on
// 127.0.0.1 (SQLite) and four real `checkpoint-lane` processes reading scans from stdin. At
// checkpoint A an F0 is scanned and, seconds later, a neighbour; a second lane at A runs under
// libfaketime an hour behind, so its scan is an hour from the F0's; at checkpoint B (vehicle mode set
// on the checkpoint by the server) a lane scans a plate, the F0 and two passengers, then the next plate and one more person;
// at checkpoint C a person is scanned at the same moment as the F0 elsewhere. The trace finds the
// neighbour (via the lane) and the passengers (via the vehicle), not the hour-away scan nor the
// other checkpoint's; promoting a contact to F1 turns it red on a lane within seconds.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StdinLane } from '../e2e/console-helpers.js';
import { freePort, ServerUnderTest } from './lane-helpers.js';

const TOKEN = 'admin-token-for-trace-lane-tests-0123';
const F0 = '079090001201';
const NEIGHBOUR = '079090001202';
const HOUR_AWAY = '079090001203';
const PASSENGERS = ['079090001204', '079090001205'];
const AFTER_VEHICLE = '079090001206';
const OTHER_CHECKPOINT = '079090001207';
const PLATE = '51F-123.45';
const NEXT_PLATE = '51F-678.90';

interface Contact {
  subject: string | null;
  hop: number;
  via: 'lane' | 'vehicle';
  evidence: {
    checkpointId: string;
    kioskId: string;
    at: number;
    indexSubject: string | null;
    indexAt: number;
  }[];
}
interface Trace {
  id: string;
  status: 'running' | 'done' | 'failed';
  error: string | null;
  contacts: Contact[];
}

let dir: string;
let server: ServerUnderTest;
const lanes: StdinLane[] = [];

async function until<T>(what: string, check: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got !== null) return got;
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Scans the server holds in all (read through the admin API). */
async function storedScans(): Promise<number> {
  const res = await server.admin<{ scans: unknown[] }>('GET', '/scans?limit=500');
  return res.body.scans.length;
}

async function trace(body: Record<string, unknown>): Promise<Trace> {
  const started = await server.admin<{ id: string }>('POST', '/traces', body);
  expect(started.status).toBe(202);
  return until('the trace to finish', async () => {
    const t = await server.admin<Trace>('GET', `/traces/${started.body.id}?limit=1000`);
    expect(t.status).toBe(200);
    return t.body.status === 'running' ? null : t.body;
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'trace-lanes-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), TOKEN);
  await server.start();
  // Repeats are recorded (window 0) and F0 and F1 block everywhere (the decision table).
  // Vehicle mode at B is the checkpoint's setting (the server's), not a lane flag.
  for (const id of ['A', 'B', 'C'])
    await server.addCheckpoint(id, 'open', {
      repeatWindowSec: 0,
      blockingStatuses: ['F0', 'F1'],
      ...(id === 'B' && { vehicleMode: true }),
    });
  await server.importCsv('health', `id,status,since,until,name,note\n${F0},F0,2026-01-01,,,\n`);
  const start = (name: string, cp: string, opts?: Parameters<typeof StdinLane.start>[4]) =>
    StdinLane.start(server, join(dir, name), name, cp, opts);
  lanes.push(
    await start('lane-a1', 'A'),
    // An hour behind: its scans are stamped an hour before the others' (it refuses the lists the
    // server signs "an hour ahead"; it still decides and uploads, which is all this test needs).
    await start('lane-a2', 'A', { prefix: ['faketime', '-f', '-1h'] }),
    await start('lane-b1', 'B'),
    await start('lane-c1', 'C'),
  );
}, 180_000);

afterAll(async () => {
  for (const lane of lanes) await lane.kill();
  await server.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tracing over real lane uploads', () => {
  it('finds the neighbour at the lane and the vehicle’s passengers, not the hour-away or other checkpoint', async () => {
    const [a1, a2, b1, c1] = lanes as [StdinLane, StdinLane, StdinLane, StdinLane];
    expect(await a1.scan(F0)).toMatchObject({ decision: 'red' });
    await a1.scan(NEIGHBOUR);
    await a2.scan(HOUR_AWAY);
    await c1.scan(OTHER_CHECKPOINT);
    await b1.scan(PLATE);
    const inVehicle = await b1.scan(F0);
    expect(inVehicle).toMatchObject({ decision: 'red' });
    for (const p of PASSENGERS) await b1.scan(p);
    await b1.scan(NEXT_PLATE);
    await b1.scan(AFTER_VEHICLE);
    await until('every scan uploaded', async () => ((await storedScans()) >= 10 ? true : null));

    const t = await trace({ subjects: [F0] });
    expect(t.status).toBe('done');
    const by = new Map(t.contacts.map((c) => [c.subject, c]));
    // The neighbour seconds later at A: hop 1, via the lane, with its evidence.
    const n = by.get(NEIGHBOUR);
    expect(n).toMatchObject({ hop: 1, via: 'lane' });
    expect(n?.evidence[0]).toMatchObject({ checkpointId: 'A', indexSubject: F0 });
    expect(Math.abs(n!.evidence[0]!.at - n!.evidence[0]!.indexAt)).toBeLessThan(60_000);
    // The passengers of the F0's vehicle (and the plate itself), via the vehicle.
    for (const p of PASSENGERS) expect(by.get(p)).toMatchObject({ hop: 1, via: 'vehicle' });
    expect(by.get('51F12345')).toMatchObject({ via: 'vehicle' });
    // After the vehicle closed, still at B within the window: a lane contact, not a passenger.
    expect(by.get(AFTER_VEHICLE)).toMatchObject({ hop: 1, via: 'lane' });
    // Not an hour away at the same checkpoint, not the other checkpoint, never the F0 itself.
    expect(by.has(HOUR_AWAY)).toBe(false);
    expect(by.has(OTHER_CHECKPOINT)).toBe(false);
    expect(by.has(F0)).toBe(false);

    // A window of 90 minutes reaches the hour-away scan.
    const wide = await trace({ subjects: [F0], windowMinutes: 90 });
    expect(wide.contacts.map((c) => c.subject)).toContain(HOUR_AWAY);
  }, 120_000);

  it('promotes chosen contacts to F1: a lane turns them red within seconds', async () => {
    const c1 = lanes[3]!;
    expect(await c1.scan(NEIGHBOUR)).toMatchObject({ decision: 'green' });
    const t = await trace({ subjects: [F0] });
    const promoted = await server.admin<{ version: number }>('POST', `/traces/${t.id}/promote`, {
      subjects: [NEIGHBOUR, PASSENGERS[0]],
      status: 'F1',
    });
    expect(promoted.status).toBe(200);
    expect(promoted.body.version).toBeGreaterThan(1);
    // Not a contact of this trace: refused, nothing written.
    const refused = await server.admin('POST', `/traces/${t.id}/promote`, {
      subjects: [OTHER_CHECKPOINT],
      status: 'F1',
    });
    expect(refused.status).toBe(400);
    const start = Date.now();
    await until(
      'the promoted contact red on lane C',
      async () => {
        const d = await c1.scan(NEIGHBOUR);
        return d.decision === 'red' ? d : null;
      },
      15_000,
    );
    expect(Date.now() - start).toBeLessThan(15_000);
    expect(await c1.scan(PASSENGERS[0]!)).toMatchObject({ decision: 'red' });
    expect(await c1.scan(PASSENGERS[1]!)).toMatchObject({ decision: 'green' });
  }, 60_000);
});
