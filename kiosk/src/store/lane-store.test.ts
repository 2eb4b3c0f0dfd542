import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScanRecord } from '@checkpoint-lane/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LaneStore, type LaneHealthEntry, type NewLaneRecord } from './lane-store.js';

let dir: string;
let store: LaneStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lane-store-'));
  store = LaneStore.open(join(dir, 'lane.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const f0 = (key: bigint): LaneHealthEntry => ({ key, entry: { status: 'F0', since: 1000, until: null } });
const scan = (decision: ScanRecord['decision'] = 'green'): NewLaneRecord => ({
  type: 'scan',
  source: 'stdin',
  format: 'personal_id',
  subjectKey: '52d2d0ef9befd516',
  subjectSealed: null,
  decision,
  reasons: ['not_flagged'],
  warnings: [],
  alert: false,
});

describe('lists', () => {
  it('replaces a list through a shadow table: lookups see the old list until commit', () => {
    const first = store.replaceHealthList();
    first.add([f0(1n), f0(-(2n ** 63n))]);
    first.commit(3, 5000);
    expect(store.lookupHealth(1n)).toEqual({ status: 'F0', since: 1000, until: null });
    expect(store.lookupHealth(-(2n ** 63n))?.status).toBe('F0');

    const second = store.replaceHealthList();
    second.add([{ key: 2n, entry: { status: 'F1', since: null, until: 9000 } }]);
    expect(store.lookupHealth(1n)).not.toBeNull(); // still the old list
    expect(store.lookupHealth(2n)).toBeNull();
    second.commit(4, 6000);
    expect(store.lookupHealth(1n)).toBeNull();
    expect(store.lookupHealth(2n)).toEqual({ status: 'F1', since: null, until: 9000 });
    expect(store.listState('health')).toEqual({ version: 4, syncedAt: 6000 });
  });

  it('an aborted or crashed replacement leaves the live list as it was', () => {
    const r = store.replaceHealthList();
    r.add([f0(1n)]);
    r.commit(1, 1);
    const broken = store.replaceHealthList();
    broken.add([f0(7n)]);
    broken.abort();
    expect(store.lookupHealth(1n)).not.toBeNull();
    // A crash mid-snapshot: the shadow table is left behind, and dropped on the next open.
    store.replaceHealthList().add([f0(8n)]);
    store.close();
    store = LaneStore.open(join(dir, 'lane.db'));
    expect(store.lookupHealth(1n)).not.toBeNull();
    expect(store.lookupHealth(8n)).toBeNull();
    expect(store.listState('health').version).toBe(1);
  });

  it('applies a delta only on top of the version it was made from, all or nothing', () => {
    expect(store.applyChanges('health', 0, 2, [{ op: 'put', value: f0(5n) }], 100)).toBe(true);
    expect(store.applyChanges('health', 0, 3, [{ op: 'delete', key: 5n }], 200)).toBe(false);
    expect(store.lookupHealth(5n)).not.toBeNull();
    expect(store.applyChanges('health', 2, 3, [{ op: 'delete', key: 5n }], 200)).toBe(true);
    expect(store.lookupHealth(5n)).toBeNull();
    expect(store.listState('health')).toEqual({ version: 3, syncedAt: 200 });
  });

  it('holds whitelist entries with validity at this checkpoint only', () => {
    const r = store.replaceWhitelist();
    r.add([
      { key: 1n, entry: { category: 'shipper', validFrom: 10, validUntil: 20 }, validHere: true },
      { key: 2n, entry: { category: 'permit', validFrom: null, validUntil: null }, validHere: false },
    ]);
    r.commit(1, 1);
    expect(store.lookupWhitelist(1n)).toEqual({
      category: 'shipper',
      validFrom: 10,
      validUntil: 20,
      checkpoints: null,
    });
    expect(store.lookupWhitelist(2n)?.checkpoints).toEqual([]);
    expect(store.lookupWhitelist(3n)).toBeNull();
  });

  it('keeps each list’s entry count with every write, without counting rows again', () => {
    const r = store.replaceHealthList();
    r.add([f0(1n), f0(2n), f0(3n)]);
    expect(r.count()).toBe(3);
    expect(store.countEntries('health')).toBe(0); // the shadow is not the list yet
    r.commit(1, 1);
    expect(store.countEntries('health')).toBe(3);
    // An update, a new entry, a delete, and a delete of a key it never held.
    expect(
      store.applyChanges(
        'health',
        1,
        2,
        [
          { op: 'put', value: f0(1n) },
          { op: 'put', value: f0(4n) },
          { op: 'delete', key: 2n },
          { op: 'delete', key: 99n },
        ],
        2,
      ),
    ).toBe(true);
    expect(store.countEntries('health')).toBe(3);
    // Urgent entries of version 3 held ahead of it.
    store.overlayHealth([f0(4n), f0(5n)], 3);
    expect(store.countEntries('health')).toBe(4);
    expect(store.overlayUntil('health')).toBe(3);
    expect(store.applyChanges('health', 2, 3, [{ op: 'put', value: f0(5n) }], 3)).toBe(true);
    expect(store.overlayUntil('health')).toBe(0);
    expect(store.countEntries('health')).toBe(4);

    // Kept across a restart, and the same as the rows.
    store.close();
    store = LaneStore.open(join(dir, 'lane.db'));
    expect(store.countEntries('health')).toBe(4);
    const raw = new Database(join(dir, 'lane.db'), { readonly: true });
    expect(raw.prepare('SELECT count(*) FROM health_entries').pluck().get()).toBe(4);
    raw.close();
  });

  it('counts a list once for a store written before counts were kept', () => {
    store.applyChanges(
      'whitelist',
      0,
      1,
      [
        {
          op: 'put',
          value: {
            key: 1n,
            entry: { category: 'shipper', validFrom: null, validUntil: null },
            validHere: true,
          },
        },
      ],
      1,
    );
    store.close();
    // A store of an older lane: no count setting.
    const raw = new Database(join(dir, 'lane.db'));
    raw.prepare("DELETE FROM settings WHERE name LIKE 'list_entries:%'").run();
    raw.close();
    store = LaneStore.open(join(dir, 'lane.db'));
    expect(store.countEntries('whitelist')).toBe(1);
    expect(store.getSetting('list_entries:whitelist')).toBe('1');
  });
});

describe('outbox', () => {
  it('numbers records 1, 2, 3… with UUIDv7 ids and keeps them until acknowledged', () => {
    const a = store.appendRecord(scan(), 1000);
    const b = store.appendRecord(scan('red'), 1001, true);
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.id < b.id).toBe(true);
    expect(store.backlog()).toEqual({ count: 2, urgent: true });
    expect(store.pendingRecords(10)).toEqual([a, b]);

    store.acknowledge(1);
    expect(store.pendingRecords(10)).toEqual([b]);
    store.acknowledge(0); // never backwards
    expect(store.ackedThrough()).toBe(1);
    expect(store.pruneAcknowledged(Number.MAX_SAFE_INTEGER)).toBe(1);
    expect(store.pendingRecords(10)).toEqual([b]);
  });

  it('survives closing and reopening without losing or renumbering records', () => {
    store.appendRecord(scan(), 1);
    store.appendRecord(scan(), 2);
    store.acknowledge(2);
    store.pruneAcknowledged(10);
    store.close();
    store = LaneStore.open(join(dir, 'lane.db'));
    expect(store.appendRecord(scan(), 3).seq).toBe(3);
    expect(store.lastSeq()).toBe(3);
    expect(store.pendingRecords(10).map((r) => r.seq)).toEqual([3]);
  });

  it('moves its acknowledged mark only through acknowledge, never backwards nor past what was sent', () => {
    for (let i = 0; i < 4; i++) store.appendRecord(scan(), i);
    expect(store.acknowledge(3, 2)).toBe(2); // the server holds more than this batch carried
    expect(store.acknowledge(1)).toBe(2);
    expect(() => {
      store.setSetting('acked_through', '0');
    }).toThrow(/outbox/);
    expect(store.ackedThrough()).toBe(2);
    // A server restored from a backup gets the held records after its own mark again.
    expect(store.pendingRecords(10, 1).map((r) => r.seq)).toEqual([2, 3, 4]);
  });

  it('tells the uploader when the server holds less than the mark, and keeps the mark', () => {
    for (let i = 0; i < 5; i++) store.appendRecord(scan(), i);
    expect(store.takeAcknowledgement(4)).toEqual({ mark: 4, previous: 0, serverBehind: false });
    // Restored from a backup taken after record 1: the mark stays at 4.
    expect(store.takeAcknowledgement(1, 5)).toEqual({ mark: 4, previous: 4, serverBehind: true });
    expect(store.takeAcknowledgement(5)).toEqual({ mark: 5, previous: 4, serverBehind: false });
    // An answer that is no number of a record moves nothing.
    expect(store.takeAcknowledgement(Number.NaN).mark).toBe(5);
    expect(store.takeAcknowledgement(2 ** 60).mark).toBe(5);
    expect(store.backlog().count).toBe(0);
  });

  it('never moves its mark backwards across a re-enrollment either', () => {
    store.adoptEnrollment({ kioskId: 'a', listKeyId: 'k', justEnrolled: true });
    for (let i = 0; i < 4; i++) store.appendRecord(scan(), i);
    store.acknowledge(3);
    store.adoptEnrollment({ kioskId: 'b', listKeyId: 'k', justEnrolled: true });
    expect(store.ackedThrough()).toBe(0);
    expect(store.acknowledge(0)).toBe(0);
    expect(store.pendingRecords(10).map((r) => r.seq)).toEqual([1]);
    expect(store.acknowledge(1)).toBe(1);
    expect(store.acknowledge(0)).toBe(1);
    expect(store.backlog().count).toBe(0);
  });
});

describe('the open vehicle (vehicle mode)', () => {
  const V = '0190a000-0000-7000-8000-000000000001';
  const W = '0190a000-0000-7000-8000-000000000002';
  const inVehicle = (vehicleId: string, decision: ScanRecord['decision'] = 'green'): NewLaneRecord => ({
    ...(scan(decision) as Extract<NewLaneRecord, { type: 'scan' }>),
    vehicleId,
  });
  const override = (scanId: string, decision: ScanRecord['decision']): NewLaneRecord => ({
    type: 'override',
    scanId,
    originalDecision: 'red',
    decision,
    officerId: 'o1',
    supervisorId: null,
    reason: 'identity_checked',
    note: '',
  });

  it('a plate scan opens its vehicle in the same write, kept across a reopen; closing names the vehicle', () => {
    expect(store.openVehicle()).toBeNull();
    const plate = store.appendPlateScan(inVehicle(V), 1000, false, V, true);
    expect(plate.id).toBe(V);
    store.close();
    store = LaneStore.open(join(dir, 'lane.db'));
    expect(store.openVehicle()).toEqual({ id: V, openedAt: 1000, greenLane: true });
    // The next plate takes its place; closing the old one then leaves the new one open.
    store.appendPlateScan(inVehicle(W), 2000, false, W, false);
    store.closeVehicle(V);
    expect(store.openVehicle()).toEqual({ id: W, openedAt: 2000, greenLane: false });
    store.closeVehicle(W);
    expect(store.openVehicle()).toBeNull();
  });

  it('is closed when the lane is enrolled again (another checkpoint, another lane)', () => {
    store.adoptEnrollment({ kioskId: 'old', listKeyId: 'k1', justEnrolled: true });
    store.appendPlateScan(inVehicle(V), 1000, false, V, false);
    store.adoptEnrollment({ kioskId: 'old', listKeyId: 'k1', justEnrolled: false });
    expect(store.openVehicle()?.id).toBe(V);
    store.adoptEnrollment({ kioskId: 'new', listKeyId: 'k1', justEnrolled: true });
    expect(store.openVehicle()).toBeNull();
    // Its plate scan is carried over with its vehicle id, as every unsent record.
    expect(store.pendingRecords(10).map((r) => r.id)).toEqual([V]);
  });

  it('refuses a plate scan that does not name itself, writing nothing', () => {
    expect(() => store.appendPlateScan(inVehicle(W), 1000, false, V, false)).toThrow(/names itself/);
    expect(() => store.appendPlateScan(scan(), 1000, false, V, false)).toThrow(/names itself/);
    expect(store.lastSeq()).toBe(0);
    expect(store.openVehicle()).toBeNull();
  });

  it('a failed write opens no vehicle (one transaction)', () => {
    store.appendRecord(scan(), 1, false, V);
    // The id is taken: the record cannot be written, so the vehicle is not opened either.
    expect(() => store.appendPlateScan(inVehicle(V), 1000, false, V, false)).toThrow(/UNIQUE/);
    expect(store.openVehicle()).toBeNull();
  });

  it('answers a vehicle’s plate, passengers and their overrides, and nothing of another vehicle or none', () => {
    store.appendRecord(scan(), 500);
    store.appendPlateScan(inVehicle(V), 1000, false, V, false);
    const a = store.appendRecord({ ...inVehicle(V, 'red'), laneHealthStatus: 'F0' }, 1001);
    const alone = store.appendRecord(scan('red'), 1002);
    store.appendRecord(override(alone.id, 'green'), 1003);
    const o = store.appendRecord(override(a.id, 'green'), 1004);
    store.appendPlateScan(inVehicle(W), 1005, false, W, false);
    store.appendRecord(inVehicle(W), 1006);
    const records = store.vehicleRecords(V);
    expect(records.map((r) => r.id)).toEqual([V, a.id, o.id]);
    expect(records[1]).toMatchObject({ decision: 'red', laneHealthStatus: 'F0', vehicleId: V });
    expect(store.vehicleRecords(W).map((r) => r.at)).toEqual([1005, 1006]);
    // A plate scan no longer held: nothing.
    expect(store.vehicleRecords('0190a000-0000-7000-8000-000000000009')).toEqual([]);
  });
});

describe('a lane enrolled again in its old data folder', () => {
  const enrollment = (kioskId: string, justEnrolled = true, listKeyId = 'k1') => ({
    kioskId,
    listKeyId,
    justEnrolled,
  });

  it('carries its unsent records over, numbered from 1 for the new enrollment, ids kept', () => {
    expect(store.adoptEnrollment(enrollment('old'))).toEqual({ changed: false, carried: 0, listsReset: [] });
    const records = [1, 2, 3, 4, 5].map((i) => store.appendRecord(scan(), i));
    store.acknowledge(2);
    store.applyChanges(
      'whitelist',
      0,
      1,
      [
        {
          op: 'put',
          value: {
            key: 1n,
            entry: { category: 'shipper', validFrom: null, validUntil: null },
            validHere: true,
          },
        },
      ],
      10,
    );
    store.setSetting('checkpoint', '{"id":"OLD"}');

    expect(store.adoptEnrollment(enrollment('new'))).toEqual({
      changed: true,
      carried: 3,
      listsReset: ['whitelist'],
    });
    expect(store.ackedThrough()).toBe(0);
    expect(store.backlog().count).toBe(3);
    const pending = store.pendingRecords(10);
    expect(pending.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(pending.map((r) => r.id)).toEqual(records.slice(2).map((r) => r.id));
    // The whitelist was made for the old checkpoint: fetched again. So is the config.
    expect(store.listState('whitelist')).toEqual({ version: 0, syncedAt: null });
    expect(store.countEntries('whitelist')).toBe(0);
    expect(store.getSetting('checkpoint')).toBeNull();
    // New scans follow; acknowledgements are in the new numbering; nothing is lost or doubled.
    store.appendRecord(scan(), 6);
    expect(store.pendingRecords(10).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    store.acknowledge(2);
    expect(store.pendingRecords(10).map((r) => r.id)).toEqual([records[4]!.id, expect.any(String)]);
    // The same enrollment again (a restart) changes nothing; the old records stay findable.
    expect(store.adoptEnrollment(enrollment('new', false))).toMatchObject({ changed: false });
    expect(store.findRecord(records[0]!.id)?.seq).toBe(1);
    store.close();
    store = LaneStore.open(join(dir, 'lane.db'));
    expect(store.pendingRecords(10).map((r) => r.seq)).toEqual([3, 4]);
  });

  it('takes a store from before this bookkeeping as its own, unless the credentials are new', () => {
    store.appendRecord(scan(), 1);
    expect(store.adoptEnrollment(enrollment('a', false))).toMatchObject({ changed: false });
    expect(store.pendingRecords(10).map((r) => r.seq)).toEqual([1]);
    store.close();

    const other = join(dir, 'other.db');
    store = LaneStore.open(other);
    store.appendRecord(scan(), 1);
    store.appendRecord(scan(), 2);
    store.acknowledge(1);
    expect(store.adoptEnrollment(enrollment('b', true))).toMatchObject({ changed: true, carried: 1 });
    expect(store.pendingRecords(10).map((r) => r.seq)).toEqual([1]);
  });

  it('fetches both lists again when the list key changed (another fleet)', () => {
    store.adoptEnrollment(enrollment('a', true, 'k1'));
    store.overlayHealth([f0(7n)]);
    expect(store.adoptEnrollment(enrollment('b', true, 'k2'))).toMatchObject({
      listsReset: ['health', 'whitelist'],
    });
    expect(store.lookupHealth(7n)).toBeNull();
  });
});

describe('the pass directory', () => {
  const KEY1 = { keyId: 1, publicKey: 'A'.repeat(43), validFrom: 1000, validUntil: 9000 };
  const KEY2 = { keyId: 2, publicKey: 'B'.repeat(43), validFrom: 8000, validUntil: null };

  it('is empty in a new store; a new one replaces it whole, kept across a reopen', () => {
    expect(store.passDirectory()).toMatchObject({ version: 0, syncedAt: null, keys: [] });
    expect(store.passDirectory().revoked.size).toBe(0);
    store.replacePassDirectory(
      {
        version: 3,
        keys: [KEY2, KEY1],
        revoked: [
          { passId: '00000000000000aa', until: 5000 },
          // Expired before the directory was taken: not kept.
          { passId: '00000000000000bb', until: 1999 },
        ],
      },
      2000,
    );
    const held = store.passDirectory();
    expect(held).toMatchObject({ version: 3, syncedAt: 2000, keys: [KEY1, KEY2] });
    expect([...held.revoked]).toEqual(['00000000000000aa']);
    // Read from memory: the same object until a new directory comes.
    expect(store.passDirectory()).toBe(held);
    store.close();
    store = LaneStore.open(join(dir, 'lane.db'));
    expect(store.passDirectory()).toMatchObject({ version: 3, syncedAt: 2000, keys: [KEY1, KEY2] });
    store.replacePassDirectory({ version: 4, keys: [KEY2], revoked: [] }, 3000);
    expect(store.passDirectory()).toMatchObject({ version: 4, keys: [KEY2] });
    expect(store.passDirectory().revoked.size).toBe(0);
    store.markPassDirectorySynced(4000);
    expect(store.passDirectory().syncedAt).toBe(4000);
  });

  it('a directory the database refuses leaves the one held, on disk and in memory', () => {
    store.replacePassDirectory({ version: 1, keys: [KEY1], revoked: [] }, 1000);
    expect(() =>
      store.replacePassDirectory(
        { version: 2, keys: [KEY2], revoked: [{ passId: 'not hex at all!!', until: 5000 }] },
        1000,
      ),
    ).toThrow(/CHECK/);
    expect(store.passDirectory()).toMatchObject({ version: 1, keys: [KEY1] });
    store.close();
    store = LaneStore.open(join(dir, 'lane.db'));
    expect(store.passDirectory()).toMatchObject({ version: 1, keys: [KEY1] });
  });

  it('is forgotten when the lane is enrolled again (the next server’s directory is taken)', () => {
    store.adoptEnrollment({ kioskId: 'a', listKeyId: 'k1', justEnrolled: true });
    store.replacePassDirectory({ version: 9, keys: [KEY1], revoked: [] }, 1000);
    store.adoptEnrollment({ kioskId: 'a', listKeyId: 'k1', justEnrolled: false });
    expect(store.passDirectory().version).toBe(9);
    store.adoptEnrollment({ kioskId: 'b', listKeyId: 'k1', justEnrolled: true });
    expect(store.passDirectory()).toMatchObject({ version: 0, syncedAt: null, keys: [] });
  });
});
