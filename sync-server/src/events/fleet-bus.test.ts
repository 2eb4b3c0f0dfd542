// The fleet bus's messages (what is taken, what is dropped) and the in-process bus.
import type { CheckpointConfig } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { EventHub } from './event-hub.js';
import {
  FLEET_MESSAGE_MAX_BYTES,
  LocalBus,
  LocalBusNetwork,
  decodeFleetMessage,
  encodeFleetMessage,
  laneMessage,
  type FleetBusEvent,
  type FleetMessage,
} from './fleet-bus.js';

describe('fleet messages', () => {
  it('round-trips each kind of message with its origin', () => {
    const messages: FleetMessage[] = [
      { type: 'list-version', list: 'health', version: 7, fromVersion: 6 },
      { type: 'admin', event: 'alert', id: 12 },
      { type: 'officers', version: 3 },
      { type: 'signing-keys', keys: [] },
      laneMessage('lane-1', { type: 'list-key', data: { keyId: 4 } }),
      { type: 'lane-close', laneId: 'lane-1' },
      { type: 'lane-presence', laneId: 'lane-1', checkpointId: 'CP', server: 'abc', open: true },
      { type: 'presence-request' },
      { type: 'presence-request', server: 'abc' },
      { type: 'server-alive' },
    ];
    for (const m of messages) {
      expect(decodeFleetMessage(encodeFleetMessage(m, 'srv1'))).toEqual({ ...m, origin: 'srv1' });
    }
  });

  it('drops what is not a fleet message', () => {
    const bad = [
      'garbage',
      '',
      'null',
      '[]',
      JSON.stringify({ type: 'list-version', list: 'health', version: 7, fromVersion: 6 }), // no origin
      JSON.stringify({ type: 'resync', origin: 'x' }), // local only, never on the wire
      JSON.stringify({ type: 'nope', origin: 'x' }),
      JSON.stringify({ type: 'list-version', origin: 'x', list: 'people', version: 1, fromVersion: 0 }),
      JSON.stringify({ type: 'list-version', origin: 'x', list: 'health', version: -1, fromVersion: 0 }),
      JSON.stringify({ type: 'admin', origin: 'x', event: 'kiosk-status', id: 1 }),
      JSON.stringify({ type: 'lane', origin: 'x', laneId: 'l', event: { type: 'bogus', data: {} } }),
      JSON.stringify({ type: 'lane', origin: 'x', laneId: 'l', event: { type: 'list-key', data: {} } }),
      JSON.stringify({ type: 'server-alive', origin: 'x'.repeat(FLEET_MESSAGE_MAX_BYTES) }),
    ];
    for (const text of bad) expect(decodeFleetMessage(text), text.slice(0, 80)).toBeNull();
  });

  it('refuses to encode a message over the NOTIFY limit, naming it', () => {
    const big = laneMessage('l', { type: 'revoked', data: { kioskId: 'x'.repeat(FLEET_MESSAGE_MAX_BYTES) } });
    expect(() => encodeFleetMessage(big, 'srv1')).toThrow(/'lane' is \d+ bytes: over the 8000-byte/);
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
    return {
      events,
      send: (event: string, data: unknown) => events.push({ event, data }),
      comment() {},
      close() {},
    };
  };

  it('relays checkpoint configs to that checkpoint, signing keys to all, and keeps kiosk-status local', async () => {
    const net = new LocalBusNetwork();
    const none = () => Promise.resolve([]);
    const a = new EventHub(none, undefined, Date.now, { bus: new LocalBus(net, 'a') });
    const b = new EventHub(none, undefined, Date.now, { bus: new LocalBus(net, 'b') });
    const atCp = recorder();
    const elsewhere = recorder();
    const admin = recorder();
    b.addLane('l1', 'CP', atCp);
    b.addLane('l2', 'OTHER', elsewhere);
    b.addAdmin(admin);
    const config = { id: 'CP', name: 'Checkpoint', blockingStatuses: ['F0'] } as unknown as CheckpointConfig;
    a.publishCheckpoint('CP', config, 'sig');
    a.publishSigningKeys([]);
    a.publishAdmin('kiosk-status', { kioskId: 'l9', online: true, at: 1 });
    await new Promise((r) => setImmediate(r));
    await b.settled();
    expect(atCp.events).toEqual([
      { event: 'checkpoint', data: { ...config, checkpointSignature: 'sig' } },
      { event: 'signing-keys', data: { keys: [] } },
    ]);
    expect(elsewhere.events).toEqual([{ event: 'signing-keys', data: { keys: [] } }]);
    expect(admin.events).toEqual([]);
    // b's lanes are known on a.
    expect(a.connectedLanes()).toEqual(new Set(['l1', 'l2']));
  });
});
