import type { GateView } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { CornerTaps, gateShown, type GateInputs } from './gate-state.js';
import { gateLine } from './gate-words.js';

const T = 1_000_000;
const view = (over: Partial<GateView> = {}): GateView => ({
  unattended: true,
  relay: 'serial:/dev/ttyUSB0',
  state: 'idle',
  openUntil: null,
  faults: [],
  unlock: null,
  ...over,
});
const inputs = (over: Partial<GateInputs> = {}): GateInputs => ({
  view: view(),
  alive: true,
  latest: null,
  openSeenAt: null,
  badCardAt: null,
  now: T,
  ...over,
});

describe('gateShown', () => {
  it('is ready when idle, closed when the agent is lost, unknown or the gate is in fault', () => {
    expect(gateShown(inputs())).toEqual({ show: 'ready', seconds: null });
    expect(gateShown(inputs({ alive: false })).show).toBe('closed');
    expect(gateShown(inputs({ view: null })).show).toBe('closed');
    expect(gateShown(inputs({ view: view({ state: 'fault', faults: ['relay_lost'] }) })).show).toBe('closed');
    // A green heard during a fault does not say go: the gate stays shut.
    expect(
      gateShown(inputs({ view: view({ state: 'fault' }), latest: { colour: 'green', at: T - 100 } })).show,
    ).toBe('closed');
  });

  it('counts down whole seconds while open', () => {
    expect(gateShown(inputs({ view: view({ state: 'open', openUntil: T + 4200 }) }))).toEqual({
      show: 'go',
      seconds: 5,
    });
    expect(gateShown(inputs({ view: view({ state: 'open', openUntil: T + 10 }) })).seconds).toBe(1);
    // Past its time (a late shut message): no "go".
    expect(gateShown(inputs({ view: view({ state: 'open', openUntil: T }) })).show).toBe('ready');
    expect(gateLine('go', 4, 'vi')).toBe('Mời qua — 4');
  });

  it('red and amber both show "see a staff member", for the hold, and while the gate is shut', () => {
    for (const colour of ['red', 'amber'] as const)
      expect(gateShown(inputs({ latest: { colour, at: T - 4000 } })).show).toBe('see_staff');
    expect(gateShown(inputs({ latest: { colour: 'red', at: T - 6000 } })).show).toBe('ready');
    expect(gateShown(inputs({ view: view({ state: 'shut' }) })).show).toBe('see_staff');
    expect(gateLine('see_staff', null, 'vi')).toBe('Vui lòng gặp nhân viên');
  });

  it('a green says go by itself only at a screen-only totem, and not after its open is over', () => {
    const green = { colour: 'green', at: T - 1000 } as const;
    expect(gateShown(inputs({ latest: green })).show).toBe('ready');
    expect(gateShown(inputs({ latest: green, view: view({ relay: null }) })).show).toBe('go');
    expect(gateShown(inputs({ latest: green, view: view({ relay: null }), openSeenAt: T - 900 })).show).toBe(
      'ready',
    );
  });

  it('a refused staff card shows briefly, over ready and shut, never over a fault', () => {
    expect(gateShown(inputs({ badCardAt: T - 100 })).show).toBe('bad_card');
    expect(gateShown(inputs({ badCardAt: T - 5000 })).show).toBe('ready');
    expect(gateShown(inputs({ badCardAt: T - 100, view: view({ state: 'fault' }) })).show).toBe('closed');
  });
});

describe('CornerTaps', () => {
  it('opens on the third tap within 2 s, not on slow taps, and starts over after', () => {
    const c = new CornerTaps();
    expect([c.tap(0), c.tap(900), c.tap(1900)]).toEqual([false, false, true]);
    expect(c.tap(2000)).toBe(false);
    const slow = new CornerTaps();
    expect([slow.tap(0), slow.tap(1500), slow.tap(2100), slow.tap(2200)]).toEqual([
      false,
      false,
      false,
      true,
    ]);
  });
});
