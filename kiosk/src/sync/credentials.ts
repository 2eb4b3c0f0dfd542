import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { EnrollAnswer } from '@checkpoint-lane/shared';
import Type from 'typebox';
import Value from 'typebox/value';

/**
 * What a lane keeps after enrollment: the server's URL and the enrollment answer of the kiosk
 * API contract (id, token, checkpoint config, list key, and any field the contract adds). The
 * list key K is what keeps the lane's lists unreadable without it: these credentials live only
 * in the lane's sealed secrets (secrets/lane-vault.ts), never in a plain file.
 */
export const LaneCredentialsSchema = Type.Object({
  serverUrl: Type.String({ minLength: 1 }),
  ...EnrollAnswer.properties,
});
/** What a lane keeps after enrollment. */
export type LaneCredentials = Type.Static<typeof LaneCredentialsSchema>;

const FILE = 'lane-credentials.json';

/**
 * Reads the plain `lane-credentials.json` older lanes kept (before sealed secrets), to migrate
 * it; null if there is none. Throws if the file is corrupt.
 */
export function readCredentials(dataDir: string): LaneCredentials | null {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) return null;
  const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
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
 * blocks it used no longer hold the token or K (on a file system that rewrites in place).
 */
export function removePlainCredentials(dataDir: string): void {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) return;
  const fd = openSync(file, 'r+');
  try {
    const size = fstatSync(fd).size;
    writeSync(fd, Buffer.alloc(size), 0, size, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  unlinkSync(file);
}
