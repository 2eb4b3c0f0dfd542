import { describe, expect, it } from 'vitest';
import {
  contactsQuery,
  csvFields,
  groupContacts,
  percent,
  subjectsFromCsv,
  subjectsFromLines,
  timeline,
  timeSpan,
} from './trace.js';
import type { ContactLike, EvidenceLike } from './trace.js';

const ev = (checkpointId: string, at: number, indexSubject: string | null, indexAt = at): EvidenceLike => ({
  checkpointId,
  kioskId: `${checkpointId}-lan-1`,
  at,
  indexSubject,
  indexAt,
});

describe('subjectsFromLines', () => {
  it('reads one subject a line, canonical and once, and names the refused lines', () => {
    const r = subjectsFromLines(
      '001090123456\n\n51F-123.45\n  51f12345 \nnot an id\n00109012345\nB1234567\r\n',
    );
    expect(r.subjects).toEqual(['001090123456', '51F12345', 'B1234567']);
    expect(r.read).toBe(4);
    expect(r.header).toBe(false);
    expect(r.refused).toEqual([
      { line: 5, text: 'not an id' },
      { line: 6, text: '00109012345' },
    ]);
  });

  it('refuses a first line too (no header in a typed list) and cuts long lines', () => {
    const r = subjectsFromLines(`hello\n${'x'.repeat(60)}`);
    expect(r.subjects).toEqual([]);
    expect(r.refused.map((l) => l.line)).toEqual([1, 2]);
    expect(r.refused[1]?.text).toHaveLength(40);
  });
});

describe('subjectsFromCsv', () => {
  it('takes the first field of each line that reads as a subject, the header line skipped', () => {
    const csv = [
      'ho_ten,cccd,bien_so',
      'Nguyễn Văn A,001090123456,51F-123.45',
      '"Trần, Thị B",079301004567,',
      'Lê C,,30A12345',
      'Phạm D,không có,',
      '',
      'Nguyễn Văn A,001090123456,',
    ].join('\n');
    const r = subjectsFromCsv(csv);
    expect(r.header).toBe(true);
    expect(r.subjects).toEqual(['001090123456', '079301004567', '30A12345']);
    expect(r.read).toBe(4);
    expect(r.refused).toEqual([{ line: 5, text: 'Phạm D,không có,' }]);
  });

  it('reads semicolons and a first line that is already data', () => {
    const r = subjectsFromCsv('\uFEFF001090123456;x\n"079301004567";y');
    expect(r.header).toBe(false);
    expect(r.subjects).toEqual(['001090123456', '079301004567']);
  });

  it('splits quoted fields with commas and doubled quotes', () => {
    expect(csvFields('a,"b, c","d ""e""",')).toEqual(['a', 'b, c', 'd "e"', '']);
  });
});

describe('groupContacts', () => {
  const contacts: ContactLike[] = [
    { subject: 'S2', hop: 1, via: 'lane', evidence: [ev('HCM-02', 500, 'F0-B'), ev('HCM-01', 100, 'F0-A')] },
    { subject: 'S1', hop: 1, via: 'lane', evidence: [ev('HCM-01', 50, 'F0-A')] },
    { subject: 'S3', hop: 2, via: 'vehicle', evidence: [ev('HCM-02', 700, 'S2')] },
  ];

  it('puts a contact under each index subject it was near, with that group’s evidence only', () => {
    const g = groupContacts(contacts, 'index');
    expect(g.map((x) => x.key)).toEqual(['F0-A', 'F0-B', 'S2']);
    expect(g[0]?.contacts.map((c) => c.contact.subject)).toEqual(['S1', 'S2']);
    expect(g[0]?.contacts[1]?.evidence.map((e) => e.at)).toEqual([100]);
    expect(g[1]?.contacts.map((c) => c.contact.subject)).toEqual(['S2']);
  });

  it('groups by checkpoint, earliest group first', () => {
    const g = groupContacts(contacts, 'checkpoint');
    expect(g.map((x) => [x.key, x.first])).toEqual([
      ['HCM-01', 50],
      ['HCM-02', 500],
    ]);
    expect(g[1]?.contacts.map((c) => c.contact.subject)).toEqual(['S2', 'S3']);
  });

  it('groups evidence whose index subject cannot be shown by its key, unnamed', () => {
    const g = groupContacts(
      [{ subject: null, hop: 1, via: 'lane', evidence: [{ ...ev('X', 1, null), indexKey: '00ff' }] }],
      'index',
    );
    expect(g.map((x) => [x.key, x.label])).toEqual([['#00ff', null]]);
    expect(groupContacts(contacts, 'index')[0]?.label).toBe('F0-A');
  });
});

describe('timeline', () => {
  it('lists every piece of evidence earliest first with its contact', () => {
    const items = timeline([
      {
        subject: 'B',
        hop: 1,
        via: 'lane',
        evidence: [ev('HCM-01', 300, 'F0', 290), ev('HCM-02', 100, 'F0')],
      },
      { subject: 'A', hop: 2, via: 'vehicle', evidence: [ev('HCM-01', 300, 'B', 310)] },
    ]);
    expect(items.map((i) => [i.subject, i.evidence.at])).toEqual([
      ['B', 100],
      ['A', 300],
      ['B', 300],
    ]);
    expect(timeSpan(items)).toEqual({ from: 100, to: 310 });
    expect(timeSpan([])).toBeNull();
  });
});

describe('contactsQuery and percent', () => {
  it('sends only the chosen filters', () => {
    expect(contactsQuery({ hop: '', via: '', checkpointId: '' }, 0, 50)).toBe('?offset=0&limit=50');
    expect(contactsQuery({ hop: '2', via: 'vehicle', checkpointId: 'HCM-01' }, 50, 50)).toBe(
      '?offset=50&limit=50&hop=2&via=vehicle&checkpointId=HCM-01',
    );
  });

  it('clamps progress to whole percents', () => {
    expect([percent(0.456), percent(2), percent(-1), percent(null), percent(Number.NaN)]).toEqual([
      46, 100, 0, 0, 0,
    ]);
  });
});
