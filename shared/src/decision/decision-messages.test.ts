import { describe, expect, it } from 'vitest';
import { describeReason, describeWarning, travellerMessage } from './decision-messages.js';
import { DECISIONS, REASON_CODES, WARNING_CODES } from './reason-codes.js';

describe('messages', () => {
  it('every reason and warning reads in Vietnamese and English', () => {
    for (const code of REASON_CODES) {
      expect(describeReason(code, 'vi').length).toBeGreaterThan(3);
      expect(describeReason(code, 'en').length).toBeGreaterThan(3);
      expect(describeReason(code)).toBe(describeReason(code, 'vi'));
    }
    for (const code of WARNING_CODES) {
      expect(describeWarning(code, 'vi')).not.toBe(describeWarning(code, 'en'));
    }
  });

  it("the traveller's sentence never tells red from amber, nor names a health status", () => {
    expect(travellerMessage('red')).toBe(travellerMessage('amber'));
    expect(travellerMessage('green')).toBe('Mời qua');
    for (const decision of DECISIONS) {
      for (const language of ['vi', 'en'] as const) {
        expect(travellerMessage(decision, language)).not.toMatch(
          /F0|F1|nhiễm|cách ly|infect|isolat|health|y tế/i,
        );
      }
    }
  });
});
