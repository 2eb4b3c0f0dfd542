import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SuffixFramer, type FramingOptions } from './framing.js';

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('SuffixFramer', () => {
  it.each([
    ['CR', '\r'],
    ['CRLF', '\r\n'],
    ['LF', '\n'],
    ['ETX', '\u0003'],
    ['TAB', '\t'],
  ] as const)('splits on %s', (suffix, bytes) => {
    const framer = new SuffixFramer({ suffix });
    expect(framer.push(enc(`001090123456${bytes}51F-123.45${bytes}tail`)).frames).toEqual([
      '001090123456',
      '51F-123.45',
    ]);
    expect(framer.pendingBytes()).toBe(4);
  });

  it('keeps Vietnamese text and pipes whole across chunk boundaries', () => {
    const card = '079301004567||Trần Thị Bình|05062001|Nữ|Quận 1|20072021';
    const bytes = enc(`${card}\r\n`);
    const framer = new SuffixFramer({ suffix: 'CRLF' });
    const frames: string[] = [];
    for (const b of bytes) frames.push(...framer.push(Uint8Array.of(b)).frames);
    expect(frames).toEqual([card]);
  });

  it('does not split CRLF codes on a lone CR', () => {
    const framer = new SuffixFramer({ suffix: 'CRLF' });
    expect(framer.push(enc('ab\rcd')).frames).toEqual([]);
    expect(framer.push(enc('\r\n')).frames).toEqual(['ab\rcd']);
  });

  it('strips a programmed prefix', () => {
    expect(new SuffixFramer({ suffix: 'CR', prefix: ']Q1' }).push(enc(']Q1001090123456\r')).frames).toEqual([
      '001090123456',
    ]);
  });

  it('drops an over-long run without a suffix, then recovers', () => {
    const framer = new SuffixFramer({ suffix: 'CR', maxFrameBytes: 16 });
    const first = framer.push(enc('x'.repeat(40)));
    expect(first).toEqual({ frames: [], droppedBytes: 40, invalidUtf8: 0 });
    const second = framer.push(enc('yyy\rok\r'));
    expect(second.frames).toEqual(['ok']);
    expect(second.droppedBytes).toBe(3);
  });

  it('replaces and counts invalid UTF-8 instead of throwing', () => {
    const out = new SuffixFramer({ suffix: 'CR' }).push(Uint8Array.of(0x41, 0xff, 0xfe, 0x42, 0x0d));
    expect(out.frames).toEqual(['A\uFFFD\uFFFDB']);
    expect(out.invalidUtf8).toBe(1);
  });

  it('yields the same codes however the stream is chunked', () => {
    const options: FramingOptions = { suffix: 'CRLF' };
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')),
          { maxLength: 10 },
        ),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
        (codes, cuts) => {
          const bytes = enc(codes.map((c) => `${c}\r\n`).join(''));
          const framer = new SuffixFramer(options);
          const frames: string[] = [];
          let at = 0;
          for (let i = 0; at < bytes.length; i++) {
            const size = cuts[i % cuts.length] ?? 1;
            frames.push(...framer.push(bytes.subarray(at, at + size)).frames);
            at += size;
          }
          expect(frames).toEqual(codes);
        },
      ),
    );
  });
});
