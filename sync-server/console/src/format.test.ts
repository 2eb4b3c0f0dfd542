import { describe, expect, it } from 'vitest';
import {
  buildQuery,
  compactJson,
  formatSkew,
  formatTime,
  laneChoices,
  listLag,
  localInputToIso,
  relativeTime,
  scanQuery,
  shortHash,
  toLocalInput,
} from './format.js';

describe('times', () => {
  it('shows times in Vietnam time in both languages', () => {
    const at = Date.UTC(2026, 10, 23, 17, 5, 9); // 00:05:09 on 24/11 in Vietnam
    expect(formatTime(at, 'vi')).toContain('00:05:09');
    expect(formatTime(at, 'vi')).toContain('24');
    expect(formatTime(at, 'en')).toContain('00:05:09');
    expect(formatTime(new Date(at).toISOString(), 'en')).toBe(formatTime(at, 'en'));
    expect(formatTime(null, 'vi')).toBe('');
    expect(formatTime('not a time', 'vi')).toBe('');
  });

  it('says how long ago', () => {
    const now = 1_000_000_000_000;
    expect(relativeTime(now - 4_000, now, 'en')).toBe('4 s ago');
    expect(relativeTime(now - 4_000, now, 'vi')).toBe('4 giây trước');
    expect(relativeTime(now - 125_000, now, 'en')).toBe('2 min ago');
    expect(relativeTime(now - 3 * 3600_000, now, 'vi')).toBe('3 giờ trước');
    expect(relativeTime(now - 2 * 86_400_000, now, 'en')).toBe('2 d ago');
    expect(relativeTime(now + 90_000, now, 'en')).toBe('in 1 min');
    expect(relativeTime(null, now, 'en')).toBe('');
  });

  it('reads datetime-local values as Vietnam time', () => {
    expect(localInputToIso('2026-11-23T08:30')).toBe('2026-11-23T08:30:00+07:00');
    expect(localInputToIso('2026-11-23T08:30:15')).toBe('2026-11-23T08:30:15+07:00');
    expect(localInputToIso('')).toBe('');
    expect(localInputToIso('yesterday')).toBeNull();
    expect(Date.parse(localInputToIso('2026-11-23T07:00') ?? '')).toBe(Date.UTC(2026, 10, 23, 0, 0));
    // Chromium gives milliseconds when the input has a small step: still read, not dropped.
    expect(localInputToIso('2026-11-23T08:30:15.250')).toBe('2026-11-23T08:30:15.250+07:00');
    expect(localInputToIso('2026-11-23 08:30')).toBeNull();
  });

  it('reads datetime-local values as Vietnam time whatever the process time zone', () => {
    const saved = process.env['TZ'];
    try {
      for (const tz of ['UTC', 'America/New_York', 'Asia/Tokyo', 'Pacific/Kiritimati']) {
        process.env['TZ'] = tz;
        // Midnight of 24/11 in Vietnam is 17:00 UTC on 23/11, in every zone the browser may be in.
        expect(Date.parse(localInputToIso('2026-11-24T00:00') ?? ''), tz).toBe(Date.UTC(2026, 10, 23, 17));
        expect(toLocalInput(Date.UTC(2026, 10, 23, 17)), tz).toBe('2026-11-24T00:00');
        expect(formatTime(Date.UTC(2026, 10, 23, 17), 'en'), tz).toContain('00:00:00');
      }
    } finally {
      if (saved === undefined) delete process.env['TZ'];
      else process.env['TZ'] = saved;
    }
  });

  it('round-trips an input value through epoch ms', () => {
    for (const v of ['2026-01-01T00:00', '2026-11-23T23:59', '2027-02-28T12:30']) {
      expect(toLocalInput(Date.parse(localInputToIso(v) ?? ''))).toBe(v);
    }
  });

  it('fills date inputs in Vietnam time', () => {
    const at = Date.UTC(2026, 10, 23, 18, 0); // 01:00 on 24/11 in Vietnam
    expect(toLocalInput(at, true)).toBe('2026-11-24');
    expect(toLocalInput(at)).toBe('2026-11-24T01:00');
    expect(toLocalInput(null)).toBe('');
  });

  it('formats clock skew', () => {
    expect(formatSkew(350)).toBe('+350 ms');
    expect(formatSkew(-1250)).toBe('−1.3 s');
    expect(formatSkew(0)).toBe('0 ms');
    expect(formatSkew(null)).toBe('');
  });
});

describe('queries', () => {
  it('keeps only the values that are set', () => {
    expect(buildQuery({})).toBe('');
    expect(buildQuery({ a: '', b: undefined, c: null, d: false })).toBe('');
    expect(buildQuery({ dryRun: true, limit: 20, s: 'a b&c' })).toBe('?dryRun=true&limit=20&s=a+b%26c');
  });

  it('builds the scan search and export query', () => {
    const f = {
      subject: ' 079203001234 ',
      checkpoint: 'HCM-01',
      kiosk: '',
      from: '2026-11-23T08:00',
      to: '',
      decision: 'red',
    };
    expect(scanQuery(f)).toBe(
      '?subject=079203001234&checkpoint=HCM-01&from=2026-11-23T08%3A00%3A00%2B07%3A00&decision=red',
    );
    expect(scanQuery(f, { limit: 50, cursor: '123' })).toContain('&limit=50&cursor=123');
    expect(scanQuery({ subject: '', checkpoint: '', kiosk: '', from: '', to: '', decision: '' })).toBe('');
  });

  it('passes the lane filter as kiosk=<id>', () => {
    const f = {
      subject: '',
      checkpoint: '',
      kiosk: 'k-7f3a',
      from: '',
      to: '2026-11-24T06:00',
      decision: '',
    };
    expect(scanQuery(f)).toBe('?kiosk=k-7f3a&to=2026-11-24T06%3A00%3A00%2B07%3A00');
  });

  it("offers lanes by name in natural order, only the chosen checkpoint's", () => {
    const kiosks = [
      { id: 'k10', name: 'lan-10', checkpointId: 'HCM-01', revokedAt: null },
      { id: 'k2', name: 'lan-2', checkpointId: 'HCM-01', revokedAt: 5 },
      { id: 'k3', name: 'lan-3', checkpointId: 'HCM-02', revokedAt: null },
    ];
    expect(laneChoices(kiosks, '', 'revoked')).toEqual([
      { id: 'k2', label: 'lan-2 (HCM-01) — revoked' },
      { id: 'k3', label: 'lan-3 (HCM-02)' },
      { id: 'k10', label: 'lan-10 (HCM-01)' },
    ]);
    expect(laneChoices(kiosks, 'HCM-02', 'revoked').map((l) => l.id)).toEqual(['k3']);
    expect(laneChoices([], '', 'revoked')).toEqual([]);
  });
});

describe('lanes and alerts', () => {
  it('computes list lag', () => {
    expect(listLag(12, 10)).toBe(2);
    expect(listLag(12, 12)).toBe(0);
    expect(listLag(12, 14)).toBe(0);
    expect(listLag(12, null)).toBeNull();
    expect(listLag(undefined, 3)).toBeNull();
  });

  it('shows at most 8 hex characters of a subject key', () => {
    expect(shortHash('A1B2C3D4E5F60718')).toBe('a1b2c3d4');
    expect(shortHash(null)).toBe('—');
    expect(shortHash('')).toBe('—');
    expect(shortHash('Nguyễn Văn A 079203001234')).toBe('—');
  });

  it('prints audit details on one short line', () => {
    expect(compactJson({ a: 1, b: [1, 2] })).toBe('{"a":1,"b":[1,2]}');
    expect(compactJson(null)).toBe('');
    expect(compactJson('x'.repeat(300), 10)).toHaveLength(10);
  });
});
