import { subjectKeyToHex } from '@checkpoint-lane/shared';
import { describe, expect, it } from 'vitest';
import { toLaneChanges } from './wire-changes.js';

const hex = subjectKeyToHex;
const CP = 'CP-1';

describe('toLaneChanges', () => {
  it('reads health puts and deletes, keys as signed 64-bit', () => {
    expect(
      toLaneChanges(
        'health',
        [
          { key: hex(-5n), op: 'put', entry: { status: 'F1', since: 10, until: null } },
          { key: hex(7n), op: 'delete' },
        ],
        CP,
      ),
    ).toEqual([
      { op: 'put', value: { key: -5n, entry: { status: 'F1', since: 10, until: null } } },
      { op: 'delete', key: 7n },
    ]);
  });

  it('rejects the whole set for one malformed change', () => {
    const good = { key: hex(1n), op: 'put' as const, entry: { status: 'F0', since: null, until: null } };
    expect(toLaneChanges('health', [good, { key: 'XYZ', op: 'delete' }], CP)).toBeNull();
    expect(
      toLaneChanges('health', [good, { key: hex(2n), op: 'put', entry: { status: 'F9' } }], CP),
    ).toBeNull();
    expect(toLaneChanges('health', [good, { key: hex(2n), op: 'put' }], CP)).toBeNull();
    expect(
      toLaneChanges(
        'whitelist',
        [{ key: hex(2n), op: 'put', entry: { status: 'F0', since: null, until: null } }],
        CP,
      ),
    ).toBeNull();
  });

  it('keeps whitelist entries valid here and turns the others into deletes', () => {
    const entry = (checkpoints: string[] | null) => ({
      category: 'shipper',
      validFrom: 1,
      validUntil: null,
      checkpoints,
    });
    expect(
      toLaneChanges(
        'whitelist',
        [
          { key: hex(1n), op: 'put', entry: entry(null) },
          { key: hex(2n), op: 'put', entry: entry(['CP-9', CP]) },
          { key: hex(3n), op: 'put', entry: entry(['CP-9']) },
          { key: hex(4n), op: 'put', entry: entry([]) },
        ],
        CP,
      ),
    ).toEqual([
      {
        op: 'put',
        value: { key: 1n, entry: { category: 'shipper', validFrom: 1, validUntil: null }, validHere: true },
      },
      {
        op: 'put',
        value: { key: 2n, entry: { category: 'shipper', validFrom: 1, validUntil: null }, validHere: true },
      },
      { op: 'delete', key: 3n },
      { op: 'delete', key: 4n },
    ]);
  });
});
