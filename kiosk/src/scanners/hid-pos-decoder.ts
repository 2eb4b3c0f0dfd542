/** Replaces invalid sequences with U+FFFD; stateless when not streaming, so one serves all frames. */
const UTF8 = new TextDecoder('utf-8', { fatal: false });
/**
 * Where the fields of a HID POS "scanned data" input report (usage page 0x8C) sit. Vendors
 * differ, so the layout comes from the hardware profile.
 */
export interface HidReportLayout {
  /** The report ID the scanned data comes in (first byte of each report); null if unnumbered. */
  readonly reportId: number | null;
  /** Byte holding how many decoded-data bytes this report carries. */
  readonly lengthOffset: number;
  /** First decoded-data byte. */
  readonly dataOffset: number;
  /** Most decoded-data bytes one report can carry. */
  readonly dataCapacity: number;
  /** First of the 3 AIM symbology identifier bytes (`]Q1` = QR), or null. */
  readonly aimOffset: number | null;
  /** Byte with the "decoded data continued" flag, or null if codes never span reports. */
  readonly continuedOffset: number | null;
  readonly continuedMask: number;
}

/** A whole code assembled from one or more reports. */
export interface HidCode {
  readonly text: string;
  /** AIM symbology identifier, e.g. `]Q1` (QR) or `]C0` (Code 128); null if the layout has none. */
  readonly aim: string | null;
  readonly reports: number;
  readonly invalidUtf8: boolean;
}

/** What one report did: completed a code, was part of one, was ignored, or was malformed. */
export type HidReportResult =
  | { readonly kind: 'code'; readonly code: HidCode }
  | { readonly kind: 'partial' }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'malformed'; readonly reason: string };

/** Longest code assembled from continued reports before the decoder gives up on it. */
const MAX_CODE_BYTES = 8192;

/**
 * Decodes HID POS scanned-data reports into codes, joining "continued" reports, checking
 * lengths against the layout, and never throwing on odd bytes.
 */
export class HidPosDecoder {
  readonly #layout: HidReportLayout;
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  #aim: string | null = null;

  constructor(layout: HidReportLayout) {
    this.#layout = layout;
  }

  /** Is part of a code waiting for its continuation? */
  hasPartial(): boolean {
    return this.#parts.length > 0;
  }

  /** Drops a partial code (its continuation will not come: timeout or disconnect). */
  reset(): void {
    this.#parts = [];
    this.#partBytes = 0;
    this.#aim = null;
  }

  push(report: Uint8Array): HidReportResult {
    const l = this.#layout;
    if (l.reportId !== null && report[0] !== l.reportId) {
      return { kind: 'ignored', reason: `report id ${report[0] ?? 'none'}` };
    }
    const length = report[l.lengthOffset];
    if (length === undefined) return this.#malformed('report shorter than its length byte');
    if (length === 0 && !this.hasPartial()) return { kind: 'ignored', reason: 'empty report' };
    if (length > l.dataCapacity || l.dataOffset + length > report.length) {
      return this.#malformed(`length ${length} exceeds the report`);
    }
    if (this.#partBytes + length > MAX_CODE_BYTES) return this.#malformed('code too long');
    if (this.#parts.length === 0 && l.aimOffset !== null) {
      const aim = report.subarray(l.aimOffset, l.aimOffset + 3);
      this.#aim = aim.length === 3 && aim[0] === 0x5d ? Buffer.from(aim).toString('latin1') : null;
    }
    this.#parts.push(report.slice(l.dataOffset, l.dataOffset + length));
    this.#partBytes += length;
    const continued =
      l.continuedOffset !== null && ((report[l.continuedOffset] ?? 0) & l.continuedMask) !== 0;
    if (continued) return { kind: 'partial' };

    const bytes = Buffer.concat(this.#parts);
    const text = UTF8.decode(bytes);
    const code: HidCode = {
      text,
      aim: this.#aim,
      reports: this.#parts.length,
      invalidUtf8: text.includes('\uFFFD'),
    };
    this.reset();
    return { kind: 'code', code };
  }

  #malformed(reason: string): HidReportResult {
    this.reset();
    return { kind: 'malformed', reason };
  }
}

/** Builds the reports a scanner with this layout would send for `text` (tests and the simulator). */
export function encodeHidReports(
  text: string,
  layout: HidReportLayout,
  aim = ']Q1',
  reportSize = 64,
): Uint8Array[] {
  const bytes = Buffer.from(text, 'utf8');
  const reports: Uint8Array[] = [];
  for (let at = 0; at < bytes.length || reports.length === 0; at += layout.dataCapacity) {
    const chunk = bytes.subarray(at, at + layout.dataCapacity);
    const report = new Uint8Array(reportSize);
    if (layout.reportId !== null) report[0] = layout.reportId;
    report[layout.lengthOffset] = chunk.length;
    report.set(chunk, layout.dataOffset);
    if (layout.aimOffset !== null) report.set(Buffer.from(aim, 'latin1'), layout.aimOffset);
    if (layout.continuedOffset !== null && at + layout.dataCapacity < bytes.length) {
      report[layout.continuedOffset] = (report[layout.continuedOffset] ?? 0) | layout.continuedMask;
    }
    reports.push(report);
  }
  return reports;
}
