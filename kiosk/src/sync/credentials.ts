import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnrollAnswer } from '@checkpoint-lane/shared';
import Type from 'typebox';
import Value from 'typebox/value';

/**
 * What a lane keeps after enrollment: the server's URL and the enrollment answer of the kiosk
 * API contract (id, token, checkpoint config, list key). The list key K is what keeps the
 * lane's lists unreadable without it; headless, it lives in a 0600 file beside the store (the
 * Electron shell seals it with safeStorage instead).
 */
export const LaneCredentialsSchema = Type.Object({
  serverUrl: Type.String({ minLength: 1 }),
  ...EnrollAnswer.properties,
});
/** What a lane keeps after enrollment. */
export type LaneCredentials = Type.Static<typeof LaneCredentialsSchema>;

const FILE = 'lane-credentials.json';

/** Reads the lane's credentials from its data folder; null if it has not enrolled. Throws if the file is corrupt. */
export function readCredentials(dataDir: string): LaneCredentials | null {
  const file = join(dataDir, FILE);
  if (!existsSync(file)) return null;
  const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!Value.Check(LaneCredentialsSchema, value)) throw new Error(`${file} is not a valid credentials file`);
  return value;
}

/** Writes the credentials atomically, readable by the lane's user only. */
export function writeCredentials(dataDir: string, credentials: LaneCredentials): void {
  const file = join(dataDir, FILE);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
