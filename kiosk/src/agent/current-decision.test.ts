import type { OverrideRecord, ScanRecord } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { LaneStore } from '../store/lane-store.js';
import { currentDecision } from './override.js';

describe('currentDecision', () => {
  it("is the latest override's decision, whatever acks were recorded about the scan after it", () => {
    const store = LaneStore.open(':memory:');
    const scan = store.appendRecord(
      {
        type: 'scan',
        source: 'manual',
        format: null,
        subjectKey: null,
        subjectSealed: null,
        decision: 'amber',
        reasons: ['payload_unknown_format'],
        warnings: [],
        alert: false,
      },
      1000,
    ) as ScanRecord;
    expect(currentDecision(store, scan)).toBe('amber');
    const override = (decision: OverrideRecord['decision'], at: number): void => {
      store.appendRecord(
        {
          type: 'override',
          scanId: scan.id,
          originalDecision: 'amber',
          decision,
          officerId: 'CB-01',
          supervisorId: null,
          reason: 'identity_checked',
          note: '',
        },
        at,
      );
    };
    override('green', 2000);
    // An ack after the override (from another screen, or replayed) does not undo it.
    store.appendRecord({ type: 'ack', scanId: scan.id, decision: 'amber', note: '' }, 3000);
    expect(currentDecision(store, scan)).toBe('green');
    override('red', 4000);
    store.appendRecord({ type: 'ack', scanId: scan.id, decision: 'green', note: '' }, 5000);
    expect(currentDecision(store, scan)).toBe('red');
    store.close();
  });
});
