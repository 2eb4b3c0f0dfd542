import { fail } from '../result.js';
import type { PayloadErrorCode, PayloadFormat, PayloadResult } from './payload-types.js';

/** A failed parse with a stable code and a message that carries no personal data. */
export function payloadError(code: PayloadErrorCode, message: string, format?: PayloadFormat): PayloadResult {
  return fail(format === undefined ? { code, message } : { code, message, format });
}
