import { describe, expect, it } from 'vitest';
// The server's own reader: the console must find rows at the line numbers it reports.
import { CsvReader } from '@checkpoint-lane/sync-server';
import { csvField, rejectedRowsCsv, rowErrorText, splitCsvRecords } from './import-report.js';

const serverLines = (text: string): { line: number; fields: string[] }[] => {
  const r = new CsvReader();
  return [...r.push(text), ...r.end()].map((x) => ({ line: x.line, fields: [...x.fields] }));
};

describe('splitCsvRecords', () => {
  it('starts each record on the line the server reports, quotes, blank lines, CR/LF/CRLF and all', () => {
    const samples = [
      'id,status\n1,"a\nb"\n\n2,x\r\n3,"q""uote"\r4,last',
      '\uFEFFh1,h2\r\n"multi\r\nline\r\nfield",2\r\n\r\n\r\nx,"y"',
      'a,b\n1,un"quoted\n2,"closed"after\n3,"never closed\nstill\n',
      'a\n\n\n"",\n  \nz',
    ];
    for (const text of samples) {
      const mine = splitCsvRecords(text);
      expect(
        mine.map((r) => r.line),
        text,
      ).toEqual(serverLines(text).map((r) => r.line));
      // Each raw record parses back to the server's fields.
      const server = serverLines(text);
      mine.forEach((r, i) => {
        expect(serverLines(r.text)[0]?.fields).toEqual(server[i]?.fields);
      });
    }
  });
});

describe('rowErrorText', () => {
  it('words a stable code with its params in Vietnamese or English, else keeps the server’s words', () => {
    const r = {
      line: 3,
      reason: 'since: not a calendar date: 31/02/2021',
      code: 'not_calendar_date',
      params: { field: 'since', value: '31/02/2021' },
    };
    expect(rowErrorText(r, 'vi')).toBe('Cột since: ngày không có thật (31/02/2021)');
    expect(rowErrorText(r, 'en')).toBe('Column since: no such day (31/02/2021)');
    expect(rowErrorText({ line: 4, reason: 'something new', code: 'from_the_future' }, 'vi')).toBe(
      'something new',
    );
    expect(
      rowErrorText(
        {
          line: 5,
          reason: 'a quote inside an unquoted field',
          code: 'csv_syntax',
          params: { detail: 'quote_in_field' },
        },
        'vi',
      ),
    ).toMatch(/dấu ngoặc kép/);
  });
});

describe('rejectedRowsCsv', () => {
  const file =
    'id,status,since,until,name,note\r\n001099012345,F0,18/09/2021,,"Lê, Văn A",\r\n001099012346,F1,31/02/2021,,,"ghi\nchú"\r\nx,F0,,,,\r\n';
  const rejected = [
    { line: 5, reason: 'id is not …', code: 'bad_id' },
    {
      line: 3,
      reason: 'since: …',
      code: 'not_calendar_date',
      params: { field: 'since', value: '31/02/2021' },
    },
  ];

  it('gives each rejected row as written, with its reason, under the header and a reason column', () => {
    const csv = rejectedRowsCsv(file, rejected, 'vi');
    expect(csv).toBe(
      '\uFEFFid,status,since,until,name,note,reason\r\n' +
        '001099012346,F1,31/02/2021,,,"ghi\nchú",Cột since: ngày không có thật (31/02/2021)\r\n' +
        'x,F0,,,,,"Mã không phải số định danh 12 chữ số, hộ chiếu hay biển số xe"\r\n',
    );
    // The server reads it as the same rows plus a reason.
    const rows = serverLines(csv);
    expect(rows.map((r) => r.fields.length)).toEqual([7, 7, 7]);
    expect(rows[1]?.fields.slice(0, 6)).toEqual(['001099012346', 'F1', '31/02/2021', '', '', 'ghi\nchú']);
  });

  it('replaces an earlier round’s reason instead of adding a column', () => {
    const first = rejectedRowsCsv(file, rejected, 'en');
    const second = rejectedRowsCsv(first, [{ line: 2, reason: 'x', code: 'bad_id' }], 'vi');
    const rows = serverLines(second);
    expect(rows[0]?.fields).toEqual(['id', 'status', 'since', 'until', 'name', 'note', 'reason']);
    expect(rows[1]?.fields).toHaveLength(7);
    expect(rows[1]?.fields[6]).toMatch(/^Mã không phải/);
    expect(csvField('a,"b"')).toBe('"a,""b"""');
  });
});
