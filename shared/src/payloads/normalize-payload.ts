/** Longest payload a lane reads; a chip ID card QR is about 200 characters. */
export const MAX_PAYLOAD_LENGTH = 1024;

/**
 * Tidies raw scanner or camera text before any parser sees it: strips a UTF-8 BOM, trailing
 * CR/LF and surrounding white space, removes C0/C1 control characters a scanner may emit
 * (prefixes, GS separators) and NFC-normalises (so `Nữ` typed as NFD still matches).
 */
export function normalizePayload(raw: string): string {
  return (
    raw
      .replace(/^\uFEFF/, '')
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, '')
      .replace(/[\r\n]+$/, '')
      .trim()
      .normalize('NFC')
  );
}
