// What the lane sync parts' tests share: two checkpoint configs, a plain green scan record, and
// a list of clean-ups run (last first) after each test.
import type { CheckpointConfig } from '@checkpoint-lane/shared';
import { afterEach } from 'vitest';
import type { NewLaneRecord } from '../store/lane-store.js';

/** An open checkpoint that blocks F0 only, with an hour's freshness budget. */
export const OPEN_CHECKPOINT: CheckpointConfig = {
  id: 'CP-1',
  name: 'A',
  mode: 'open',
  freshnessBudgetSec: 3600,
  blockingStatuses: ['F0'],
  repeatWindowSec: 0,
};

/** The same checkpoint closed, with a ten-minute budget. */
export const CLOSED_CHECKPOINT: CheckpointConfig = {
  ...OPEN_CHECKPOINT,
  mode: 'closed',
  freshnessBudgetSec: 600,
};

/** A green ID scan with no subject key: a record to upload. */
export const GREEN_SCAN: NewLaneRecord = {
  type: 'scan',
  source: 'stdin',
  format: 'personal_id',
  subjectKey: null,
  subjectSealed: null,
  decision: 'green',
  reasons: ['not_flagged'],
  warnings: [],
  alert: false,
};

/** Clean-ups to run after each test of the calling file, last registered first. */
export function cleanupAfterEach(): (() => Promise<void>)[] {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return cleanups;
}
