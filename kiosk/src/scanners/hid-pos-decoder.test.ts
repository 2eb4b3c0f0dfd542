import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeHidReports, HidPosDecoder, type HidReportLayout } from './hid-pos-decoder.js';

/** Honeywell-style: report 2, length, 56 data bytes, AIM id at 58, continued flag in byte 63. */
const honeywell: HidReportLayout = {
  reportId: 2,
  lengthOffset: 1,
  dataOffset: 2,
  dataCapacity: 56,
  aimOffset: 58,
  continuedOffset: 63,
  continuedMask: 0x01,
};

/** A 64-byte report written out byte by byte, as a USB capture shows it. */
function recorded(hex: string): Uint8Array {
  const bytes = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  const report = new Uint8Array(64);
  report.set(bytes);
  return report;
}

describe('HidPosDecoder', () => {
  it('decodes a recorded single-report QR scan with its AIM id', () => {
    // 02 | len 0c | "001090123456" | zero padding to byte 58 | "]Q1" | 00 00 | flags 00
    const report = recorded(`02 0c 303031303930313233343536 ${'00'.repeat(44)} 5d5131 0000 00`);
    expect(new HidPosDecoder(honeywell).push(report)).toEqual({
      kind: 'code',
      code: { text: '001090123456', aim: ']Q1', reports: 1, invalidUtf8: false },
    });
  });

  it('joins a recorded two-report code (continued flag set on the first)', () => {
    const card = '079301004567||Trần Thị Bình|05062001|Nữ|12 Lê Lợi, Quận 1|20072021';
    const bytes = Buffer.from(card, 'utf8');
    const first = recorded(`02 38 ${bytes.subarray(0, 56).toString('hex')} 5d5131 0000 01`);
    const second = recorded(
      `02 ${(bytes.length - 56).toString(16).padStart(2, '0')} ${bytes.subarray(56).toString('hex')}`,
    );
    const decoder = new HidPosDecoder(honeywell);
    expect(decoder.push(first)).toEqual({ kind: 'partial' });
    expect(decoder.push(second)).toMatchObject({
      kind: 'code',
      code: { text: card, reports: 2, aim: ']Q1' },
    });
    expect(decoder.hasPartial()).toBe(false);
  });

  it('ignores other report ids and empty reports, rejects impossible lengths', () => {
    const decoder = new HidPosDecoder(honeywell);
    expect(decoder.push(recorded('01 05 4142434445'))).toMatchObject({ kind: 'ignored' });
    expect(decoder.push(recorded('02 00'))).toMatchObject({ kind: 'ignored' });
    expect(decoder.push(recorded('02 ff 41'))).toMatchObject({ kind: 'malformed' });
    expect(decoder.push(Uint8Array.of(2))).toMatchObject({ kind: 'malformed' });
    expect(decoder.push(recorded('02 02 4142'))).toMatchObject({ kind: 'code', code: { text: 'AB' } });
  });

  it('never throws on random reports, and recovers for the next good one', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 20 }), (reports) => {
        const decoder = new HidPosDecoder(honeywell);
        for (const r of reports) decoder.push(r);
        decoder.reset();
        expect(decoder.push(recorded('02 03 414243'))).toMatchObject({ kind: 'code', code: { text: 'ABC' } });
      }),
    );
  });

  it('round-trips any text through a vendor layout with the AIM id first', () => {
    const zebra: HidReportLayout = { ...honeywell, aimOffset: 2, dataOffset: 5 };
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }), (text) => {
        const decoder = new HidPosDecoder(zebra);
        const results = encodeHidReports(text, zebra).map((r) => decoder.push(r));
        expect(results.at(-1)).toMatchObject({ kind: 'code', code: { text, aim: ']Q1' } });
      }),
    );
  });
});
