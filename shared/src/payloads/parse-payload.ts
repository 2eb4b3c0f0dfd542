import { chipIdCardParser } from './parse-chip-id-card.js';
import { lanePassParser } from './parse-lane-pass.js';
import { personalIdParser } from './parse-personal-id.js';
import { unifiedPersonalQrParser } from './parse-unified-personal-qr.js';
import { passportParser, vehiclePlateParser } from './parse-vehicle-plate.js';
import { payloadError } from './payload-errors.js';
import { MAX_PAYLOAD_LENGTH, normalizePayload } from './normalize-payload.js';
import type { ParseContext, PayloadParser, PayloadResult } from './payload-types.js';

/** The formats a lane reads, most specific first. */
export const DEFAULT_PAYLOAD_PARSERS: readonly PayloadParser[] = [
  lanePassParser,
  chipIdCardParser,
  unifiedPersonalQrParser,
  personalIdParser,
  vehiclePlateParser,
  passportParser,
];

/**
 * Reads whatever a scanner, camera or officer produced. Never throws: every input gives either
 * a parsed payload or an error with a stable code.
 */
export function parsePayload(
  raw: string,
  context: ParseContext,
  parsers: readonly PayloadParser[] = DEFAULT_PAYLOAD_PARSERS,
): PayloadResult {
  try {
    // Bound the work before normalising: a 10 MB "scan" must not cost 10 MB of regex.
    if (raw.length > MAX_PAYLOAD_LENGTH * 4) {
      return payloadError('payload_too_long', `payload longer than ${MAX_PAYLOAD_LENGTH} characters`);
    }
    const text = normalizePayload(raw);
    if (text === '') return payloadError('payload_empty', 'empty payload');
    if (text.length > MAX_PAYLOAD_LENGTH) {
      return payloadError('payload_too_long', `payload longer than ${MAX_PAYLOAD_LENGTH} characters`);
    }
    for (const parser of parsers) {
      const result = parser.parse(text, context);
      if (result !== null) return result;
    }
    return payloadError('payload_unknown_format', 'not a known code format');
  } catch {
    // Parsers are written not to throw; this keeps a lane deciding if one ever does.
    return payloadError('payload_unknown_format', 'payload could not be read');
  }
}
