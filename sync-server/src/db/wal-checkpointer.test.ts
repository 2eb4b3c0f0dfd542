// The WAL checkpoint worker over a real SQLite file: writes committed by the server's connection
// reach the database file through the worker's checkpoints (the connection itself, at the backstop
// threshold, checkpoints nothing for these few MiB); stopping gives the connection SQLite's default
// threshold back; a worker that cannot open the file is refused at start.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { openDatabase } from './open-database.js';
import { BACKSTOP_PAGES, DEFAULT_AUTOCHECKPOINT_PAGES, startWalCheckpointer } from './wal-checkpointer.js';

// A worker started from source goes through tsx: about a second.
vi.setConfig({ testTimeout: 60_000 });

const dir = mkdtempSync(join(tmpdir(), 'wal-checkpointer-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('checkpoints the server connection’s commits in its worker', async () => {
  const file = join(dir, 'server.db');
  const db = openDatabase(file);
  db.exec('CREATE TABLE filler (n INTEGER PRIMARY KEY, pad TEXT NOT NULL)');
  db.pragma('wal_checkpoint(TRUNCATE)');
  const before = statSync(file).size;
  const checkpointer = await startWalCheckpointer(db, { intervalMs: 50 });
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
  // ≈ 8 MiB in 200 commits: over SQLite's default threshold, far under the backstop.
  const insert = db.prepare('INSERT INTO filler (pad) VALUES (?)');
  const pad = 'x'.repeat(4000);
  for (let i = 0; i < 200; i++)
    db.transaction(() => {
      for (let j = 0; j < 10; j++) insert.run(pad);
    })();
  await vi.waitFor(
    () => {
      expect(statSync(file).size).toBeGreaterThan(before + 7 * 2 ** 20);
    },
    { timeout: 10_000, interval: 50 },
  );
  await checkpointer.stop();
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(DEFAULT_AUTOCHECKPOINT_PAGES);
  db.close();
});

it('refuses an in-memory database, and fails at start when its worker cannot open the file', async () => {
  await expect(startWalCheckpointer(openDatabase(':memory:'))).rejects.toThrow(/in-memory/);
  const file = join(dir, 'gone.db');
  const db = openDatabase(file);
  rmSync(file);
  const errors: Error[] = [];
  await expect(startWalCheckpointer(db, { onError: (e) => errors.push(e) })).rejects.toThrow(
    /WAL checkpoint/,
  );
  expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(DEFAULT_AUTOCHECKPOINT_PAGES);
  db.close();
});
