// Signed lane passes in the decision loop (issue 16): checked against the pass directory the
// store holds, with the lane's clock; the health list still wins; the pass id is recorded for
// the server, the route and window go to the officer's details only.
import { generateKeyPairSync } from 'node:crypto';
import {
  CHECKPOINT_DEFAULTS,
  parsePass,
  parseSubjectText,
  type CheckpointConfig,
  type ScanRecord,
} from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LaneStore } from '../store/lane-store.js';
import { TestPassKey } from '../sync/pass-fixtures.testkit.js';
import { DecisionLoop, type OfficerDetails } from './decision-loop.js';
import { createSubjectKeyer, singleKeyers } from './subject-keyer.js';
import { createSubjectSealer } from './subject-sealer.js';

const NOW = Date.UTC(2021, 8, 18, 8, 0, 0);
const HOUR = 3_600_000;
const F0 = '001090123456';
const CLEAN = '079201004568';
const keyer = createSubjectKeyer(Buffer.alloc(32, 5));
const closed: CheckpointConfig = {
  id: 'CP-1',
  name: 'Chốt 1',
  mode: 'closed',
  ...CHECKPOINT_DEFAULTS,
  blockingStatuses: ['F0', 'F1'],
};
const serverPublic = Buffer.from(
  generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x ?? '',
  'base64url',
).toString('base64');

/** Key 1 signed passes beginning up to a day ago; key 2 is current. */
const retired = TestPassKey.create(1, NOW - 30 * 24 * HOUR, NOW - 24 * HOUR);
const current = TestPassKey.create(2, NOW - 24 * HOUR, null);
const stranger = TestPassKey.create(2, 0, null);

let store: LaneStore;
afterEach(() => {
  store.close();
});

function setup(options: { revoked?: string[]; keys?: boolean } = {}) {
  store = LaneStore.open(':memory:');
  store.overlayHealth([
    { key: keyer(parseSubjectText(F0)!), entry: { status: 'F0', since: null, until: null } },
  ]);
  store.markSynced('health', NOW);
  store.markSynced('whitelist', NOW);
  if (options.keys !== false)
    store.replacePassDirectory(
      {
        version: 1,
        keys: [retired.key, current.key],
        revoked: (options.revoked ?? []).map((passId) => ({ passId, until: NOW + 24 * HOUR })),
      },
      NOW,
    );
  const logs: string[] = [];
  const details: OfficerDetails[] = [];
  const loop = new DecisionLoop({
    store,
    keyers: singleKeyers(keyer),
    sealSubject: createSubjectSealer(serverPublic),
    checkpoint: () => closed,
    logger: pino({ level: 'trace' }, { write: (line: string) => logs.push(line) }),
    clock: () => NOW,
    onDecision: (_, d) => details.push(d),
  });
  const scan = (text: string) => loop.handle({ text, source: 'stdin', device: 'stdin' });
  return { loop, logs, details, scan };
}

const scans = (): ScanRecord[] =>
  store.pendingRecords(100).map((r) => {
    if (r.type !== 'scan') throw new Error('scans only');
    return r;
  });

const idOf = (text: string): string => {
  const p = parsePass(text);
  if (!p.ok) throw new Error('not a pass');
  return p.value.body.passId;
};

/** The text with one base45 character changed so that it still reads as a pass. */
function oneCharChanged(text: string, at: number): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (let i = at; i > 5; i--) {
    for (const c of alphabet) {
      if (c === text[i]) continue;
      const changed = text.slice(0, i) + c + text.slice(i + 1);
      if (parsePass(changed).ok) return changed;
    }
  }
  throw new Error('no readable one-character change');
}

describe('lane passes in the decision loop', () => {
  it('a valid pass is green at a closed checkpoint, its holder not whitelisted; its id is recorded, its subject sealed', () => {
    const { scan, details, logs } = setup();
    const text = current.issue(CLEAN, NOW - HOUR, 24 * 60, { plate: '51F12345' });
    const d = scan(text);
    expect(d).toMatchObject({
      decision: 'green',
      reasons: ['pass_valid'],
      format: 'lane_pass',
      subject: { kind: 'personal_id' },
    });
    // The same person's ID alone is not whitelisted here.
    expect(scan(CLEAN)).toMatchObject({ decision: 'red', reasons: ['not_whitelisted'] });
    const [record] = scans();
    expect(record).toMatchObject({ format: 'lane_pass', passId: idOf(text), subjectKey: null });
    expect(typeof record?.subjectSealed).toBe('string');
    expect(details[0]?.pass).toEqual({
      from: { province: 1, district: null, ward: null },
      to: { province: 79, district: 760, ward: 26734 },
      validFrom: NOW - HOUR,
      validUntil: NOW - HOUR + 24 * HOUR,
      plate: '51F-123.45',
      verified: true,
    });
    expect(details[1]?.pass ?? null).toBeNull();
    // No ID, pass id or plate in the logs.
    const text2 = logs.join('\n');
    for (const secret of [CLEAN, idOf(text), '51F', text.slice(5, 30)]) expect(text2).not.toContain(secret);
  });

  it('one changed character is amber pass_signature_invalid, recorded without a pass id', () => {
    const { scan, details } = setup();
    const text = current.issue(CLEAN, NOW - HOUR);
    for (const at of [text.length - 1, 40, 12]) {
      const forged = oneCharChanged(text, at);
      expect(forged).not.toBe(text);
      expect(scan(forged)).toMatchObject({ decision: 'amber', reasons: ['pass_signature_invalid'] });
    }
    expect(scans()).toHaveLength(3);
    for (const r of scans()) expect(r.passId).toBeUndefined();
    expect(details.every((d) => d.pass?.verified === false)).toBe(true);
  });

  it('an expired pass and one not yet valid are red', () => {
    const { scan } = setup();
    expect(scan(current.issue(CLEAN, NOW - 3 * HOUR, 60))).toMatchObject({
      decision: 'red',
      reasons: ['pass_expired'],
    });
    expect(scan(current.issue(CLEAN, NOW + HOUR, 60))).toMatchObject({
      decision: 'red',
      reasons: ['pass_not_yet_valid'],
    });
    // Both are genuine passes: their ids are recorded.
    expect(scans().every((r) => typeof r.passId === 'string')).toBe(true);
  });

  it('a revoked pass is red', () => {
    const text = current.issue(CLEAN, NOW - HOUR);
    const { scan } = setup({ revoked: [idOf(text)] });
    expect(scan(text)).toMatchObject({ decision: 'red', reasons: ['pass_revoked'] });
    expect(scans()[0]?.passId).toBe(idOf(text));
  });

  it('the health list wins: an F0 with a valid pass is red, with an alert', () => {
    const { scan } = setup();
    expect(scan(current.issue(F0, NOW - HOUR))).toMatchObject({
      decision: 'red',
      reasons: ['health_blocked'],
      alert: true,
    });
  });

  it('a pass of a key the lane does not hold, or of a rotated-out key after its period, is amber', () => {
    const { scan } = setup();
    // Same key id, another key.
    expect(scan(stranger.issue(CLEAN, NOW - HOUR))).toMatchObject({
      decision: 'amber',
      reasons: ['pass_signature_invalid'],
    });
    // Key 1 signed passes beginning until a day ago: one beginning an hour ago is not its.
    expect(scan(retired.issue(CLEAN, NOW - HOUR))).toMatchObject({
      decision: 'amber',
      reasons: ['pass_signature_invalid'],
    });
    // …but one it signed within its period still holds.
    expect(scan(retired.issue(CLEAN, NOW - 25 * HOUR, 48 * 60))).toMatchObject({
      decision: 'green',
      reasons: ['pass_valid'],
    });
  });

  it('a lane with no pass directory yet decides every pass amber', () => {
    const { scan } = setup({ keys: false });
    expect(scan(current.issue(CLEAN, NOW - HOUR))).toMatchObject({
      decision: 'amber',
      reasons: ['pass_signature_invalid'],
    });
  });

  it('the same pass twice is a repeat; the holder’s ID card just before it is not', () => {
    const { scan } = setup();
    const text = current.issue(CLEAN, NOW - HOUR);
    expect(scan(CLEAN)).toMatchObject({ decision: 'red', record: true });
    expect(scan(text)).toMatchObject({ decision: 'green', record: true });
    expect(scan(text)).toMatchObject({ reasons: ['pass_valid', 'repeat_scan'], record: false });
    expect(scans()).toHaveLength(2);
  });
});
