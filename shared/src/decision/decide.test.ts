import { describe, expect, it } from 'vitest';
import { formatPass } from '../passes/pass-codec.js';
import { parsePayload } from '../payloads/parse-payload.js';
import type { CheckpointConfig } from '../schemas/checkpoint-schemas.js';
import { CHECKPOINT_DEFAULTS } from '../schemas/checkpoint-schemas.js';
import type { HealthEntry, WhitelistEntry } from '../schemas/list-schemas.js';
import { decide, healthBlocks, isHealthEntryInForce, isListStale, type DecisionInput } from './decide.js';
import { PASS_VERDICTS } from './reason-codes.js';

const HOUR = 3600_000;
const now = Date.UTC(2026, 10, 23, 3, 0, 0);
const ID = '001090123456';

const openCheckpoint: CheckpointConfig = {
  id: 'HCM-Q1-01',
  name: 'Chốt Q1',
  mode: 'open',
  ...CHECKPOINT_DEFAULTS,
};
const closedCheckpoint: CheckpointConfig = { ...openCheckpoint, id: 'LA-QL1A', mode: 'closed' };

function input(overrides: Partial<DecisionInput> & { raw?: string } = {}): DecisionInput {
  const { raw = ID, ...rest } = overrides;
  return {
    payload: parsePayload(raw, { now }),
    health: null,
    whitelist: null,
    checkpoint: openCheckpoint,
    listsSyncedAt: { health: now - HOUR, whitelist: now - HOUR },
    lastSameScanAt: null,
    now,
    ...rest,
  };
}
const health = (
  status: HealthEntry['status'],
  since: number | null = now - 24 * HOUR,
  until: number | null = null,
) => ({
  status,
  since,
  until,
});
const permit = (overrides: Partial<WhitelistEntry> = {}): WhitelistEntry => ({
  category: 'shipper',
  validFrom: now - 24 * HOUR,
  validUntil: now + 24 * HOUR,
  checkpoints: null,
  ...overrides,
});

describe('decision table (product brief)', () => {
  it.each(['F0', 'F1'] as const)(
    '%s now → red with an urgent alert, in open and closed mode, even whitelisted',
    (status) => {
      for (const checkpoint of [openCheckpoint, closedCheckpoint]) {
        expect(decide(input({ checkpoint, health: health(status), whitelist: permit() }))).toEqual({
          decision: 'red',
          reasons: ['health_blocked'],
          warnings: [],
          alert: true,
          record: true,
        });
      }
    },
  );

  it('F0 whose isolation ended, or has not begun, is not blocked', () => {
    expect(decide(input({ health: health('F0', now - 48 * HOUR, now - HOUR) })).decision).toBe('green');
    expect(decide(input({ health: health('F0', now + HOUR) })).decision).toBe('green');
    // Both bounds inclusive: `until` is the last instant in force (see isHealthEntryInForce).
    expect(decide(input({ health: health('F0', now - HOUR, now) })).decision).toBe('red');
    expect(decide(input({ health: health('F0', now - HOUR, now - 1) })).decision).toBe('green');
    expect(decide(input({ health: health('F0', now) })).decision).toBe('red');
  });

  it('blocking statuses are the checkpoint’s to choose', () => {
    const strict: CheckpointConfig = { ...openCheckpoint, blockingStatuses: ['F0', 'F1', 'F2'] };
    expect(decide(input({ checkpoint: strict, health: health('F2') }))).toMatchObject({
      decision: 'red',
      alert: true,
    });
    expect(decide(input({ health: health('F2') })).decision).toBe('green');
    const lenient: CheckpointConfig = { ...openCheckpoint, blockingStatuses: ['F0'] };
    expect(decide(input({ checkpoint: lenient, health: health('F1') })).decision).toBe('green');
  });

  it('closed mode, whitelisted and valid now at this checkpoint → green', () => {
    const result = decide(
      input({ checkpoint: closedCheckpoint, whitelist: permit({ checkpoints: ['LA-QL1A', 'X'] }) }),
    );
    expect(result).toMatchObject({ decision: 'green', reasons: ['whitelisted'], alert: false });
  });

  it.each([
    ['not whitelisted', null, 'not_whitelisted'],
    ['permit expired', permit({ validUntil: now - 1 }), 'permit_expired'],
    ['permit expiring exactly now', permit({ validUntil: now }), 'permit_expired'],
    ['permit not yet valid', permit({ validFrom: now + 1 }), 'permit_not_yet_valid'],
    ['permit for other checkpoints', permit({ checkpoints: ['HCM-Q1-01'] }), 'permit_not_valid_here'],
  ] as const)('closed mode, %s → red', (_label, whitelist, reason) => {
    expect(decide(input({ checkpoint: closedCheckpoint, whitelist }))).toMatchObject({
      decision: 'red',
      reasons: [reason],
      alert: false,
    });
  });

  it('open-ended permits are valid', () => {
    const whitelist = permit({ validFrom: null, validUntil: null });
    expect(decide(input({ checkpoint: closedCheckpoint, whitelist })).decision).toBe('green');
  });

  it('open mode, not flagged → green (F2, F3, recovered do not block by default)', () => {
    expect(decide(input())).toMatchObject({ decision: 'green', reasons: ['not_flagged'] });
    for (const status of ['F2', 'F3', 'recovered'] as const) {
      expect(decide(input({ health: health(status) })).decision).toBe('green');
    }
  });

  it.each([
    ['', 'payload_empty'],
    ['hello world', 'payload_unknown_format'],
    ['003090123456', 'personal_id_invalid'],
    ['001090123456|A|1990-02-30|1|Q|', 'payload_field_invalid'],
    ['x'.repeat(2000), 'payload_too_long'],
    ['********3456|A|1990-**-**|1|Q|', 'subject_unidentified'],
  ])('unreadable, unknown or invalid code %# → amber (%s)', (raw, reason) => {
    for (const checkpoint of [openCheckpoint, closedCheckpoint]) {
      expect(decide(input({ raw, checkpoint }))).toMatchObject({
        decision: 'amber',
        reasons: [reason],
        alert: false,
      });
    }
  });

  it('lists older than the freshness budget turn green to amber', () => {
    const stale = now - openCheckpoint.freshnessBudgetSec * 1000 - 1;
    expect(decide(input({ listsSyncedAt: { health: stale, whitelist: now } }))).toMatchObject({
      decision: 'amber',
      reasons: ['not_flagged', 'health_list_stale'],
    });
    // In closed mode the whitelist's age counts too; in open mode it does not.
    expect(decide(input({ listsSyncedAt: { health: now, whitelist: stale } })).decision).toBe('green');
    expect(
      decide(
        input({
          checkpoint: closedCheckpoint,
          whitelist: permit(),
          listsSyncedAt: { health: now, whitelist: stale },
        }),
      ),
    ).toMatchObject({ decision: 'amber', reasons: ['whitelisted', 'whitelist_stale'] });
    // Never synced counts as stale.
    expect(decide(input({ listsSyncedAt: { health: null, whitelist: null } })).decision).toBe('amber');
  });

  it('stale lists never soften a red', () => {
    const old = { health: now - 30 * 24 * HOUR, whitelist: now - 30 * 24 * HOUR };
    expect(decide(input({ health: health('F0'), listsSyncedAt: old })).decision).toBe('red');
    expect(decide(input({ checkpoint: closedCheckpoint, listsSyncedAt: old })).decision).toBe('red');
  });

  it('subject recorded as deceased → amber (identity check)', () => {
    expect(decide(input({ health: health('deceased') }))).toMatchObject({
      decision: 'amber',
      reasons: ['health_deceased'],
    });
    expect(
      decide(input({ checkpoint: closedCheckpoint, whitelist: permit(), health: health('deceased') }))
        .decision,
    ).toBe('amber');
  });

  it('same code again within the repeat window → decided again, not recorded, no second alert', () => {
    const repeat = decide(input({ health: health('F0'), lastSameScanAt: now - 2000 }));
    expect(repeat).toEqual({
      decision: 'red',
      reasons: ['health_blocked', 'repeat_scan'],
      warnings: [],
      alert: false,
      record: false,
    });
    // Outside the window, or a clock that went backwards: a new record.
    expect(decide(input({ lastSameScanAt: now - openCheckpoint.repeatWindowSec * 1000 })).record).toBe(true);
    expect(decide(input({ lastSameScanAt: now + 1000 })).record).toBe(true);
  });

  it('passes ID-structure warnings through, once each', () => {
    const raw = '001185012345|012345678|NGUYEN VAN A|01011990|Nam|Hà Nội|15042021';
    expect(decide(input({ raw })).warnings).toEqual(['id_birth_year_mismatch', 'id_sex_mismatch']);
  });
});

describe('isListStale', () => {
  it('treats a sync far in the future (clock went back) as stale', () => {
    expect(isListStale(now + 10 * 60_000, 3600, now)).toBe(true);
    expect(isListStale(now + 60_000, 3600, now)).toBe(false);
    expect(isListStale(now - 3600_000, 3600, now)).toBe(false);
    expect(isListStale(now - 3600_001, 3600, now)).toBe(true);
  });
});

describe('healthBlocks (one rule for the lane and the server’s alert check)', () => {
  const f0 = { status: 'F0', since: now - HOUR, until: now } as const;
  it('holds on both bounds, inclusive, and not a millisecond beyond', () => {
    expect(isHealthEntryInForce(f0, now - HOUR)).toBe(true);
    expect(isHealthEntryInForce(f0, now)).toBe(true);
    expect(isHealthEntryInForce(f0, now - HOUR - 1)).toBe(false);
    expect(isHealthEntryInForce(f0, now + 1)).toBe(false);
    expect(isHealthEntryInForce({ since: null, until: null }, 0)).toBe(true);
  });
  it('blocks only the checkpoint’s blocking statuses, only while in force', () => {
    expect(healthBlocks(f0, ['F0', 'F1'], now)).toBe(true);
    expect(healthBlocks(f0, ['F1'], now)).toBe(false);
    expect(healthBlocks(f0, ['F0'], now + 1)).toBe(false);
    expect(healthBlocks(null, ['F0'], now)).toBe(false);
  });
  it('the deceased amber follows the same window', () => {
    const deceased = { status: 'deceased', since: null, until: now } as const;
    expect(decide(input({ health: deceased })).decision).toBe('amber');
    expect(decide(input({ health: deceased, now: now + 1 })).decision).toBe('green');
  });
});

describe('lane passes (issue 16)', () => {
  // decide takes the verdict checkPass found; the signature itself is not looked at here.
  const PASS = formatPass(
    {
      keyId: 1,
      passId: '0123456789abcdef',
      personalId: ID,
      validFrom: now - HOUR,
      validUntil: now + 24 * HOUR,
      from: { province: 1, district: null, ward: null },
      to: { province: 79, district: null, ward: null },
      plate: null,
    },
    new Uint8Array(64),
  );
  const withPass = (overrides: Partial<DecisionInput> = {}): DecisionInput =>
    input({ raw: PASS, pass: 'pass_valid', ...overrides });

  it('reads the pass as its holder: the health list applies, and wins (an F0 with a valid pass is red)', () => {
    const payload = parsePayload(PASS, { now });
    expect(payload.ok && payload.value.subject).toEqual({ kind: 'personal_id', value: ID });
    for (const checkpoint of [openCheckpoint, closedCheckpoint]) {
      expect(decide(withPass({ checkpoint, health: health('F0') }))).toEqual({
        decision: 'red',
        reasons: ['health_blocked'],
        warnings: [],
        alert: true,
        record: true,
      });
    }
    expect(decide(withPass({ health: health('deceased') })).reasons).toEqual(['health_deceased']);
  });

  it('a valid pass is green at open and closed checkpoints alike (no whitelist entry needed)', () => {
    for (const checkpoint of [openCheckpoint, closedCheckpoint]) {
      expect(decide(withPass({ checkpoint }))).toEqual({
        decision: 'green',
        reasons: ['pass_valid'],
        warnings: [],
        alert: false,
        record: true,
      });
    }
  });

  it('expired, not yet valid or revoked: red; a bad signature: amber; no alert', () => {
    const expected = {
      pass_valid: 'green',
      pass_expired: 'red',
      pass_not_yet_valid: 'red',
      pass_revoked: 'red',
      pass_signature_invalid: 'amber',
    } as const;
    for (const verdict of PASS_VERDICTS) {
      for (const checkpoint of [openCheckpoint, closedCheckpoint]) {
        const d = decide(withPass({ checkpoint, pass: verdict, whitelist: permit() }));
        expect(d).toMatchObject({ decision: expected[verdict], reasons: [verdict], alert: false });
      }
    }
  });

  it("a pass's green needs a fresh health list, not a fresh whitelist", () => {
    const staleWhitelist = { health: now - HOUR, whitelist: now - 48 * HOUR };
    expect(decide(withPass({ checkpoint: closedCheckpoint, listsSyncedAt: staleWhitelist }))).toMatchObject({
      decision: 'green',
      reasons: ['pass_valid'],
    });
    const staleHealth = { health: null, whitelist: now - HOUR };
    expect(decide(withPass({ listsSyncedAt: staleHealth }))).toMatchObject({
      decision: 'amber',
      reasons: ['pass_valid', 'health_list_stale'],
    });
  });

  it('a repeat of the same pass within the window is not recorded twice', () => {
    expect(decide(withPass({ lastSameScanAt: now - 1000 }))).toMatchObject({
      decision: 'green',
      reasons: ['pass_valid', 'repeat_scan'],
      record: false,
    });
  });

  it('without a verdict a pass is decided as its holder ID; a verdict for another format is ignored', () => {
    expect(decide(withPass({ pass: null })).reasons).toEqual(['not_flagged']);
    expect(decide(withPass({ pass: null, checkpoint: closedCheckpoint })).reasons).toEqual([
      'not_whitelisted',
    ]);
    expect(decide(input({ pass: 'pass_valid', checkpoint: closedCheckpoint })).reasons).toEqual([
      'not_whitelisted',
    ]);
  });

  it('an unreadable pass is amber with its parse error', () => {
    expect(decide(input({ raw: 'CLP1:ABC', pass: null }))).toMatchObject({
      decision: 'amber',
      reasons: ['payload_field_invalid'],
    });
  });
});
