// Test support: a lane data folder enrolled to a server that is not there (it decides offline).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_DEFAULTS, type HealthStatus } from '@checkpoint-lane/shared';
import { writeCredentials } from '../sync/credentials.js';

/** An officer as a hand-written `officers.json` holds one (the PIN already hashed with `hashPin`). */
export interface TestOfficer {
  readonly id: string;
  readonly name?: string;
  readonly role: 'officer' | 'supervisor';
  readonly pinHash: string;
}

/**
 * Writes credentials for checkpoint CP-1 (open, `blockingStatuses` and `vehicleMode` if given) with the list key
 * `listKey`, enrolled to `http://127.0.0.1:9` where nothing listens, and `officers` (if any) as a
 * hand-written `officers.json`.
 */
export function writeOfflineLane(
  dir: string,
  options: {
    readonly listKey: Buffer;
    readonly blockingStatuses?: readonly HealthStatus[];
    readonly officers?: readonly TestOfficer[];
    /** The checkpoint's vehicle mode setting, as a server that has one sends it. */
    readonly vehicleMode?: boolean;
  },
): void {
  writeCredentials(dir, {
    serverUrl: 'http://127.0.0.1:9',
    kioskId: 'k-1',
    token: 't',
    listKey: options.listKey.toString('base64'),
    checkpoint: {
      id: 'CP-1',
      name: 'Chốt 1',
      mode: 'open',
      ...CHECKPOINT_DEFAULTS,
      ...(options.blockingStatuses === undefined ? {} : { blockingStatuses: [...options.blockingStatuses] }),
      ...(options.vehicleMode === undefined ? {} : { vehicleMode: options.vehicleMode }),
    },
  });
  if (options.officers !== undefined)
    writeFileSync(join(dir, 'officers.json'), JSON.stringify(options.officers));
}
