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
      /^keyId\s+publicKey\s+validFrom\s+validUntil\s+current\n1\s+\S{43}\s+\d{4}-.*Z\s+-\s+current$/,
    );

    const rotated = await run('passes', 'rotate-key');
    expect(rotated.err).toBe('');
    expect(rotated.out).toContain(
      'pass key 2 now signs; lanes accept passes the previous key signed until its validUntil',
    );
    const withdrawn = await run('--json', 'passes', 'rotate-key', '--compromised');
    expect(JSON.parse(withdrawn.out)).toMatchObject({
      current: 3,
      version: 2,
      keys: [{ keyId: 1 }, { keyId: 3 }],
    });

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
});
