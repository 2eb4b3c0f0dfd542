import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DUMMY_PASSWORD_HASH, hashPassword, needsRehash, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('hashes as scrypt$N$r$p$salt$hash with a fresh salt, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
    expect(needsRehash(a)).toBe(false);
  });

  it('reads the cost from the stored hash, so older or stronger parameters still verify', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('an older password', salt, 32, { N: 1024, r: 4, p: 2 });
    const stored = `scrypt$1024$4$2$${salt.toString('base64')}$${key.toString('base64')}`;
    expect(await verifyPassword('an older password', stored)).toBe(true);
    expect(await verifyPassword('another password', stored)).toBe(false);
    expect(needsRehash(stored)).toBe(true);
  });

  it('treats Unicode forms alike (NFC): a Vietnamese password typed either way verifies', async () => {
    const composed = 'mật khẩu Việt Nam';
    const decomposed = composed.normalize('NFD');
    expect(decomposed).not.toBe(composed);
    expect(await verifyPassword(decomposed, await hashPassword(composed))).toBe(true);
  });

  it('never matches a malformed or absurd hash', async () => {
    const good = await hashPassword('some password');
    const parts = good.split('$');
    for (const bad of [
      '',
      'plain',
      good.replace('scrypt$', 'bcrypt$'),
      [...parts.slice(0, 1), '1000', ...parts.slice(2)].join('$'), // N not a power of two
      [...parts.slice(0, 1), String(2 ** 24), ...parts.slice(2)].join('$'), // N too large
      [...parts.slice(0, 5), 'AAAA'].join('$'), // key too short
    ]) {
      expect(await verifyPassword('some password', bad)).toBe(false);
      expect(needsRehash(bad)).toBe(true);
    }
  });

  it('ships a well-formed dummy hash that no ordinary input matches', async () => {
    expect(needsRehash(DUMMY_PASSWORD_HASH)).toBe(false);
    expect(await verifyPassword('correct horse battery', DUMMY_PASSWORD_HASH)).toBe(false);
  });
});
