import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import type { CheckpointConfig } from '../schemas/checkpoint-schemas.js';
import {
  decodeAs,
  decodeLaneEvent,
  EnrollAnswer,
  EnrollRequest,
  HeartbeatAnswer,
  HeartbeatReport,
  LANE_EVENT_SCHEMAS,
  ListChanges,
  OfficerRoster,
  type LaneEventName,
} from './kiosk-api.js';

const checkpoint: CheckpointConfig = {
  id: 'CP-1',
  name: 'A',
  mode: 'open',
  freshnessBudgetSec: 3600,
  blockingStatuses: ['F0'],
  repeatWindowSec: 5,
};

const heartbeat = {
  listVersions: { health: 3, whitelist: 0 },
  backlog: 0,
  devices: [{ name: 'cam0', kind: 'camera', status: 'ok' }],
  clock: 1_700_000_000_000,
};

describe('the heartbeat body', () => {
  it('takes what a lane sends', () => {
    expect(Value.Check(HeartbeatReport, heartbeat)).toBe(true);
  });

  it.each([
    ['no clock', { ...heartbeat, clock: undefined }],
    ['a clock past 9999', { ...heartbeat, clock: 1e20 }],
    ['a negative backlog', { ...heartbeat, backlog: -1 }],
    ['a fractional version', { ...heartbeat, listVersions: { health: 1.5, whitelist: 0 } }],
    ['a list version missing', { ...heartbeat, listVersions: { health: 1 } }],
    ['a device name over 64', { ...heartbeat, devices: [{ name: 'x'.repeat(65), kind: 'c', status: 'ok' }] }],
    ['33 devices', { ...heartbeat, devices: Array.from({ length: 33 }, () => heartbeat.devices[0]) }],
    ['a string backlog', { ...heartbeat, backlog: '0' }],
  ])('refuses %s', (_what, body) => {
    expect(Value.Check(HeartbeatReport, body)).toBe(false);
  });

  it('answers the checkpoint config; the roster version may be absent (older servers)', () => {
    expect(Value.Check(HeartbeatAnswer, { serverTime: 1, checkpoint, officersVersion: 2 })).toBe(true);
    expect(Value.Check(HeartbeatAnswer, { serverTime: 1, checkpoint })).toBe(true);
    expect(Value.Check(HeartbeatAnswer, { serverTime: 1, checkpoint: { ...checkpoint, mode: 'ajar' } })).toBe(
      false,
    );
  });
});

describe('enrollment', () => {
  it('takes a code and a name', () => {
    expect(Value.Check(EnrollRequest, { code: 'ABCD-EFGH', name: 'Lane 1' })).toBe(true);
  });

  it.each([
    ['a short code', { code: 'AB', name: 'Lane 1' }],
    ['a long code', { code: 'A'.repeat(33), name: 'Lane 1' }],
    ['an empty name', { code: 'ABCD', name: '' }],
    ['a name over 100', { code: 'ABCD', name: 'x'.repeat(101) }],
    ['no name', { code: 'ABCD' }],
    ['a numeric code', { code: 12345678, name: 'Lane 1' }],
  ])('refuses %s', (_what, body) => {
    expect(Value.Check(EnrollRequest, body)).toBe(false);
  });

  it('answers id, token, config and list key, none empty', () => {
    const answer = { kioskId: 'k1', token: 'ck_x', checkpoint, listKey: 'a2V5' };
    expect(Value.Check(EnrollAnswer, answer)).toBe(true);
    expect(Value.Check(EnrollAnswer, { ...answer, token: '' })).toBe(false);
    expect(Value.Check(EnrollAnswer, { ...answer, listKey: undefined })).toBe(false);
  });
});

describe('answers a lane decodes', () => {
  it('refuses a delta whose key is not a subject key, and says where', () => {
    const delta = { list: 'health', fromVersion: 1, toVersion: 2, changes: [{ key: 'zz', op: 'put' }] };
    const decoded = decodeAs(ListChanges, delta);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error).toMatch(/^\/changes\/0\/key: /);
    expect(decodeAs(ListChanges, { ...delta, changes: [{ key: '00ff00ff00ff00ff', op: 'delete' }] })).toEqual(
      {
        ok: true,
        value: { ...delta, changes: [{ key: '00ff00ff00ff00ff', op: 'delete' }] },
      },
    );
  });

  it('refuses a roster with a PIN in clear', () => {
    const roster = { version: 2, officers: [{ id: 'o1', role: 'officer', pinHash: '1234' }] };
    expect(decodeAs(OfficerRoster, roster).ok).toBe(false);
    const hashed = { id: 'o1', role: 'supervisor', pinHash: 'scrypt$c2FsdA==$aGFzaA==' };
    expect(decodeAs(OfficerRoster, { version: 2, officers: [hashed] }).ok).toBe(true);
  });
});

describe('decodeLaneEvent', () => {
  // One body per event name: a new event in LANE_EVENT_SCHEMAS without a sample does not compile.
  const samples = {
    hello: { kioskId: 'k1', checkpointId: 'CP-1', serverTime: 1 },
    'list-version': { list: 'whitelist', version: 4 },
    urgent: {
      list: 'health',
      fromVersion: 3,
      toVersion: 4,
      changes: [{ key: '00ff00ff00ff00ff', op: 'put', entry: { status: 'F0', since: null, until: null } }],
    },
    checkpoint,
    officers: { version: 3 },
    'signing-keys': {
      keys: [{ id: '0123456789abcdef', publicKey: `${'A'.repeat(43)}=`, validFrom: 1, validUntil: null }],
    },
    revoked: { kioskId: 'k1' },
    'list-key': { keyId: 2 },
    passes: { version: 7 },
  } satisfies Record<LaneEventName, unknown>;

  it.each(Object.keys(LANE_EVENT_SCHEMAS) as LaneEventName[])('decodes `%s`', (name) => {
    expect(decodeLaneEvent(name, JSON.stringify(samples[name]))).toEqual({
      ok: true,
      value: { type: name, data: samples[name] },
    });
  });

  it('decodes a checkpoint push as the whole config, and refuses a bad one', () => {
    const decoded = decodeLaneEvent('checkpoint', JSON.stringify({ ...checkpoint, mode: 'closed' }));
    expect(decoded.ok && decoded.value.type === 'checkpoint' && decoded.value.data.mode).toBe('closed');
    expect(
      decodeLaneEvent('checkpoint', JSON.stringify({ ...checkpoint, freshnessBudgetSec: 1e20 })),
    ).toEqual({
      ok: false,
      error: 'invalid',
    });
  });

  it('refuses bad bodies and tells unknown names apart', () => {
    expect(decodeLaneEvent('officers', '{"version":-1}')).toEqual({ ok: false, error: 'invalid' });
    expect(decodeLaneEvent('list-version', '{"list":"people","version":1}')).toEqual({
      ok: false,
      error: 'invalid',
    });
    expect(decodeLaneEvent('revoked', '{}')).toEqual({ ok: true, value: { type: 'revoked', data: {} } });
    expect(decodeLaneEvent('checkpoint', '{not json')).toEqual({ ok: false, error: 'unreadable' });
    expect(decodeLaneEvent('toString', '{}')).toEqual({ ok: false, error: 'unknown' });
    expect(decodeLaneEvent('new-thing', '{}')).toEqual({ ok: false, error: 'unknown' });
  });
});
