import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvReader, type CsvRecord } from './csv-reader.js';

function readAll(text: string, chunkSize = text.length || 1): CsvRecord[] {
  const reader = new CsvReader();
  const out: CsvRecord[] = [];
  for (let i = 0; i < text.length; i += chunkSize) out.push(...reader.push(text.slice(i, i + chunkSize)));
  out.push(...reader.end());
  return out;
}

describe('CsvReader', () => {
  it('reads quotes, escaped quotes, commas and newlines inside quotes, CRLF and a BOM', () => {
    const text = '\uFEFFid,name\r\n1,"Nguyễn, ""Văn"" A"\r\n2,"two\r\nlines"\r\n3,plain\r\n';
    expect(readAll(text)).toEqual([
      { line: 1, fields: ['id', 'name'] },
      { line: 2, fields: ['1', 'Nguyễn, "Văn" A'] },
      { line: 3, fields: ['2', 'two\r\nlines'] },
      { line: 5, fields: ['3', 'plain'] },
    ]);
  });

  it('gives the same records whatever the chunking', () => {
    const text = 'a,b,c\n"x\ny",,"z""q"\r\n\n1,2,3';
    const whole = readAll(text);
    for (let size = 1; size < 8; size++) expect(readAll(text, size)).toEqual(whole);
    expect(whole).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x\ny', '', 'z"q'] },
      { line: 5, fields: ['1', '2', '3'] },
    ]);
  });

  it('flags malformed quoting without stopping', () => {
    expect(readAll('a"b,c\n"x"y,z\n"open')).toEqual([
      { line: 1, fields: ['a"b', 'c'], error: 'a quote inside an unquoted field' },
      { line: 2, fields: ['xy', 'z'], error: 'text after a closing quote' },
      { line: 3, fields: ['open'], error: 'a quoted field is not closed before the end of the file' },
    ]);
  });

  it('keeps trailing empty fields and a lone CR as a line end', () => {
    expect(readAll('a,\rb,c')).toEqual([
      { line: 1, fields: ['a', ''] },
      { line: 2, fields: ['b', 'c'] },
    ]);
  });

  it('round-trips any table written with RFC 4180 quoting, in any chunking', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'ễ', ',', '"', '\n', '\r\n', ' ', '1') });
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 9 }),
        (rows, chunk) => {
          const text = rows.map((r) => r.map((f) => `"${f.replaceAll('"', '""')}"`).join(',')).join('\r\n');
          expect(readAll(text, chunk).map((r) => r.fields)).toEqual(rows);
        },
      ),
    );
  });
});
