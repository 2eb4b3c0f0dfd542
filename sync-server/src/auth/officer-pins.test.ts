import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashOfficerPin, officerPinMatches } from './officer-pins.js';

describe('officer PIN hashes', () => {
  it('are scrypt$salt$hash with a 16-byte salt and scrypt(pin, salt, 32) at Node defaults', async () => {
    const hash = await hashOfficerPin('1234');
    const [tag, salt = '', key = ''] = hash.split('$');
    expect(tag).toBe('scrypt');
    expect(Buffer.from(salt, 'base64')).toHaveLength(16);
    expect(key).toBe(scryptSync('1234', Buffer.from(salt, 'base64'), 32).toString('base64'));
    expect(await hashOfficerPin('1234')).not.toBe(hash);
  });

  it('verify the right PIN only, and never a malformed hash', async () => {
    const hash = await hashOfficerPin('00123456');
    expect(await officerPinMatches('00123456', hash)).toBe(true);
    expect(await officerPinMatches('0123456', hash)).toBe(false);
    expect(await officerPinMatches('00123456', 'scrypt$$')).toBe(false);
    expect(await officerPinMatches('00123456', 'bcrypt$abc$def')).toBe(false);
  });
});
