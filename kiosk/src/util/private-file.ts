import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';

/**
 * Writes a file that only this user may read, atomically: a temp file created 0600 (and chmodded,
 * as a temp file left by a crash keeps its old mode), fsynced, then renamed over the old one, so a
 * reader never sees half a file.
 */
export function writePrivateFileAtomic(file: string, text: string): void {
  const temp = `${file}.${String(process.pid)}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, file);
  } catch (error) {
    unlinkSync(temp);
    throw error;
  }
}
