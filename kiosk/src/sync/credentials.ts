import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnrollAnswer, ListKeyId } from '@checkpoint-lane/shared';
import Type from 'typebox';
import Value from 'typebox/value';
import { wipeFile } from '../util/private-file.js';

/**
 * What a lane keeps after enrollment: the server's URL and the enrollment answer of the kiosk
 * API contract (id, token, checkpoint config, list key, and any field the contract adds). The
 * list key K is what keeps the lane's lists unreadable without it: these credentials live only
 * in the lane's sealed secrets (secrets/lane-vault.ts), never in a plain file.
 */
export const LaneCredentialsSchema = Type.Object({
  serverUrl: Type.String({ minLength: 1 }),
  ...EnrollAnswer.properties,
  // `listKey`/`listKeyId` are the newest list key (absent id: key 0). During a key rotation a
  // list not yet swapped to it is still keyed with an older key, kept here until no list uses it.
  olderListKeys: Type.Optional(
    Type.Array(Type.Object({ keyId: ListKeyId, listKey: Type.String({ minLength: 1 }) }), { maxItems: 4 }),
  ),
});
/** What a lane keeps after enrollment. */
export type LaneCredentials = Type.Static<typeof LaneCredentialsSchema>;

const FILE = 'lane-credentials.json';

/**
 * Reads the plain `lane-credentials.json` older lanes kept (before sealed secrets), to migrate
 * it; null if there is none, or if it is empty or all zero bytes (what a wipe cut short by a
 * crash leaves). Throws if the file is corrupt otherwise.
 */
export function readCredentials(dataDir: string): LaneCredentials | null {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) return null;
  const bytes = readFileSync(file);
  if (bytes.every((b) => b === 0)) return null;
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Error(`${file} is not a valid credentials file (not JSON)`);
  }
  if (!Value.Check(LaneCredentialsSchema, value)) throw new Error(`${file} is not a valid credentials file`);
  return value;
}

/**
 * Writes a plain `lane-credentials.json` as older lanes did (atomically, 0600): what a lane
 * migrates into its sealed store at its next start. Tests use it to set up such a lane.
 */
export function writeCredentials(dataDir: string, credentials: LaneCredentials): void {
  const file = join(dataDir, FILE);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/**
 * Deletes the plain credentials file after overwriting its bytes with zeros (fsynced), so the
 * blocks it used no longer hold the token or K (on a file system that rewrites in place); its
 * content is not read. False when there was none.
 */
export function removePlainCredentials(dataDir: string): boolean {
  return wipeFile(join(dataDir, FILE));
}
