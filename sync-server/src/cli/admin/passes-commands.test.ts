import type { AddressInfo } from 'node:net';
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

describe('checkpoint-admin passes', () => {
  it('shows the pass keys, rotates them (--compromised withdraws the old one) and revokes a pass', async () => {
    t = await buildTestApp();
    const keys = await run('passes', 'keys');
    expect(keys.code).toBe(0);
    expect(keys.out.trim()).toMatch(
      /^keyId\s+publicKey\s+validFrom\s+validUntil\s+state\n1\s+\S{43}\s+\d{4}-.*Z\s+-\s+current$/,
    );

    const rotated = await run('passes', 'rotate-key');
    expect(rotated.err).toBe('');
    expect(rotated.out).toContain(
      'pass key 2 now signs; lanes accept passes the previous key signed until its validUntil',
    );
    const withdrawn = await run('--json', 'passes', 'rotate-key', '--compromised');
    const answer = JSON.parse(withdrawn.out) as { keys: { keyId: number; withdrawnAt: number | null }[] };
    expect(answer).toMatchObject({ current: 3, version: 2 });
    expect(answer.keys.map((k) => [k.keyId, k.withdrawnAt !== null])).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
    // `passes keys` lists the withdrawn key, marked.
    expect((await run('passes', 'keys')).out).toMatch(/\n2\s+\S{43}\s+\S+Z\s+\S+Z\s+withdrawn \d{4}-\S+Z\n/);

    const declared = await t.app.inject({
      method: 'POST',
      url: '/api/v1/public/declarations',
      payload: {
        personalId: '001099012345',
        fullName: 'Nguyễn Văn An',
        phone: '0901234567',
        from: { province: 79 },
        to: { province: 1 },
        purpose: 'Công tác',
        travelDate: new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10),
      },
    });
    expect(declared.statusCode, declared.body).toBe(201);
    const passId = declared.json<{ passId: string }>().passId;
    const revoked = await run('passes', 'revoke', passId);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toMatch(new RegExp(`^pass ${passId} revoked; lanes refuse it once they sync`));
    expect((await run('passes', 'revoke', passId)).out).toContain('was already revoked');
    const unknown = await run('passes', 'revoke', '0123456789abcdef');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('404');
    expect((await run('passes', 'revoke', 'XYZ')).code).toBe(2);
    for (const args of [
      ['passes', 'revoke'],
      ['passes', 'revoke', passId, passId],
    ]) {
      const missing = await run(...args);
      expect(missing.code).toBe(2);
      expect(missing.err).toContain(
        'passes revoke needs one pass id (16 lower-case hex digits): passes revoke PASS_ID',
      );
      expect(missing.err).not.toContain('unknown command');
    }
    expect((await run('passes', 'rotate')).code).toBe(2);
  });

  it('withdraws a pass key by id (the current one is replaced), says what is missing, 404 for an unknown key', async () => {
    t = await buildTestApp();
    await run('passes', 'rotate-key');
    const retired = await run('passes', 'withdraw-key', '1');
    expect(retired.err).toBe('');
    expect(retired.code).toBe(0);
    expect(retired.out).toMatch(
      /^pass key 1 withdrawn: lanes refuse every pass it signed once they sync; key 2 signs \(directory version 2\)\n/,
    );
    expect(retired.out).toMatch(
      /\n1\s+\S{43}\s+\S+Z\s+\S+Z\s+withdrawn \d{4}-\S+Z\n2\s+\S{43}\s+\S+Z\s+-\s+current/,
    );
    const current = await run('--json', 'passes', 'withdraw-key', '2');
    expect(JSON.parse(current.out)).toMatchObject({ current: 3, version: 3 });
    const unknown = await run('passes', 'withdraw-key', '9');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('404');
    for (const args of [
      ['passes', 'withdraw-key'],
      ['passes', 'withdraw-key', '1', '2'],
    ]) {
      const missing = await run(...args);
      expect(missing.code).toBe(2);
      expect(missing.err).toContain(
        'passes withdraw-key needs one key id (1..255): passes withdraw-key KEY_ID',
      );
    }
    expect((await run('passes', 'withdraw-key', '256')).code).toBe(2);
    expect((await run('passes', 'withdraw-key', 'x')).code).toBe(2);
    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: t.admin });
    expect(audit.body).toContain('pass.key_withdraw');
  });
});
