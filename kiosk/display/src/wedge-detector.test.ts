import { describe, expect, it } from 'vitest';
import { WedgeDetector } from './wedge-detector.js';

function type(
  detector: WedgeDetector,
  text: string,
  everyMs: number,
  start = 0,
  suffix = 'Enter',
): (string | null)[] {
  const keys = [...Array.from(text), suffix];
  return keys.map((k, i) => detector.key(k, start + i * everyMs));
}

describe('WedgeDetector', () => {
  it('takes a fast run ending in Enter as a scan, keeping |, commas, spaces and Vietnamese letters', () => {
    const card = '079301004567||Trần Thị Bình|05062001|Nữ|12 Lê Lợi, Quận 1|20072021';
    expect(type(new WedgeDetector(), card, 8).at(-1)).toBe(card);
  });

  it('never takes a person typing for a scan', () => {
    expect(type(new WedgeDetector(), '001090123456', 120).at(-1)).toBeNull();
  });

  it('ignores short runs, modifier keys, and starts over after a pause', () => {
    const d = new WedgeDetector();
    expect(type(d, 'abc', 5).at(-1)).toBeNull();
    d.key('Shift', 0);
    // A slow "x" typed by a person, then a scanner's fast code: only the code is taken.
    d.key('x', 0);
    expect(type(d, '001090123456', 5, 1000).at(-1)).toBe('001090123456');
  });

  it('accepts Tab as a suffix', () => {
    expect(type(new WedgeDetector(), '51F-123.45', 10, 0, 'Tab').at(-1)).toBe('51F-123.45');
  });
});
