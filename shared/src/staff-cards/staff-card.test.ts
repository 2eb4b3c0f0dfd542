import { describe, expect, it } from 'vitest';
import {
  encodeStaffCard,
  looksLikeStaffCard,
  parseStaffCard,
  STAFF_CARD_MAX_DAYS,
  staffCardMessage,
  type StaffCard,
} from './staff-card.js';

const card: StaffCard = {
  checkpointId: 'HCM-01',
  officerId: 'o-lan',
  cardId: 'c7Hq2',
  issuedAt: 1_800_000_000,
  expiresAt: 1_800_000_000 + 30 * 86_400,
};
const signature = 'k1a2b3c4:QUJD';

describe('staff cards (CLSC1)', () => {
  it('round-trips through its text form', () => {
    const text = encodeStaffCard(card, signature);
    expect(text.startsWith('CLSC1:')).toBe(true);
    expect(parseStaffCard(text)).toEqual({ card, signature });
    expect(parseStaffCard(`  ${text}\r\n`)).toEqual({ card, signature });
    expect(looksLikeStaffCard(text.toLowerCase())).toBe(true);
  });

  it('signs exactly the fields, one per line', () => {
    expect(staffCardMessage(card)).toBe('CLSC1\nHCM-01\no-lan\nc7Hq2\n1800000000\n1802592000');
  });

  it('refuses cards it cannot trust the shape of', () => {
    const body = (o: object): string =>
      `CLSC1:${Buffer.from(JSON.stringify(o)).toString('base64url')}.${signature}`;
    const good = { v: 1, c: 'HCM-01', o: 'o-lan', n: 'c1', i: 100, e: 200 };
    expect(parseStaffCard(body(good))?.card.officerId).toBe('o-lan');
    for (const bad of [
      { ...good, v: 2 },
      { ...good, c: 'HCM 01' },
      { ...good, o: '' },
      { ...good, e: 100 },
      { ...good, e: 100 + (STAFF_CARD_MAX_DAYS + 1) * 86_400 },
      { ...good, i: 1.5 },
      { ...good, n: 7 },
    ])
      expect(parseStaffCard(body(bad))).toBeNull();
    for (const text of [
      'CLSC1:',
      'CLSC1:.x',
      'CLSC1:!!!.x',
      `CLSC1:${Buffer.from('[').toString('base64url')}.x`,
      'CLP1:ABC',
      `CLSC1:${'A'.repeat(600)}.x`,
    ])
      expect(parseStaffCard(text)).toBeNull();
    expect(() => staffCardMessage({ ...card, officerId: 'a\nb' })).toThrow(/ids/);
    expect(() => encodeStaffCard({ ...card, expiresAt: card.issuedAt }, signature)).toThrow(/expires/);
  });
});
