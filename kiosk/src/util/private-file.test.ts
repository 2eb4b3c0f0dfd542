// Private files: atomic writes (0600, the replaced file zero-filled on request) and wiping.
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { wipeFile, writePrivateFileAtomic } from './private-file.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'private-file-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The bytes of the file open at `fd` (the replaced inode, once renamed over). */
function bytesOf(fd: number, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  readSync(fd, bytes, 0, size, 0);
  return bytes;
}

describe('writePrivateFileAtomic', () => {
  it('writes 0600 and leaves no temp file', () => {
    const file = join(dir, 'f.json');
    writePrivateFileAtomic(file, 'new\n');
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['f.json']);
  });

  it('zero-fills the replaced file only when asked', () => {
    const file = join(dir, 'f.json');
    for (const zeroReplaced of [false, true]) {
      writeFileSync(file, 'old secret text');
      const old = openSync(file, 'r');
      try {
        writePrivateFileAtomic(file, 'new\n', { zeroReplaced });
        const bytes = bytesOf(old, 15);
        expect(bytes.every((b) => b === 0)).toBe(zeroReplaced);
        if (!zeroReplaced) expect(bytes.toString()).toBe('old secret text');
      } finally {
        closeSync(old);
      }
      expect(readFileSync(file, 'utf8')).toBe('new\n');
    }
  });

  it('with zeroReplaced and no file to replace, just writes', () => {
    const file = join(dir, 'f.json');
    writePrivateFileAtomic(file, 'new\n', { zeroReplaced: true });
    expect(readFileSync(file, 'utf8')).toBe('new\n');
  });
});

describe('wipeFile', () => {
  it('zero-fills then deletes a file; false when there is none', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, Buffer.alloc(3 << 20, 7)); // more than one 1 MiB chunk of zeros
    const old = openSync(file, 'r');
    try {
      expect(wipeFile(file)).toBe(true);
      expect(existsSync(file)).toBe(false);
      expect(bytesOf(old, 3 << 20).every((b) => b === 0)).toBe(true);
    } finally {
      closeSync(old);
    }
    expect(wipeFile(file)).toBe(false);
  });
});
