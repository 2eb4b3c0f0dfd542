import type { AddressInfo } from 'node:net';
import type { ListSigningKeysAnswer } from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../testing/build-test-app.js';
import { runAdmin } from './run-admin.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

/** Runs `checkpoint-admin` against the test server on 127.0.0.1. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  if (!t.app.server.listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
  const server = `http://127.0.0.1:${String((t.app.server.address() as AddressInfo).port)}`;
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: {},
  };
  const code = await runAdmin(['--server', server, '--token', t.adminToken, ...args], io);
  return { code, out, err };
}

describe('checkpoint-admin lists signing keys', () => {
  it('shows the keys and rotates to a new current one', async () => {
    t = await buildTestApp();
    const before = JSON.parse((await run('--json', 'lists', 'signing-keys')).out) as ListSigningKeysAnswer;
    expect(before.keys).toHaveLength(1);
    expect(before.current).toBe(before.keys[0]?.id);

    const rotated = await run('lists', 'rotate-signing-key');
    expect(rotated.err).toBe('');
    expect(rotated.code).toBe(0);
    const after = JSON.parse((await run('--json', 'lists', 'signing-keys')).out) as ListSigningKeysAnswer;
    expect(after.keys.map((k) => k.id)).toEqual([before.current, after.current]);
    expect(after.current).not.toBe(before.current);
    const [header, oldRow, newRow] = rotated.out.trim().split('\n').slice(1);
    expect(header).toMatch(/^id\s+current\s+validFrom\s+validUntil\s+endorsedBy$/);
    expect(oldRow).toMatch(new RegExp(`^${before.current}\\s+\\d{4}-.*Z\\s+\\d{4}-.*Z\\s+-$`));
    expect(newRow).toMatch(new RegExp(`^${after.current}\\s+yes\\s+\\d{4}-.*Z\\s+-\\s+${before.current}$`));
    expect(rotated.out).toContain(`list-signing key ${after.current} now signs`);

    expect((await run('lists', 'rotate-signing-key', 'now')).code).toBe(2);
  });
});
