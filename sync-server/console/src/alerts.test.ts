import { describe, expect, it } from 'vitest';
import {
  alertsPath,
  gateFlapsText,
  gateRedsSummary,
  groupAlerts,
  isUnacked,
  mergeAlerts,
  newestId,
  oldestId,
  replaySummary,
} from './alerts.js';
import { setLang } from './i18n.js';
import type { Alert } from './types.js';

const alert = (id: number, at: number, extra: Partial<Alert> = {}): Alert => ({
  id,
  at,
  receivedAt: at,
  kioskId: 'k1',
  checkpointId: 'HCM-01',
  scanId: `s${id}`,
  subjectKey: null,
  status: 'F0',
  raisedBy: 'lane',
  ...extra,
});

describe('alerts', () => {
  it('merges pages and live events by id, newest first', () => {
    const page1 = [alert(5, 500), alert(4, 400)];
    const older = [alert(3, 300), alert(2, 200)];
    const merged = mergeAlerts(mergeAlerts([], page1), older);
    expect(merged.map((a) => a.id)).toEqual([5, 4, 3, 2]);
    const acked = mergeAlerts(merged, [{ ...alert(4, 400), ackedAt: 450, ackedBy: 'quantri' }]);
    expect(acked.find((a) => a.id === 4)).toMatchObject({ ackedBy: 'quantri' });
    expect(acked).toHaveLength(4);
    expect(acked.filter(isUnacked).map((a) => a.id)).toEqual([5, 3, 2]);
  });

  it('pages older with before=<smallest id>', () => {
    expect(oldestId([alert(9, 1), alert(3, 2), alert(7, 3)])).toBe(3);
    expect(oldestId([])).toBeNull();
    expect(alertsPath({ unacked: false })).toBe('/api/v1/admin/alerts?limit=50');
    expect(alertsPath({ unacked: true })).toBe('/api/v1/admin/alerts?limit=50&unacked=true');
    expect(alertsPath({ unacked: true, before: 3, limit: 10 })).toBe(
      '/api/v1/admin/alerts?limit=10&before=3&unacked=true',
    );
    expect(alertsPath({ unacked: false, before: null })).toBe('/api/v1/admin/alerts?limit=50');
  });
});

describe('groupAlerts', () => {
  const H = 3_600_000;
  it('groups one subject’s repeats within an hour of the newest, newest first', () => {
    const groups = groupAlerts([
      alert(1, 0, { subjectKey: 'aa' }),
      alert(2, 10 * 60_000, { subjectKey: 'aa' }),
      alert(3, 20 * 60_000, { subjectKey: 'bb' }),
      alert(4, 50 * 60_000, { subjectKey: 'aa' }),
      alert(5, 3 * H, { subjectKey: 'aa' }),
    ]);
    expect(groups.map((g) => [g.latest.id, g.earlier.map((a) => a.id)])).toEqual([
      [5, []],
      [4, [2, 1]],
      [3, []],
    ]);
  });

  it('never groups alerts without a subject, nor a health alert with an override alert', () => {
    const groups = groupAlerts([
      alert(1, 0),
      alert(2, 1),
      alert(3, 2, { subjectKey: 'aa', kind: 'override' }),
      alert(4, 3, { subjectKey: 'aa', kind: 'health' }),
    ]);
    expect(groups.map((g) => g.latest.id)).toEqual([4, 3, 2, 1]);
    expect(newestId([alert(7, 0), alert(9, 0)])).toBe(9);
    expect(newestId([])).toBe(0);
  });
});

describe('replaySummary', () => {
  const passage = (checkpointName: string, at: number) => ({
    scanId: `scan-${checkpointName}`,
    checkpointId: checkpointName,
    checkpointName,
    kioskId: 'k',
    kioskName: 'k',
    at,
  });
  it('names both checkpoints, the distance, the minutes and the speed on one line (no person)', () => {
    const line = replaySummary(
      {
        earlier: passage('Chốt HN-01', 0),
        later: passage('Chốt SG-01', 600_000),
        distanceKm: 1140.4,
        speedKmh: 6842.4,
      },
      'vi',
    );
    expect(line).toMatch(/^Chốt HN-01 → Chốt SG-01 · 1\.140 km trong 10 phút \(≈ 6\.842 km\/h\)$/);
    expect(line).not.toContain('\n');
  });
  it('says "at the same time" when there is no speed', () => {
    const line = replaySummary(
      { earlier: passage('A', 5), later: passage('B', 5), distanceKm: 80, speedKmh: null },
      'vi',
    );
    expect(line).toBe('A → B · 80 km cùng một lúc');
  });
});

describe('gate alert words', () => {
  it('says a fault came back N times, and nothing when it never did', () => {
    setLang('vi', undefined);
    expect(gateFlapsText({ flaps: 19 })).toBe('lặp lại 19 lần');
    expect(gateFlapsText({ flaps: 1 })).toBe('lặp lại 1 lần');
    expect(gateFlapsText({ flaps: 0 })).toBeNull();
    expect(gateFlapsText({})).toBeNull();
    setLang('en', undefined);
    expect(gateFlapsText({ flaps: 1 })).toBe('repeated once');
    expect(gateFlapsText({ flaps: 20 })).toBe('repeated 20 times');
    setLang('vi', undefined);
  });

  it('counts reds since the lane started, without the number twice when they are all of them', () => {
    setLang('vi', undefined);
    expect(gateRedsSummary({ reds: 2, redsTotal: 5 })).toBe('2 lượt đỏ mới (tổng 5 từ khi làn khởi động)');
    // A lane's first report already holding reds (running through a server upgrade).
    expect(gateRedsSummary({ reds: 4, redsTotal: 4 })).toBe('4 lượt đỏ mới (từ khi làn khởi động)');
    setLang('en', undefined);
    expect(gateRedsSummary({ reds: 4, redsTotal: 4 })).toBe('4 new reds (since the lane started)');
    expect(gateRedsSummary({ reds: 1, redsTotal: 3 })).toBe('1 new reds (3 since the lane started)');
    setLang('vi', undefined);
  });
});
