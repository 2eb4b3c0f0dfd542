// Staff access at an unattended lane (issue 17): real Ed25519 staff cards checked by a real
// ListTrust, a real OfficerRegistry (scrypt PINs, the lane's pepper, its lock-outs), a fake
// clock for the lane's time (the lock timer runs on vitest's fake timers).
import { randomBytes } from 'node:crypto';
import { encodeStaffCard, staffCardMessage, type GateUnlock, type StaffCard } from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashPin, OfficerRegistry } from '../agent/officers.js';
import { TestListSigner } from '../sync/list-signer.testkit.js';
import { ListTrust } from '../sync/list-trust.js';
import { StaffAccess } from './staff-access.js';

const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });

function settings(): { getSetting(n: string): string | null; setSetting(n: string, v: string): void } {
  const m = new Map<string, string>();
  return { getSetting: (n) => m.get(n) ?? null, setSetting: (n, v) => void m.set(n, v) };
}

const signer = TestListSigner.create(0);
const stranger = TestListSigner.create(0);

function card(over: Partial<StaffCard> = {}, by: TestListSigner = signer): string {
  const c: StaffCard = {
    checkpointId: 'CP-1',
    officerId: 'CB-01',
    cardId: 'card-0001',
    issuedAt: T0 / 1000 - 86_400,
    expiresAt: T0 / 1000 + 29 * 86_400,
    ...over,
  };
  return encodeStaffCard(c, by.signText(staffCardMessage(c)));
}

let now = T0;
let officers: OfficerRegistry;
let access: StaffAccess;
let logs: { obj: unknown; msg: string }[];

function make(unlockMs?: number): StaffAccess {
  const trust = new ListTrust({ settings: settings(), kioskId: 'k-1', enrolled: [signer.key], logger });
  logs = [];
  const log = {
    info: (obj: unknown, msg: string) => void logs.push({ obj, msg }),
  } as unknown as pino.Logger;
  return new StaffAccess({
    trust,
    officers,
    checkpointId: () => 'CP-1',
    clock: () => now,
    ...(unlockMs !== undefined && { unlockMs }),
    logger: log,
  });
}

beforeEach(() => {
  now = T0;
  officers = new OfficerRegistry(
    [
      { id: 'CB-01', name: 'Nguyễn An', role: 'officer', pinHash: hashPin('1111') },
      { id: 'GS-01', name: 'Lê Chi', role: 'supervisor', pinHash: hashPin('9999') },
    ],
    { pinPepper: randomBytes(32), maxFailures: 3, lockoutMs: 60_000 },
  );
  access = make();
});

afterEach(() => {
  access.stop();
  vi.useRealTimers();
});

describe('staff cards', () => {
  it('a valid card unlocks the panel for a minute, via staff_card', () => {
    const seen: (GateUnlock | null)[] = [];
    access.onChange((u) => seen.push(u));
    const result = access.card(card());
    expect(result).toEqual({
      ok: true,
      unlock: { officerId: 'CB-01', until: T0 + 60_000, via: 'staff_card' },
    });
    expect(access.current()).toEqual({ officerId: 'CB-01', until: T0 + 60_000, via: 'staff_card' });
    expect(seen).toEqual([{ officerId: 'CB-01', until: T0 + 60_000, via: 'staff_card' }]);
  });

  it('text that is not a card is not its business (null), and changes nothing', () => {
    expect(access.card('079212345678')).toBeNull();
    expect(access.card('CLP1:abc')).toBeNull();
    expect(access.current()).toBeNull();
  });

  it('refuses a malformed card, another key, a tampered body, another checkpoint, an expired card, an officer not on the roster', () => {
    const good = card();
    const [body, sig] = good.slice('CLSC1:'.length).split('.') as [string, string];
    // The body of another card (another officer) under this card's signature.
    const otherBody = card({ officerId: 'GS-01' }).slice('CLSC1:'.length).split('.')[0] as string;
    const cases: [string, string][] = [
      ['CLSC1:not-a-card', 'malformed'],
      [`CLSC1:${body}.`, 'malformed'],
      [card({}, stranger), 'unknown_key'],
      [`CLSC1:${otherBody}.${sig}`, 'bad_signature'],
      [card({ checkpointId: 'CP-2' }), 'wrong_checkpoint'],
      [card({ issuedAt: T0 / 1000 - 3 * 86_400, expiresAt: T0 / 1000 }), 'expired'],
      [card({ officerId: 'CB-99' }), 'unknown_officer'],
    ];
    for (const [text, reason] of cases) expect(access.card(text), reason).toEqual({ ok: false, reason });
    expect(access.current()).toBeNull();
    // Each refusal logged with its reason only: no card text, no officer.
    const refusals = logs.filter((l) => l.msg === 'staff card refused');
    expect(refusals.map((l) => l.obj)).toEqual(cases.map(([, reason]) => ({ staffCard: 'refused', reason })));
    expect(JSON.stringify(logs)).not.toContain(body);
  });

  it('a card expires by the lane clock: valid one second before its end, refused at it', () => {
    const end = T0 / 1000 + 3600;
    const text = card({ expiresAt: end });
    now = end * 1000 - 1000;
    expect(access.card(text)?.ok).toBe(true);
    access.lock();
    now = end * 1000;
    expect(access.card(text)).toEqual({ ok: false, reason: 'expired' });
  });

  it('removing the officer from the roster revokes their card', () => {
    const text = card();
    officers.replace({
      version: 2,
      officers: [{ id: 'GS-01', name: 'Lê Chi', role: 'supervisor', pinHash: hashPin('9999') }],
    });
    expect(access.card(text)).toEqual({ ok: false, reason: 'unknown_officer' });
  });

  it('follows the checkpoint the lane is at now', () => {
    let cp = 'CP-2';
    const trust = new ListTrust({ settings: settings(), kioskId: 'k-1', enrolled: [signer.key], logger });
    const a = new StaffAccess({ trust, officers, checkpointId: () => cp, clock: () => now, logger });
    expect(a.card(card())).toEqual({ ok: false, reason: 'wrong_checkpoint' });
    cp = 'CP-1';
    expect(a.card(card())?.ok).toBe(true);
    a.stop();
  });
});

describe('PIN unlock', () => {
  it('the right PIN unlocks via pin; a wrong one is refused; an unknown officer is named', async () => {
    expect(await access.pin('CB-01', '0000')).toEqual({ ok: false, error: 'wrong_pin' });
    expect(access.current()).toBeNull();
    expect(await access.pin('CB-77', '1111')).toEqual({ ok: false, error: 'unknown_officer' });
    expect(await access.pin('CB-01', '1111')).toEqual({
      ok: true,
      unlock: { officerId: 'CB-01', until: T0 + 60_000, via: 'pin' },
    });
  });

  it('lock-outs apply: the registry locks the officer after its wrong tries, even the right PIN then', async () => {
    expect(await access.pin('CB-01', '0000')).toEqual({ ok: false, error: 'wrong_pin' });
    expect(await access.pin('CB-01', '0001')).toEqual({ ok: false, error: 'wrong_pin' });
    expect(await access.pin('CB-01', '0002')).toEqual({
      ok: false,
      error: 'locked_out',
      lockedUntil: T0 + 60_000,
    });
    expect(await access.pin('CB-01', '1111')).toEqual({
      ok: false,
      error: 'locked_out',
      lockedUntil: T0 + 60_000,
    });
    // The others keep working.
    expect((await access.pin('GS-01', '9999')).ok).toBe(true);
    now = T0 + 60_000;
    expect((await access.pin('CB-01', '1111')).ok).toBe(true);
  });
});

describe('lane-wide limit on failed unlocks (the gate screen is public)', () => {
  function manyOfficers(): OfficerRegistry {
    return new OfficerRegistry(
      ['CB-01', 'CB-02', 'CB-03'].map((id) => ({
        id,
        name: id,
        role: 'officer' as const,
        pinHash: hashPin('123456'),
      })),
      { pinPepper: randomBytes(32), maxFailures: 5, lockoutMs: 60_000 },
    );
  }

  it('10 failed PINs within 10 minutes, spread over officers, refuse every PIN for 10 minutes (the right one too)', async () => {
    officers = manyOfficers();
    access.stop();
    access = make();
    const failures: unknown[] = [];
    access.onFailure((f) => failures.push(f));
    // Three wrong PINs for each officer (none of them locked by the registry), and one more.
    for (let i = 0; i < 9; i++) {
      now = T0 + i * 30_000;
      expect(await access.pin(`CB-0${(i % 3) + 1}`, String(100000 + i))).toEqual({
        ok: false,
        error: 'wrong_pin',
      });
    }
    expect(access.laneLockedUntil()).toBeNull();
    now = T0 + 9 * 30_000;
    const tenth = now;
    expect(await access.pin('CB-01', '100009')).toEqual({
      ok: false,
      error: 'locked_out',
      lockedUntil: tenth + 600_000,
    });
    // The right PIN of an officer the registry never locked: refused, not even checked.
    now = tenth + 1000;
    expect(await access.pin('CB-02', '123456')).toEqual({
      ok: false,
      error: 'locked_out',
      lockedUntil: tenth + 600_000,
    });
    expect(access.current()).toBeNull();
    expect(access.failures()).toBe(11);
    expect(failures).toHaveLength(11);
    expect(failures[9]).toEqual({ via: 'pin', at: tenth, laneLockedUntil: tenth + 600_000 });
    // Refusals while refused do not extend it.
    now = tenth + 600_000 - 1;
    expect((await access.pin('CB-03', '000000')).ok).toBe(false);
    expect(access.laneLockedUntil()).toBe(tenth + 600_000);
    now = tenth + 600_000;
    expect(access.laneLockedUntil()).toBeNull();
    expect(await access.pin('CB-02', '123456')).toEqual({
      ok: true,
      unlock: { officerId: 'CB-02', until: now + 60_000, via: 'pin' },
    });
    // Logged with a reason, never a PIN.
    expect(logs.some((l) => (l.obj as { reason?: string }).reason === 'too_many_failures')).toBe(true);
    expect(JSON.stringify(logs)).not.toContain('123456');
    expect(JSON.stringify(logs)).not.toContain('100009');
  });

  it('a valid staff card still unlocks while PINs are refused (a signed card cannot be guessed)', async () => {
    for (let i = 0; i < 10; i++) await access.pin('CB-77', '0000');
    expect(access.laneLockedUntil()).toBe(T0 + 600_000);
    expect(await access.pin('GS-01', '9999')).toMatchObject({ ok: false, error: 'locked_out' });
    expect(access.card(card())).toEqual({
      ok: true,
      unlock: { officerId: 'CB-01', until: T0 + 60_000, via: 'staff_card' },
    });
  });

  it('refused staff cards count toward the limit, and say when the last one was refused', async () => {
    expect(access.cardRefusedAt()).toBeNull();
    for (let i = 0; i < 9; i++) {
      now = T0 + i;
      expect(access.card(card({}, stranger))?.ok).toBe(false);
    }
    expect(access.cardRefusedAt()).toBe(T0 + 8);
    expect(access.laneLockedUntil()).toBeNull();
    now = T0 + 100;
    expect(await access.pin('CB-01', '0000')).toEqual({
      ok: false,
      error: 'locked_out',
      lockedUntil: T0 + 100 + 600_000,
    });
    expect(access.failures()).toBe(10);
  });

  it('only failures within 10 minutes count: 9, then 10 minutes later one more, refuses nothing', async () => {
    officers = manyOfficers();
    access.stop();
    access = make();
    for (let i = 0; i < 9; i++) await access.pin(`CB-0${(i % 3) + 1}`, '000000');
    now = T0 + 600_000;
    expect(await access.pin('CB-01', '000000')).toEqual({ ok: false, error: 'wrong_pin' });
    expect(access.laneLockedUntil()).toBeNull();
    expect((await access.pin('CB-01', '123456')).ok).toBe(true);
  });
});

describe('one continuous unlock lasts 5 minutes at most', () => {
  it('re-scanning a card every 50 s never keeps the panel open past 5 minutes from the first unlock; then a new unlock starts over', () => {
    vi.useFakeTimers({ now: T0 });
    const seen: (GateUnlock | null)[] = [];
    access.onChange((u) => seen.push(u));
    expect(access.card(card())).toMatchObject({ ok: true, unlock: { until: T0 + 60_000 } });
    for (let t = 50_000; t < 300_000; t += 50_000) {
      now = T0 + t;
      vi.setSystemTime(now);
      vi.advanceTimersByTime(50_000);
      expect(access.current(), `at ${t}`).not.toBeNull();
      const again = access.card(card());
      expect(again).toMatchObject({ ok: true, unlock: { until: Math.min(now + 60_000, T0 + 300_000) } });
    }
    // At 250 s the re-scan gave until 300 s (not 310 s): at 5 minutes the panel locks by itself.
    now = T0 + 299_999;
    expect(access.current()?.until).toBe(T0 + 300_000);
    now = T0 + 300_100;
    vi.advanceTimersByTime(100_000);
    expect(seen.at(-1)).toBeNull();
    expect(access.current()).toBeNull();
    expect(
      logs.some((l) => l.msg === 'gate panel locked' && (l.obj as { reason?: string }).reason === 'max_time'),
    ).toBe(true);
    // Locked: a new unlock opens a new minute.
    expect(access.card(card())).toMatchObject({ ok: true, unlock: { until: T0 + 300_100 + 60_000 } });
  });

  it('a PIN re-entered just before the limit gets only what is left of the 5 minutes', async () => {
    expect((await access.pin('CB-01', '1111')).ok).toBe(true);
    for (const t of [50_000, 100_000, 150_000, 200_000, 250_000]) {
      now = T0 + t;
      expect(access.card(card())).toMatchObject({ ok: true });
    }
    now = T0 + 290_000;
    expect(await access.pin('GS-01', '9999')).toEqual({
      ok: true,
      unlock: { officerId: 'GS-01', until: T0 + 300_000, via: 'pin' },
    });
    now = T0 + 300_000;
    expect(access.current()).toBeNull();
  });
});

describe('lock and time', () => {
  it('lock() closes the panel at once and tells the listeners; a second lock() is quiet', () => {
    const seen: (GateUnlock | null)[] = [];
    const off = access.onChange((u) => seen.push(u));
    access.card(card());
    access.lock();
    access.lock();
    expect(access.current()).toBeNull();
    expect(seen).toEqual([expect.objectContaining({ officerId: 'CB-01' }), null]);
    off();
    access.card(card());
    expect(seen).toHaveLength(2);
  });

  it('the panel locks by itself when the minute is up (listeners told), and current() never shows a past unlock', () => {
    vi.useFakeTimers({ now: T0 });
    now = T0;
    const seen: (GateUnlock | null)[] = [];
    access.onChange((u) => seen.push(u));
    access.card(card());
    now = T0 + 59_999;
    vi.advanceTimersByTime(59_999);
    expect(access.current()).not.toBeNull();
    expect(seen).toEqual([expect.objectContaining({ via: 'staff_card' })]);
    now = T0 + 61_000;
    vi.advanceTimersByTime(1_001);
    expect(seen).toEqual([expect.objectContaining({ via: 'staff_card' }), null]);
    expect(access.current()).toBeNull();
  });

  it('current() is null past the end even before the timer fires (a lane clock that jumped)', () => {
    access.card(card());
    now = T0 + 60_000;
    expect(access.current()).toBeNull();
  });

  it('a new unlock while open restarts the minute (another officer, or the PIN after a card)', async () => {
    access.card(card());
    now = T0 + 30_000;
    expect(await access.pin('GS-01', '9999')).toEqual({
      ok: true,
      unlock: { officerId: 'GS-01', until: T0 + 90_000, via: 'pin' },
    });
    now = T0 + 70_000;
    expect(access.current()?.officerId).toBe('GS-01');
  });

  it('a throwing listener does not stop the others', () => {
    const seen: unknown[] = [];
    access.onChange(() => {
      throw new Error('boom');
    });
    access.onChange((u) => seen.push(u));
    access.card(card());
    expect(seen).toHaveLength(1);
  });

  it('refuses a nonsense unlock time', () => {
    expect(() => make(0)).toThrow(/unlockMs/);
  });
});
