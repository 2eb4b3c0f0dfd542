// The passback key the decision loop gives the gate (kiosk/src/agent/decision-loop.ts): the same
// code gives the same key within one loop (one boot), another loop (a restart) another key; it
// is opaque (not the code, not its K key, not in the decision, the store or the log). Real store
// (SQLite in memory), real decision loop.
import {
  CHECKPOINT_DEFAULTS,
  parseSubjectText,
  subjectKeyToHex,
  type CheckpointConfig,
} from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DecisionLoop, type GateDetails, type LaneDecision } from '../agent/decision-loop.js';
import { createSubjectKeyer, singleKeyers } from '../agent/subject-keyer.js';
import { LaneStore } from '../store/lane-store.js';

const CLEAN = '079201004568';
const OTHER = '079201004570';
const keyer = createSubjectKeyer(Buffer.alloc(32, 5));
const checkpoint: CheckpointConfig = { id: 'CP-1', name: 'Chốt 1', mode: 'open', ...CHECKPOINT_DEFAULTS };

const stores: LaneStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function loop(now: () => number) {
  const store = LaneStore.open(':memory:');
  stores.push(store);
  store.markSynced('health', now());
  store.markSynced('whitelist', now());
  const seen: { decision: LaneDecision; gate: GateDetails }[] = [];
  const lines: string[] = [];
  const l = new DecisionLoop({
    store,
    keyers: singleKeyers(keyer),
    checkpoint: () => checkpoint,
    logger: pino({ level: 'trace' }, { write: (line: string) => lines.push(line) }),
    clock: now,
    onDecision: (decision, _details, gate) => seen.push({ decision, gate }),
  });
  const scan = (text: string) => {
    l.handle({ text, source: 'manual', device: 'keypad' });
    return seen.at(-1)!;
  };
  return { scan, store, lines };
}

describe('the passback key', () => {
  it('is stable per code within a boot, new after a restart, null for a repeat, and opaque', () => {
    let t = Date.now();
    const one = loop(() => t);
    const first = one.scan(CLEAN);
    t += 1000;
    const repeat = one.scan(CLEAN);
    t += 10_000;
    const again = one.scan(CLEAN);
    const other = one.scan(OTHER);
    const bad = one.scan('not a code');
    expect(first.gate.passbackKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(repeat.decision.record).toBe(false);
    expect(repeat.gate.passbackKey).toBeNull();
    expect(again.gate.passbackKey).toBe(first.gate.passbackKey);
    expect(other.gate.passbackKey).not.toBe(first.gate.passbackKey);
    expect(bad.gate.passbackKey).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const restarted = loop(() => t);
    expect(restarted.scan(CLEAN).gate.passbackKey).not.toBe(first.gate.passbackKey);

    // Opaque: not the code, not its K key, and nowhere but the gate's argument.
    const key = first.gate.passbackKey ?? '';
    const kHex = subjectKeyToHex(keyer(parseSubjectText(CLEAN)!));
    expect(key).not.toContain(CLEAN);
    expect(key).not.toContain(kHex);
    for (const { decision } of [first, again, other]) expect(JSON.stringify(decision)).not.toContain(key);
    expect(JSON.stringify(one.store.pendingRecords(100))).not.toContain(key);
    expect(one.lines.join('\n')).not.toContain(key);
  });
});
