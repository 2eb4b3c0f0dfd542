import {
  closeSync,
  existsSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

/** How `writePrivateFileAtomic` treats the file it replaces. */
export interface PrivateWriteOptions {
  /**
   * Overwrite the replaced file's bytes with zeros (fsynced) once the new one is in its place,
   * through a descriptor opened before the rename: for a file that held secrets in a form no
   * longer wanted. A crash in between leaves the new file in place, never a zero-filled one.
   */
  readonly zeroReplaced?: boolean;
}

/**
 * Writes a file that only this user may read, atomically: a temp file created 0600 (and chmodded,
 * as a temp file left by a crash keeps its old mode), fsynced, then renamed over the old one and
 * the folder fsynced, so a reader never sees half a file and the rename survives a power cut.
 */
export function writePrivateFileAtomic(file: string, text: string, options: PrivateWriteOptions = {}): void {
  const temp = `${file}.${String(process.pid)}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const old = options.zeroReplaced === true ? openExisting(file) : null;
  try {
    try {
      renameSync(temp, file);
    } catch (error) {
      unlinkSync(temp);
      throw error;
    }
    fsyncFolder(dirname(file));
    if (old !== null) zeroFill(old);
  } finally {
    if (old !== null) closeSync(old);
  }
}

/**
 * Overwrites the bytes of the file open at `fd` with zeros from its start to its end and fsyncs
 * it, so the blocks it used no longer hold its content (on a file system that rewrites in place).
 */
export function zeroFill(fd: number): void {
  const size = fstatSync(fd).size;
  const zeros = Buffer.alloc(Math.min(size, 1 << 20));
  for (let at = 0; at < size;) {
    at += writeSync(fd, zeros, 0, Math.min(zeros.length, size - at), at);
  }
  fsyncSync(fd);
}

/** Zero-fills `file` (fsynced), then deletes it; false when there was no such file. */
export function wipeFile(file: string): boolean {
  const fd = openExisting(file);
  if (fd === null) return false;
  try {
    zeroFill(fd);
  } finally {
    closeSync(fd);
  }
  unlinkSync(file);
  fsyncFolder(dirname(file));
  return true;
}

/** Fsyncs a folder so a rename or unlink in it is durable (not possible on Windows: skipped). */
export function fsyncFolder(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Opens `file` for reading and writing; null when it does not exist. */
function openExisting(file: string): number | null {
  if (!existsSync(file)) return null;
  try {
    return openSync(file, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
