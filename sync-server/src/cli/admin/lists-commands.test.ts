import type { AddressInfo } from 'node:net';
import type { ListKeyRotateAnswer, ListSigningKeysAnswer } from '@checkpoint-lane/shared';
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

describe('checkpoint-admin list keys', () => {
  it('rotates a checkpoint’s key scope and says which checkpoints share it', async () => {
    t = await buildTestApp();
    expect(
      (await run('checkpoints', 'add', '--id', 'A', '--name', 'A', '--mode', 'open', '--key-scope', 'HCM'))
        .out,
    ).toContain('key scope HCM');
    await run('checkpoints', 'add', '--id', 'B', '--name', 'B', '--mode', 'open', '--key-scope', 'HCM');
    await run('checkpoints', 'add', '--id', 'C', '--name', 'C', '--mode', 'closed');
    const listed = await run('checkpoints', 'list');
    // The columns after keyScope: vehicleMode, location.
    expect(listed.out).toMatch(/^C\s+C\s+closed\s+.*\s+fleet\s+-\s+-$/m);
    const before = await t.app.services.listKeys.current('HCM');
    const fleet = await t.app.services.listKeys.current('fleet');

    const rotated = await run('lists', 'rotate-key', '--checkpoint', 'B');
    expect(rotated.err).toBe('');
    expect(rotated.code).toBe(0);
    const after = await t.app.services.listKeys.current('HCM');
    expect(after.id).not.toBe(before.id);
    expect(await t.app.services.listKeys.current('fleet')).toEqual(fleet);
    expect(rotated.out).toBe(
      `key scope HCM: new list key ${String(after.id)}; its lanes fetch it and take new snapshots\n` +
        'checkpoints sharing this scope (2): A, B\n',
    );
    const json = JSON.parse(
      (await run('--json', 'lists', 'rotate-key', '--checkpoint', 'C')).out,
    ) as ListKeyRotateAnswer;
    expect(json).toEqual({
      scope: 'fleet',
      keyId: (await t.app.services.listKeys.current('fleet')).id,
      checkpoints: ['C'],
    });

    const keys = await run('lists', 'keys');
    expect(keys.code).toBe(0);
    expect(keys.out).toMatch(new RegExp(`^HCM\\s+${String(after.id)}\\s+\\d{4}-.*Z\\s+A,B$`, 'm'));
    expect(keys.out).not.toContain(after.key.toString('base64'));

    const unknown = await run('lists', 'rotate-key', '--checkpoint', 'NOPE');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no such checkpoint');
    expect((await run('lists', 'rotate-key')).code).toBe(2);
    expect(await t.app.services.listKeys.current('HCM')).toEqual(after);
  });
});
