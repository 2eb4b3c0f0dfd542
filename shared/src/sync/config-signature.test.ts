import { describe, expect, it } from 'vitest';
import type { RosterOfficer } from '../contract/kiosk-api.js';
import type { CheckpointConfig } from '../schemas/checkpoint-schemas.js';
import {
  canonicalCheckpointConfig,
  canonicalCheckpointConfigV2,
  canonicalRosterLine,
  checkpointConfigMessage,
  checkpointConfigMessageV2,
  rosterMessage,
} from './config-signature.js';

const config: CheckpointConfig = {
  id: 'CP-1',
  name: 'Cửa khẩu A',
  mode: 'open',
  freshnessBudgetSec: 3600,
  blockingStatuses: ['F0', 'F1'],
  repeatWindowSec: 5,
};
const digest = 'ab'.repeat(32);
const officer: RosterOfficer = { id: 'o1', name: 'An', role: 'supervisor', pinHash: 'scrypt$AA==$BB==' };

describe('config signature messages', () => {
  it('writes a config in a fixed field order, whatever the key order of the decoded object', () => {
    const shuffled = JSON.parse(
      '{"repeatWindowSec":5,"blockingStatuses":["F0","F1"],"mode":"open","name":"Cửa khẩu A","id":"CP-1","freshnessBudgetSec":3600,"extra":1}',
    ) as CheckpointConfig;
    expect(canonicalCheckpointConfig(shuffled)).toBe(canonicalCheckpointConfig(config));
    expect(canonicalCheckpointConfig(config)).toBe('["CP-1","Cửa khẩu A","open",3600,["F0","F1"],5]');
  });

  it('tells every field of a config apart', () => {
    const base = canonicalCheckpointConfig(config);
    const variants: CheckpointConfig[] = [
      { ...config, id: 'CP-2' },
      { ...config, name: 'B' },
      { ...config, mode: 'closed' },
      { ...config, freshnessBudgetSec: 3601 },
      { ...config, blockingStatuses: [] },
      { ...config, blockingStatuses: ['F0'] },
      { ...config, repeatWindowSec: 6 },
    ];
    for (const v of variants) expect(canonicalCheckpointConfig(v)).not.toBe(base);
  });

  it('CLCFG2 appends vehicle mode (absent is off); CLCFG1 stays blind to it, as old lanes verify it', () => {
    expect(canonicalCheckpointConfigV2(config)).toBe('["CP-1","Cửa khẩu A","open",3600,["F0","F1"],5,false]');
    expect(canonicalCheckpointConfigV2({ ...config, vehicleMode: false })).toBe(
      canonicalCheckpointConfigV2(config),
    );
    const on = { ...config, vehicleMode: true };
    expect(canonicalCheckpointConfigV2(on)).toBe('["CP-1","Cửa khẩu A","open",3600,["F0","F1"],5,true]');
    expect(canonicalCheckpointConfig(on)).toBe(canonicalCheckpointConfig(config));
    const base = canonicalCheckpointConfigV2(on);
    for (const v of [
      { ...on, mode: 'closed' as const },
      { ...on, repeatWindowSec: 6 },
      { ...on, name: 'B' },
    ])
      expect(canonicalCheckpointConfigV2(v)).not.toBe(base);
    expect(checkpointConfigMessageV2('CP-1', digest)).toBe(`CLCFG2\nCP-1\n${digest}`);
    expect(() => checkpointConfigMessageV2('CP-1\nCP-2', digest)).toThrow(/one non-empty line/);
    expect(() => checkpointConfigMessageV2('CP-1', 'x')).toThrow(/digest/);
  });

  it('builds CLCFG1 and CLROS1 messages and refuses what cannot be written unambiguously', () => {
    expect(checkpointConfigMessage('CP-1', digest)).toBe(`CLCFG1\nCP-1\n${digest}`);
    expect(rosterMessage('CP-1', 7, digest)).toBe(`CLROS1\nCP-1\n7\n${digest}`);
    expect(() => checkpointConfigMessage('CP-1\nCP-2', digest)).toThrow(/one non-empty line/);
    expect(() => checkpointConfigMessage('', digest)).toThrow(/one non-empty line/);
    expect(() => checkpointConfigMessage('CP-1', 'AB'.repeat(32))).toThrow(/digest/);
    expect(() => rosterMessage('CP-1', -1, digest)).toThrow(/version/);
    expect(() => rosterMessage('CP-1', 1.5, digest)).toThrow(/version/);
  });

  it('writes an officer as one line whatever its key order; an absent name differs from any name', () => {
    const line = canonicalRosterLine(officer);
    expect(line).toBe('["o1","An","supervisor","scrypt$AA==$BB=="]\n');
    expect(canonicalRosterLine({ pinHash: officer.pinHash, role: 'supervisor', name: 'An', id: 'o1' })).toBe(
      line,
    );
    const { name: _name, ...nameless } = officer;
    expect(canonicalRosterLine(nameless)).toBe('["o1",null,"supervisor","scrypt$AA==$BB=="]\n');
    expect(canonicalRosterLine({ ...officer, name: 'null' })).not.toBe(canonicalRosterLine(nameless));
    expect(canonicalRosterLine({ ...officer, role: 'officer' })).not.toBe(line);
    expect(canonicalRosterLine({ ...officer, name: 'A\nn' }).split('\n')).toHaveLength(2);
  });
});
