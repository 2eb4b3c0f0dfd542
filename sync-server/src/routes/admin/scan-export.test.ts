import { asyncMethods } from '../../db/store/sqlite-store.js';
import type { LaneRecord } from '@checkpoint-lane/shared';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../db/open-database.js';
import { ScansRepository } from '../../db/repositories/scans-repository.js';
import { SCAN_CSV_HEADER, scanCsvChunks } from './scan-export.js';

const scan = (seq: number): LaneRecord => ({
  type: 'scan',
  seq,
  id: `01890a5d-ac96-7000-8000-${seq.toString(16).padStart(12, '0')}`,
  at: 1_700_000_000_000 + seq,
  source: 'stdin',
  format: null,
  subjectKey: null,
  subjectSealed: null,
  decision: seq % 2 === 0 ? 'red' : 'green',
  reasons: [],
  warnings: [],
  alert: false,
});

/** Scan 3's record id: the plate scan of the vehicle scans 4 and 5 are in. */
const PLATE = `01890a5d-ac96-7000-8000-${(3).toString(16).padStart(12, '0')}`;

async function collect(gen: AsyncGenerator<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of gen) out.push(c);
  return out;
}

describe('scanCsvChunks', () => {
  it('pages below the starting point, stops at the row cap, and ignores scans arriving meanwhile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cl-export-'));
    const db = openDatabase(join(dir, 'server.db'));
    try {
      db.prepare(
        "INSERT INTO checkpoints (id, name, mode, freshness_budget_sec, blocking_statuses, repeat_window_sec, created_at, updated_at) VALUES ('CP', 'CP', 'open', 21600, '[]', 5, 0, 0)",
      ).run();
      db.prepare(
        "INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('k1', 'Lane 1', 'CP', 'h', 0)",
      ).run();
      const repo = new ScansRepository(db);
      repo.ingest(
        'k1',
        'CP',
        [1, 2, 3, 4, 5, 6, 7].map((s) => (s >= 3 && s <= 5 ? { ...scan(s), vehicleId: PLATE } : scan(s))),
        1,
      );
      const before = repo.lastNo() + 1;
      const gen = scanCsvChunks(asyncMethods(repo, ['exportPage']), {}, { before, maxRows: 5, pageSize: 2 });
      const first = await gen.next();
      expect(first.value).toBe(`\uFEFF${SCAN_CSV_HEADER}\r\n`);
      repo.ingest('k1', 'CP', [scan(8)], 2); // arrives mid-export: not in it
      const chunks = [first.value as string, ...(await collect(gen))];
      expect(chunks).toHaveLength(1 + 3); // header, then pages of 2, 2, 1
      const ids = chunks
        .slice(1)
        .join('')
        .split('\r\n')
        .filter((l) => l !== '')
        .map((l) => l.split(','));
      const col = (name: string): number => SCAN_CSV_HEADER.split(',').indexOf(name);
      expect(ids.map((r) => r[col('scan_id')])).toEqual(
        [7, 6, 5, 4, 3].map((s) => (scan(s) as { id: string }).id),
      );
      // vehicle_id last: scan 3 is a plate (it names itself), 4 and 5 its passengers, the rest in none.
      expect(col('vehicle_id')).toBe(SCAN_CSV_HEADER.split(',').length - 1);
      expect(ids.map((r) => r.at(-1))).toEqual(['', '', PLATE, PLATE, PLATE]);
      const red = await collect(
        scanCsvChunks(
          asyncMethods(repo, ['exportPage']),
          { decision: 'red' },
          { before, maxRows: 10, pageSize: 2 },
        ),
      );
      expect(
        red
          .join('')
          .split('\r\n')
          .filter((l) => l.includes(',red,')),
      ).toHaveLength(3);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
