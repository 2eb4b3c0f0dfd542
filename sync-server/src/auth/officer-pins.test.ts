import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashOfficerPin, officerPinMatches, officerPinRule, officerPinTooShort } from './officer-pins.js';

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

describe('the PIN rule for new and changed PINs', () => {
  it('is 6 to 8 digits by default; a server may set 4..8 and nothing else', () => {
    expect(officerPinRule()).toEqual({ minDigits: 6, maxDigits: 8 });
    expect(officerPinRule(4)).toEqual({ minDigits: 4, maxDigits: 8 });
    expect(officerPinRule(8)).toEqual({ minDigits: 8, maxDigits: 8 });
    for (const bad of [3, 9, 0, -6, 5.5, Number.NaN])
      expect(() => officerPinRule(bad)).toThrow(/officer PIN minimum must be 4\.\.8 digits/);
  });

  it('says why a short PIN is refused (the minimum and the setting, never the PIN)', () => {
    const rule = officerPinRule();
    expect(officerPinTooShort('123456', rule)).toBeNull();
    expect(officerPinTooShort('12345678', rule)).toBeNull();
    const why = officerPinTooShort('98765', rule);
    expect(why).toMatch(/6 to 8 digits.*--officer-pin-min-digits.*keep working/);
    expect(why).not.toContain('98765');
    expect(officerPinTooShort('1234', officerPinRule(4))).toBeNull();
  });
});
