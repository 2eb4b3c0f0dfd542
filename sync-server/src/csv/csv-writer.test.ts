import { describe, expect, it } from 'vitest';
import { CsvReader } from './csv-reader.js';
import { csvCell, csvLine } from './csv-writer.js';

describe('csvCell', () => {
  it('quotes commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(12)).toBe('12');
  });

  it('guards text that a spreadsheet would run as a formula', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+84 90')).toBe("'+84 90");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe('"\'\rx"');
    expect(csvCell('=HYPERLINK("x","y")')).toBe('"\'=HYPERLINK(""x"",""y"")"');
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell(-2)).toBe('-2');
  });

  it('round-trips through the CSV reader', () => {
    const cells = ['Nguyễn "A"', 'x,y', 'line\r\nbreak', '', 'ổ dịch'];
    const reader = new CsvReader();
    const recs = [...reader.push(csvLine(cells)), ...reader.end()];
    expect(recs.map((r) => r.fields)).toEqual([cells]);
  });
});
