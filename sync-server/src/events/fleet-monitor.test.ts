import { afterEach, describe, expect, it } from 'vitest';
import { addCheckpoint, buildTestApp, enrollKiosk, type TestApp } from '../testing/build-test-app.js';
import { EventHub } from './event-hub.js';
import { FleetMonitor } from './fleet-monitor.js';
import type { SseStream } from './sse.js';

const stream = (): SseStream => ({ send: () => undefined, comment: () => undefined, close: () => undefined });

function setup() {
  let now = 1_000_000;
  const hub = new EventHub(() => Promise.resolve([]));
  const changes: { kioskId: string; online: boolean }[] = [];
  hub.addAdmin({ ...stream(), send: (_e, d) => changes.push(d as { kioskId: string; online: boolean }) });
  const fleet = new FleetMonitor(hub, () => now, 180_000, 45_000);
  const advance = (ms: number) => {
    now += ms;
    fleet.sweep();
  };
  /** Opens a lane stream as the route does; answers its close. */
  const open = (id: string) => {
    const remove = hub.addLane(id, 'CP', stream());
    fleet.seen(id);
    return () => {
      remove();
      fleet.streamClosed(id);
    };
  };
  return { fleet, advance, open, changes };
}

describe('FleetMonitor', () => {
  it('shows a lane offline one grace after its stream closed, not minutes later', () => {
    const { fleet, advance, open, changes } = setup();
    const close = open('k1');
    expect(fleet.isOnline('k1')).toBe(true);
    close();
    advance(44_000);
    expect(fleet.isOnline('k1')).toBe(true);
    advance(2_000);
    expect(fleet.isOnline('k1')).toBe(false);
    expect(changes).toEqual([
      expect.objectContaining({ kioskId: 'k1', online: true }),
      expect.objectContaining({ kioskId: 'k1', online: false }),
    ]);
  });

  it('keeps a lane online while it heartbeats after its stream closed, or once it reconnects', () => {
    const { fleet, advance, open } = setup();
    open('k1')();
    for (let i = 0; i < 5; i++) {
      advance(30_000);
      fleet.seen('k1'); // a heartbeat every 30 s
      expect(fleet.isOnline('k1')).toBe(true);
    }
    advance(46_000);
    expect(fleet.isOnline('k1')).toBe(false);
    const close = open('k1');
    advance(600_000);
    expect(fleet.isOnline('k1')).toBe(true);
    close();
    advance(46_000);
    expect(fleet.isOnline('k1')).toBe(false);
  });

  it('stays online when one of two streams closes; a lane that never held a stream keeps the long timeout', () => {
    const { fleet, advance, open } = setup();
    const first = open('k1');
    open('k1');
    first();
    advance(100_000);
    expect(fleet.isOnline('k1')).toBe(true);
    fleet.seen('k2');
    advance(170_000);
    expect(fleet.isOnline('k2')).toBe(true);
    advance(11_000);
    expect(fleet.isOnline('k2')).toBe(false);
  });
});

describe('FleetMonitor with --offline-after shorter than the grace', () => {
  it('never waits longer than a lane may stay silent', () => {
    let now = 0;
    const hub = new EventHub(() => Promise.resolve([]));
    const fleet = new FleetMonitor(hub, () => now, 2_000, 45_000);
    const remove = hub.addLane('k1', 'CP', stream());
    fleet.seen('k1');
    remove();
    fleet.streamClosed('k1');
    now += 2_001;
    fleet.sweep();
    expect(fleet.isOnline('k1')).toBe(false);
  });
});

describe('a lane whose event stream dies (real server, real HTTP)', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('is offline for admins within the grace, devices and all', async () => {
    t = await buildTestApp({ kioskStreamGraceMs: 300 });
    await addCheckpoint(t, 'CP');
    const k = await enrollKiosk(t, 'CP');
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const changes: { kioskId: string; online: boolean }[] = [];
    t.app.services.hub.addAdmin({
      ...stream(),
      send: (e, d) => e === 'kiosk-status' && changes.push(d as never),
    });
    const ac = new AbortController();
    const res = await fetch(`${base}/api/v1/kiosk/events`, { headers: k.auth, signal: ac.signal });
    const reader = res.body?.getReader();
    await reader?.read(); // the stream is open
    expect(t.app.services.fleet.isOnline(k.kioskId)).toBe(true);
    const closedAt = Date.now();
    ac.abort();
    await expect
      .poll(() => t.app.services.fleet.isOnline(k.kioskId), { timeout: 3_000, interval: 25 })
      .toBe(false);
    expect(Date.now() - closedAt).toBeLessThan(2_000);
    expect(changes.at(-1)).toMatchObject({ kioskId: k.kioskId, online: false });
    const kiosks = await t.app.inject({ method: 'GET', url: '/api/v1/admin/kiosks', headers: t.admin });
    expect(kiosks.json<{ kiosks: { online: boolean }[] }>().kiosks[0]?.online).toBe(false);
  });
});
