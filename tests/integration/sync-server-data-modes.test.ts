// checkpoint-server keeps its database owner-only whatever DATA's mode and the umask, and says
// plainly when DATA itself is open to other users.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { SERVER_JS } from './sync-server-helpers.js';

const mode = (file: string): string => (statSync(file).mode & 0o777).toString(8);

let root = '';
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Starts the built server under `umask 000` on `data`; resolves once it listens, with its output. */
async function startUnderOpenUmask(data: string) {
  const child = spawn(
    '/bin/sh',
    ['-c', 'umask 000 && exec "$@"', 'sh', process.execPath, SERVER_JS, '--port', '0', '--data', data],
    { env: { ...process.env, CHECKPOINT_ADMIN_TOKEN: 'a-test-admin-token-0123456789' } },
  );
  const output: string[] = [];
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      if (line.includes('listening on')) resolve();
    });
    void exited.then(() => {
      reject(new Error(`server exited before listening:\n${output.join('\n')}`));
    });
  });
  return {
    output,
    async stop(): Promise<void> {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe('checkpoint-server data folder', () => {
  it('keeps server.db, -wal and -shm 0600 in an existing 0755 folder and warns once', async () => {
    root = mkdtempSync(join(tmpdir(), 'cl-data-modes-'));
    const data = join(root, 'data');
    mkdirSync(data);
    chmodSync(data, 0o755);
    const server = await startUnderOpenUmask(data);
    try {
      const db = join(data, 'server.db');
      expect([mode(db), mode(`${db}-wal`), mode(`${db}-shm`)]).toEqual(['600', '600', '600']);
      expect(mode(join(data, 'snapshots'))).toBe('700');
      const warnings = server.output
        .join('\n')
        .split('\n')
        .filter((l) => l.includes('warning'));
      expect(warnings).toEqual([
        `checkpoint-server: warning: the data folder ${data} is open to other users (mode 0755); its database files are kept 0600, but run "chmod 700 ${data}" so nobody else can list or read it`,
      ]);
    } finally {
      await server.stop();
    }
  });

  it('creates a missing folder 0700 (no warning) and tightens a database an older server left 0644', async () => {
    root = mkdtempSync(join(tmpdir(), 'cl-data-modes-'));
    const data = join(root, 'new');
    const first = await startUnderOpenUmask(data);
    await first.stop();
    expect(mode(data)).toBe('700');
    expect(first.output.join('\n')).not.toContain('warning');
    chmodSync(join(data, 'server.db'), 0o644);
    const second = await startUnderOpenUmask(data);
    try {
      expect(mode(join(data, 'server.db'))).toBe('600');
    } finally {
      await second.stop();
    }
  });
});
