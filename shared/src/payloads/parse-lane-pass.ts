import { parsePass, PASS_PREFIX } from '../passes/pass-codec.js';
import { ok } from '../result.js';
import { payloadError } from './payload-errors.js';
import type { PayloadParser, PayloadResult } from './payload-types.js';

/**
 * Reads a signed lane pass (`CLP1:…`). Its subject is the holder's personal ID, so the health
 * list applies to it as to the ID card; the signature is checked by the lane (`checkPass`).
 */
export const lanePassParser: PayloadParser = {
  format: 'lane_pass',
  parse(raw: string): PayloadResult | null {
    // Base45 has no lower-case letters: a scanner typing with Caps Lock on (a keyboard-wedge HID
    // scanner inverts the case of letters) sends `clp1:…`, which upper-cases back exactly.
    const text = /^clp1:/i.test(raw) ? raw.toUpperCase() : raw;
    if (!text.startsWith(PASS_PREFIX)) return null;
    const parsed = parsePass(text);
    if (!parsed.ok) return payloadError(parsed.error.code, parsed.error.message, 'lane_pass');
    const pass = parsed.value;
    return ok({
      format: 'lane_pass',
      subject: { kind: 'personal_id', value: pass.body.personalId },
      pass,
      warnings: [],
    });
  },
};
