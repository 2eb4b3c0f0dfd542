import { generateKeyPairSync } from 'node:crypto';
import {
  CHECKPOINT_DEFAULTS,
  parseSubjectText,
  subjectKeyToHex,
  type CheckpointConfig,
} from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LaneStore } from '../store/lane-store.js';
import { DecisionLoop } from './decision-loop.js';
import { createSubjectKeyer, singleKeyers } from './subject-keyer.js';
import { createSubjectSealer } from './subject-sealer.js';

const F0 = '001090123456';
const CLEAN = '079201004568';
const keyer = createSubjectKeyer(Buffer.alloc(32, 5));
const checkpoint: CheckpointConfig = {
  id: 'CP-1',
  name: 'Chốt 1',
  mode: 'open',
  ...CHECKPOINT_DEFAULTS,
  blockingStatuses: ['F0', 'F1'],
};
const serverPublic = Buffer.from(
  generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x!,
  'base64url',
).toString('base64');

let store: LaneStore;
afterEach(() => {
  store.close();
});

function loop(options: { sealSubject?: ((c: string) => string) | null; locked?: boolean; logs?: string[] }) {
  store = LaneStore.open(':memory:');
  store.overlayHealth([
    { key: keyer(parseSubjectText(F0)!), entry: { status: 'F0', since: null, until: null } },
  ]);
  store.markSynced('health', Date.now());
  store.markSynced('whitelist', Date.now());
  const lines = options.logs ?? [];
  return new DecisionLoop({
    store,
    keyers: options.locked === true ? null : singleKeyers(keyer),
    sealSubject: options.sealSubject ?? null,
    checkpoint: () => checkpoint,
    logger: pino({ level: 'trace' }, { write: (line: string) => lines.push(line) }),
  });
}

const scans = () =>
  store.pendingRecords(100).map((r) => {
    if (r.type !== 'scan') throw new Error('scans only');
    return r;
  });

describe('the decision loop and the subject it records', () => {
  it('seals the subject and records no subject key when the lane has a seal key', () => {
    const l = loop({ sealSubject: createSubjectSealer(serverPublic) });
    expect(l.handle({ text: F0, source: 'manual', device: 'keypad' })).toMatchObject({ decision: 'red' });
    l.handle({ text: CLEAN, source: 'manual', device: 'keypad' });
    l.handle({ text: 'not a code', source: 'manual', device: 'keypad' });
    expect(scans().map((s) => s.subjectKey)).toEqual([null, null, null]);
    expect(scans().map((s) => typeof s.subjectSealed)).toEqual(['string', 'string', 'object']);
    // The lane keeps the F0 status for its desk, out of the uploaded record.
    expect(store.recentRecords(3).map((r) => (r as { laneHealthStatus?: unknown }).laneHealthStatus)).toEqual(
      [null, null, 'F0'],
    );
  });

  it('seals on a locked lane too (no list key is needed to seal)', () => {
    const l = loop({ sealSubject: createSubjectSealer(serverPublic), locked: true });
    expect(l.handle({ text: F0, source: 'manual', device: 'keypad' })).toMatchObject({ decision: 'amber' });
    expect(scans()[0]?.subjectKey).toBeNull();
    expect(typeof scans()[0]?.subjectSealed).toBe('string');
  });

  it('uploads the key-0 subject key when the lane has no seal key, as before', () => {
    const l = loop({ sealSubject: null });
    l.handle({ text: F0, source: 'manual', device: 'keypad' });
    expect(scans()[0]).toMatchObject({
      subjectKey: subjectKeyToHex(keyer(parseSubjectText(F0)!)),
      subjectSealed: null,
    });
  });

  it('records the scan with no subject when sealing fails, and logs no subject', () => {
    const logs: string[] = [];
    const l = loop({
      sealSubject: () => {
        throw new Error('subject seal: broken');
      },
      logs,
    });
    expect(l.handle({ text: F0, source: 'manual', device: 'keypad' })).toMatchObject({
      decision: 'red',
      seq: 1,
    });
    expect(scans()[0]).toMatchObject({ subjectKey: null, subjectSealed: null, decision: 'red' });
    expect(logs.some((line) => line.includes('scan subject not sealed'))).toBe(true);
    expect(logs.join('\n')).not.toContain(F0);
  });
});
