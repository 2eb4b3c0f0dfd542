import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { folderExposure } from './file-modes.js';
import { openDatabase } from './open-database.js';

const mode = (file: string): string => (statSync(file).mode & 0o777).toString(8);

let dir = '';
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('database file modes', () => {
  it('creates server.db, -wal and -shm 0600 in a 0755 folder, whatever the umask', () => {
    dir = mkdtempSync(join(tmpdir(), 'cl-modes-'));
    chmodSync(dir, 0o755);
    const old = process.umask(0);
    try {
      const file = join(dir, 'server.db');
      const db = openDatabase(file);
      db.exec("INSERT INTO settings (key, value) VALUES ('probe', x'00')");
      expect([mode(file), mode(`${file}-wal`), mode(`${file}-shm`)]).toEqual(['600', '600', '600']);
      db.close();
    } finally {
      process.umask(old);
    }
    expect(folderExposure(dir)).toMatch(/open to other users \(mode 0755\).*chmod 700/);
  });

  it('tightens a database and its companions left 0644 by an older server', () => {
    dir = mkdtempSync(join(tmpdir(), 'cl-modes-'));
    const file = join(dir, 'server.db');
    openDatabase(file).close();
    writeFileSync(`${file}-wal`, '');
    for (const f of [file, `${file}-wal`]) chmodSync(f, 0o644);
    const db = openDatabase(file);
    expect([mode(file), mode(`${file}-wal`), mode(`${file}-shm`)]).toEqual(['600', '600', '600']);
    db.close();
    chmodSync(dir, 0o700);
    expect(folderExposure(dir)).toBeNull();
  });
});
