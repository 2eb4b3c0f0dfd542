// The fleet bus's messages (what is taken, what is dropped) and the in-process bus.
import { createHmac } from 'node:crypto';
import type { CheckpointConfig, ListSigningKey } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { EventHub } from './event-hub.js';
import {
  FLEET_MESSAGE_MAX_BYTES,
  LocalBus,
  LocalBusNetwork,
  decodeFleetMessage,
  encodeFleetMessage,
  laneMessage,
  newFleetKey,
  type FleetBusEvent,
  type FleetMessage,
} from './fleet-bus.js';

const KEY = newFleetKey();
const NOW = 1_700_000_000_000;

/** A payload made as a server would, from any JSON text (to test what the receiver checks). */
function signed(json: string, key = KEY): string {
  return `v1:${createHmac('sha256', key).update(json).digest('hex')}:${json}`;
}

describe('fleet messages', () => {
  it('round-trips each kind of message with its origin', () => {
    const messages: FleetMessage[] = [
      { type: 'list-version', list: 'health', version: 7, fromVersion: 6 },
      { type: 'admin', event: 'alert', id: 12 },
      { type: 'officers', version: 3 },
      { type: 'signing-keys' },
      { type: 'checkpoint', checkpointId: 'CP' },
      laneMessage('lane-1', { type: 'list-key', data: { keyId: 4 } }),
      laneMessage('lane-1', { type: 'revoked', data: { kioskId: 'lane-1' } }),
      { type: 'lane-close', laneId: 'lane-1' },
      { type: 'lane-presence', laneId: 'lane-1', checkpointId: 'CP', open: true },
      { type: 'presence-request' },
      { type: 'presence-request', server: 'abc' },
      { type: 'server-alive' },
      { type: 'gate', kioskId: 'lane-1', checkpointId: 'CP', heardAt: NOW, gate: null },
      {
        type: 'gate',
        kioskId: 'lane-1',
        checkpointId: 'CP',
        heardAt: NOW - 1,
        gate: {
          unattended: true,
          relay: null,
          state: 'fault',
          faults: ['relay_lost'],
          counts: {
            opens: 1,
            shuts: 2,
            reds: 3,
            ambers: 0,
            repeats: 0,
            faults: 1,
            writeFailures: 0,
            unlocks: 0,
          },
        },
      },
    ];
    for (const m of messages) {
      expect(decodeFleetMessage(encodeFleetMessage(m, 'srv1', KEY, NOW), KEY, NOW)).toEqual({
        ok: true,
        message: { ...m, origin: 'srv1' },
      });
    }
  });

  it('drops a payload without a valid MAC under the fleet key as unauthenticated', () => {
    const json = JSON.stringify({ type: 'officers', version: 1, origin: 'x', at: NOW });
    const good = signed(json);
    expect(decodeFleetMessage(good, KEY, NOW).ok).toBe(true);
    const bad = [
      json, // no MAC at all (what a role without the key sends)
      signed(json, newFleetKey()), // another key
      good.replace('"version":1', '"version":2'), // body changed after signing
      `v1:${'0'.repeat(64)}:${json}`,
      `v2${good.slice(2)}`,
      'garbage',
      '',
    ];
    for (const text of bad) {
      expect(decodeFleetMessage(text, KEY, NOW), text.slice(0, 80)).toEqual({
        ok: false,
        reason: 'unauthenticated',
      });
    }
  });

  it('drops an authenticated payload that is not a fleet message, or was sent too long ago', () => {
    const bad = [
      'null',
      '[]',
      'not json',
      JSON.stringify({ type: 'list-version', list: 'health', version: 7, fromVersion: 6, at: NOW }), // no origin
      JSON.stringify({ type: 'officers', version: 1, origin: 'x' }), // no time
      JSON.stringify({ type: 'resync', origin: 'x', at: NOW }), // local only, never on the wire
      JSON.stringify({ type: 'nope', origin: 'x', at: NOW }),
      JSON.stringify({
        type: 'list-version',
        origin: 'x',
        at: NOW,
        list: 'people',
        version: 1,
        fromVersion: 0,
      }),
      JSON.stringify({
        type: 'list-version',
        origin: 'x',
        at: NOW,
        list: 'health',
        version: -1,
        fromVersion: 0,
      }),
      JSON.stringify({ type: 'admin', origin: 'x', at: NOW, event: 'kiosk-status', id: 1 }),
      JSON.stringify({ type: 'lane', origin: 'x', at: NOW, laneId: 'l', event: { type: 'bogus', data: {} } }),
      JSON.stringify({
        type: 'lane',
        origin: 'x',
        at: NOW,
        laneId: 'l',
        event: { type: 'list-key', data: {} },
      }),
      // Lane events that carry content, not ids, never travel.
      JSON.stringify({
        type: 'lane',
        origin: 'x',
        at: NOW,
        laneId: 'l',
        event: { type: 'signing-keys', data: { keys: [] } },
      }),
      // The old bodies: a checkpoint config and a key set are no longer taken from the wire.
      JSON.stringify({ type: 'checkpoint', origin: 'x', at: NOW, checkpointId: 'CP', event: {} }),
      JSON.stringify({ type: 'signing-keys', origin: 'x', at: NOW, keys: [] }),
      JSON.stringify({ type: 'server-alive', origin: 'x'.repeat(FLEET_MESSAGE_MAX_BYTES), at: NOW }),
    ];
    for (const json of bad) {
      expect(decodeFleetMessage(signed(json), KEY, NOW), json.slice(0, 80)).toEqual({
        ok: false,
        reason: 'malformed',
      });
    }
    const alive = encodeFleetMessage({ type: 'server-alive' }, 'x', KEY, NOW);
    expect(decodeFleetMessage(alive, KEY, NOW + 120_000).ok).toBe(true);
    expect(decodeFleetMessage(alive, KEY, NOW + 120_001)).toEqual({ ok: false, reason: 'stale' });
    expect(decodeFleetMessage(alive, KEY, NOW - 120_001)).toEqual({ ok: false, reason: 'stale' });
  });

  it('encodes up to 7999 bytes (what PostgreSQL takes) and refuses 8000, naming the message', () => {
    const sized = (n: number) => {
      const base = encodeFleetMessage(
        laneMessage('l', { type: 'revoked', data: { kioskId: '' } }),
        's',
        KEY,
        NOW,
      );
      return laneMessage('l', { type: 'revoked', data: { kioskId: 'x'.repeat(n - base.length) } });
    };
    expect(Buffer.byteLength(encodeFleetMessage(sized(7999), 's', KEY, NOW))).toBe(7999);
    expect(() => encodeFleetMessage(sized(8000), 's', KEY, NOW)).toThrow(
      /'lane' is 8000 bytes: over the 7999-byte NOTIFY limit/,
    );
  });
});

describe('LocalBus', () => {
  it('alone (one server) delivers nothing and never fails', async () => {
    const bus = new LocalBus();
    const got: FleetBusEvent[] = [];
    bus.subscribe((e) => got.push(e));
    await bus.publish({ type: 'officers', version: 1 });
    await Promise.resolve();
    expect(got).toEqual([]);
    expect(bus.state().connected).toBe(true);
    expect(bus.stats().published).toBe(1);
  });

  it('on a shared network delivers to the other members, not back to the sender', async () => {
    const net = new LocalBusNetwork();
    const a = new LocalBus(net, 'a');
    const b = new LocalBus(net, 'b');
    const gotA: FleetBusEvent[] = [];
    const gotB: FleetBusEvent[] = [];
    a.subscribe((e) => gotA.push(e));
    const stop = b.subscribe((e) => gotB.push(e));
    b.subscribe(() => {
      throw new Error('a failing handler does not stop the others');
    });
    await a.publish({ type: 'officers', version: 2 });
    await new Promise((r) => setImmediate(r));
    expect(gotB).toEqual([{ type: 'officers', version: 2, origin: 'a' }]);
    expect(gotA).toEqual([]);
    stop();
    await a.publish({ type: 'officers', version: 3 });
    await new Promise((r) => setImmediate(r));
    expect(gotB).toHaveLength(1);
    await b.close();
    await expect(b.publish({ type: 'server-alive' })).rejects.toThrow(/closed/);
  });
});

describe('two event hubs on one LocalBusNetwork', () => {
  /** A stream that records what it is sent. */
  const recorder = () => {
    const events: { event: string; data: unknown }[] = [];
    const s = {
      events,
      closed: false,
      send: (event: string, data: unknown) => events.push({ event, data }),
      comment() {},
      close() {
        s.closed = true;
      },
    };
    return s;
  };
  const none = () => Promise.resolve([]);
  const tick = async (hub: EventHub) => {
    await new Promise((r) => setImmediate(r));
    await hub.settled();
  };

  it('a checkpoint change is re-read and signed by the receiver, signing keys re-read; kiosk-status stays local', async () => {
    const net = new LocalBusNetwork();
    const stored = { id: 'CP', name: 'Stored', blockingStatuses: ['F0'] } as unknown as CheckpointConfig;
    const keys = [{ id: 'k2' }] as unknown as ListSigningKey[];
    let reloads = 0;
    const a = new EventHub(none, undefined, Date.now, { bus: new LocalBus(net, 'a') });
    const b = new EventHub(none, undefined, Date.now, {
      bus: new LocalBus(net, 'b'),
      readCheckpoint: (id) =>
        Promise.resolve(
          id === 'CP'
            ? { config: stored, checkpointSignature: 'b-sig', checkpointSignatureV2: 'b-sig2' }
            : null,
        ),
      readSigningKeys: () => {
        reloads += 1;
        return Promise.resolve(keys);
      },
    });
    const atCp = recorder();
    const elsewhere = recorder();
    const admin = recorder();
    b.addLane('l1', 'CP', atCp);
    b.addLane('l2', 'OTHER', elsewhere);
    b.addAdmin(admin);
    // What a sends is not what b delivers: b reads the stored config and signs it itself.
    const sent = { id: 'CP', name: 'Sent', blockingStatuses: [] } as unknown as CheckpointConfig;
    a.publishCheckpoint('CP', sent, { checkpointSignature: 'a-sig', checkpointSignatureV2: 'a-sig2' });
    a.publishSigningKeys([{ id: 'forged' }] as unknown as ListSigningKey[]);
    a.publishAdmin('kiosk-status', { kioskId: 'l9', online: true, at: 1 });
    await tick(b);
    expect(atCp.events).toEqual([
      {
        event: 'checkpoint',
        data: { ...stored, checkpointSignature: 'b-sig', checkpointSignatureV2: 'b-sig2' },
      },
      { event: 'signing-keys', data: { keys } },
    ]);
    expect(elsewhere.events).toEqual([{ event: 'signing-keys', data: { keys } }]);
    expect(reloads).toBe(1);
    expect(admin.events).toEqual([]);
    // b's lanes are known on a.
    expect(a.connectedLanes()).toEqual(new Set(['l1', 'l2']));
  });

  it('a lane’s gate report reaches the other server’s admin streams as sent (no personal data in it)', async () => {
    const net = new LocalBusNetwork();
    const a = new EventHub(none, undefined, Date.now, { bus: new LocalBus(net, 'a') });
    const b = new EventHub(none, undefined, Date.now, { bus: new LocalBus(net, 'b') });
    const here = recorder();
    const there = recorder();
    a.addAdmin(here);
    b.addAdmin(there);
    const data = { kioskId: 'l1', checkpointId: 'CP', at: 5, gate: null };
    a.publishAdmin('gate', data);
    await tick(b);
    expect(here.events).toEqual([{ event: 'gate', data }]);
    expect(there.events).toEqual([{ event: 'gate', data }]);
  });

  it('acts on a revoked event or close only when the database says the lane is revoked', async () => {
    const net = new LocalBusNetwork();
    const revoked = new Set<string>();
    const a = new EventHub(none, undefined, Date.now, { bus: new LocalBus(net, 'a') });
    const b = new EventHub(none, undefined, Date.now, {
      bus: new LocalBus(net, 'b'),
      readLaneRevoked: (id) => Promise.resolve(revoked.has(id)),
    });
    const lane = recorder();
    b.addLane('l1', 'CP', lane);
    a.publishLane('l1', { type: 'revoked', data: { kioskId: 'l1' } });
    a.closeLane('l1');
    a.publishLane('l1', { type: 'list-key', data: { keyId: 3 } });
    await tick(b);
    expect(lane.events).toEqual([{ event: 'list-key', data: { keyId: 3 } }]);
    expect(lane.closed).toBe(false);
    revoked.add('l1');
    a.publishLane('l1', { type: 'revoked', data: { kioskId: 'l1' } });
    a.closeLane('l1');
    await tick(b);
    expect(lane.events.at(-1)).toEqual({ event: 'revoked', data: { kioskId: 'l1' } });
    expect(lane.closed).toBe(true);
  });

  it('ignores a list or roster version above what the database holds', async () => {
    const net = new LocalBusNetwork();
    const a = new EventHub(none, undefined, Date.now, { bus: new LocalBus(net, 'a') });
    const b = new EventHub(none, undefined, Date.now, {
      bus: new LocalBus(net, 'b'),
      readVersion: (what) => Promise.resolve(what === 'officers' ? 4 : 10),
    });
    const lane = recorder();
    b.addLane('l1', 'CP', lane);
    await a.publishListVersion('whitelist', 999_999_999, 9);
    a.publishOfficers(5);
    await a.publishListVersion('whitelist', 10, 9);
    a.publishOfficers(4);
    await tick(b);
    expect(lane.events).toEqual([
      { event: 'list-version', data: { list: 'whitelist', version: 10 } },
      { event: 'officers', data: { version: 4 } },
    ]);
    expect(b.fleetDropped()).toBe(2);
  });

  it('bounds the lanes kept per other server and the number of other servers', async () => {
    const net = new LocalBusNetwork();
    const a = new EventHub(none, undefined, Date.now, {
      bus: new LocalBus(net, 'a'),
      maxLanesPerServer: 3,
      maxServers: 2,
    });
    const b = new EventHub(none, undefined, Date.now, { bus: new LocalBus(net, 'b') });
    for (let i = 0; i < 5; i++) b.addLane(`l${i}`, 'CP', recorder());
    await tick(a);
    expect(a.connectedLanes()).toEqual(new Set(['l0', 'l1', 'l2']));
    const c = new EventHub(none, undefined, Date.now, { bus: new LocalBus(net, 'c') });
    c.addLane('c0', 'CP', recorder());
    const d = new EventHub(none, undefined, Date.now, { bus: new LocalBus(net, 'd') });
    d.addLane('d0', 'CP', recorder());
    await tick(a);
    expect(a.isConnected('c0')).toBe(true);
    expect(a.isConnected('d0')).toBe(false); // a third other server
    expect(a.fleetDropped()).toBe(3);
  });

  it('answers presence requests at most once per announceMinMs', async () => {
    const net = new LocalBusNetwork();
    const b = new EventHub(none, undefined, Date.now, { bus: new LocalBus(net, 'b'), announceMinMs: 200 });
    b.addLane('l1', 'CP', recorder());
    b.addLane('l2', 'CP', recorder());
    const watch = new LocalBus(net, 'watch');
    const presence: FleetBusEvent[] = [];
    watch.subscribe((e) => {
      if (e.type === 'lane-presence') presence.push(e);
    });
    for (let i = 0; i < 20; i++) await watch.publish({ type: 'presence-request' });
    await tick(b);
    expect(presence).toHaveLength(2); // one announcement of two lanes
    await new Promise((r) => setTimeout(r, 300));
    expect(presence).toHaveLength(4); // the requests meanwhile: one more, when the time was over
    b.detach();
  });

  it('after a resync, tells and closes the lanes here revoked meanwhile', async () => {
    const net = new LocalBusNetwork();
    const bus = new LocalBus(net, 'b');
    const b = new EventHub(none, undefined, Date.now, {
      bus,
      readLaneRevoked: (id) => Promise.resolve(id === 'gone'),
    });
    const gone = recorder();
    const kept = recorder();
    b.addLane('gone', 'CP', gone);
    b.addLane('kept', 'CP', kept);
    bus.resync();
    await b.settled();
    expect(gone.events).toEqual([{ event: 'revoked', data: { kioskId: 'gone' } }]);
    expect(gone.closed).toBe(true);
    expect(kept.closed).toBe(false);
    expect(kept.events).toEqual([]);
  });
});
