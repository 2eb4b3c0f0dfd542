// `DATA/display.json`: the one-time links of a served display (`--display serve`), for a local
// admin with access to the lane's data folder, and for a browser started elsewhere on the box.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { writePrivateFileAtomic } from '../util/private-file.js';

/** The file's name in the lane's data folder. */
export const DISPLAY_FILE = 'display.json';

/** What `display.json` holds: one unused one-time link per screen. */
export interface DisplayLinks {
  readonly officerUrl: string;
  readonly travellerUrl: string;
}

/**
 * Writes `DATA/display.json` atomically (temp file created 0600, fsync, rename), so a reader never
 * sees half a file and no other local user can read the links. Answers the file's path.
 */
export function writeDisplayFile(dataDir: string, links: DisplayLinks): string {
  const file = join(dataDir, DISPLAY_FILE);
  writePrivateFileAtomic(
    file,
    `${JSON.stringify({ officerUrl: links.officerUrl, travellerUrl: links.travellerUrl }, null, 2)}\n`,
  );
  return file;
}

/** Removes a `display.json` left by an earlier run (its links died with that run). */
export function removeDisplayFile(dataDir: string): void {
  rmSync(join(dataDir, DISPLAY_FILE), { force: true });
}
