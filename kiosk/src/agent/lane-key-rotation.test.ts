// A whole lane (sealed vault, real SQLite store, its sync) against a loopback server that keys
// its lists with a key scope's list key and rotates it: every trigger leads to the new key in
// the vault and both lists re-keyed; the old list and key keep deciding until the swap; a failed
// key fetch keeps the old; no list key reaches lane.db or any plain file.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHECKPOINT_DEFAULTS,
  encodeSnapshot,
  isSealedSubjectText,
  subjectKeyToHex,
  type CheckpointConfig,
  type ListName,
  type ScanRecord,
} from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insecureFileKeyStore } from '../secrets/key-store-choice.js';
import { LaneVault } from '../secrets/lane-vault.js';
import type { LaneCredentials } from '../sync/credentials.js';
import { FakeKeyScope, FakeSyncServer, type FakeAnswer } from '../sync/fake-sync-server.testkit.js';
import { TestListSigner } from '../sync/list-signer.testkit.js';
import { LaneAgent } from './lane-agent.js';

const F0 = '001090123456';
const CLEAN = '079201004568';
const CP = 'CP-1';
const CHECKPOINT: CheckpointConfig = { id: CP, name: 'Chốt 1', mode: 'open', ...CHECKPOINT_DEFAULTS };
const VERSION = 3;

let dir: string;
let server: FakeSyncServer;
let scope: FakeKeyScope;
let signer: TestListSigner;
let agent: LaneAgent | null;
/** When set, each list's snapshot answer waits for it. */
let holdSnapshots: Promise<void> | null;

/** A snapshot of `list` at VERSION keyed with the scope's current key (health: the F0 listed). */
function snapshot(list: ListName): FakeAnswer {
  const keyId = scope.current;
  if (list === 'whitelist') {
    const header = { list, version: VERSION, count: 0, checkpointId: CP, classes: [] } as const;
    return signer.snapshot(list, VERSION, encodeSnapshot(header, []), 0, CP, Date.now(), keyId);
  }
  const header = {
    list,
    version: VERSION,
    count: 1,
    checkpointId: '',
    classes: [{ status: 'F0', since: null, until: null }],
  } as const;
  const rows = [{ key: scope.subjectKey(F0), classIndex: 0 }];
  return signer.snapshot(list, VERSION, encodeSnapshot(header, rows), 1, CP, Date.now(), keyId);
}

/** The server: lists keyed with the scope's current key; changes for an older key answer 410. */
function routeServer(): void {
  scope.serve(server);
  for (const list of ['health', 'whitelist'] as const) {
    server.route('GET', `/lists/${list}/snapshot`, async () => {
      const answer = snapshot(list);
      if (holdSnapshots !== null) await holdSnapshots;
      return answer;
    });
    server.route('GET', `/lists/${list}/changes`, (req) => {
      const keyId = Number(req.query.get('keyId') ?? '0');
      if (keyId !== scope.current)
        return { status: 410, json: { error: 'list_key_rotated', message: 'the list key was rotated' } };
      const since = Number(req.query.get('since'));
      const body = { list, fromVersion: since, toVersion: since, changes: [] };
      return { json: signer.changes(body, list === 'health' ? 1 : 0, CP, Date.now(), keyId) };
    });
  }
  server
    .route('POST', '/heartbeat', () => ({
      json: {
        serverTime: Date.now(),
        checkpoint: CHECKPOINT,
        checkpointSignature: signer.checkpointSignature(CHECKPOINT),
        officersVersion: 0,
        listSigningKeys: [signer.key],
        listKeyId: scope.current,
      },
    }))
    .route('GET', '/officers', () => ({ json: signer.roster(CP, { version: 0, officers: [] }) }))
    .route('POST', '/scans', (req) => ({
      json: { ackedThrough: (req.body as { records: { seq: number }[] }).records.at(-1)?.seq ?? 0 },
    }));
}

/**
 * A lane enrolled with key 1 of the scope (`legacy`: with key 0 and no scan seal key, as
 * enrolled before key scopes), its secrets sealed with the file key store.
 */
async function openLane(heartbeatMs = 3_600_000, legacy = false): Promise<LaneAgent> {
  const credentials: LaneCredentials = {
    serverUrl: server.url,
    kioskId: 'k-rot',
    token: 'lane-token',
    listKey: scope.key(legacy ? 0 : 1).toString('base64'),
    ...(!legacy && { listKeyId: 1, scanSealKey: scope.seal.publicKey }),
    checkpoint: CHECKPOINT,
    listSigningKeys: [signer.key],
  };
  if (!LaneVault.exists(dir)) {
    const created = await LaneVault.create(dir, insecureFileKeyStore(dir), credentials);
    expect(created.ok).toBe(true);
  }
  agent = await LaneAgent.open({
    dataDir: dir,
    keyStore: insecureFileKeyStore(dir),
    scanners: [],
    logger: pino({ level: 'silent' }),
    sync: { heartbeatMs, pollMs: 3_600_000, uploadIdleMs: 20, retry: { baseMs: 40, capMs: 200 } },
  });
  await agent.start();
  return agent;
}

/** Both lists held at VERSION, keyed with `keyId`. */
function keyedWith(lane: LaneAgent, keyId: number): boolean {
  return (['health', 'whitelist'] as const).every(
    (l) => lane.store.listState(l).version === VERSION && lane.store.listKeyId(l) === keyId,
  );
}

/** The list keys the vault on disk holds (opened again, as a restart would). */
async function vaultKeys(): Promise<{ newest: number; older: number[]; listKey: string }> {
  const opened = await LaneVault.open(dir, insecureFileKeyStore(dir));
  if (!opened.ok) throw new Error(opened.error.message);
  const c = opened.value.credentials;
  return { newest: c.listKeyId ?? 0, older: (c.olderListKeys ?? []).map((k) => k.keyId), listKey: c.listKey };
}

/** Every form of a key a reader of the data folder must not find. */
function keyForms(key: Buffer): Buffer[] {
  return [key, ...['base64', 'base64url', 'hex'].map((e) => Buffer.from(key.toString(e as BufferEncoding)))];
}

/** The files of the data folder (lane.db and its -wal/-shm included) holding any form of `key`. */
function filesHolding(key: Buffer): string[] {
  const forms = keyForms(key);
  return readdirSync(dir).filter((name) => {
    const bytes = readFileSync(join(dir, name));
    return forms.some((f) => bytes.includes(f));
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-key-rotation-'));
  server = await FakeSyncServer.start();
  scope = new FakeKeyScope(1);
  signer = TestListSigner.create();
  agent = null;
  holdSnapshots = null;
  routeServer();
});

afterEach(async () => {
  await agent?.stop();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a lane whose key scope rotates its list key', () => {
  it('starts keyed with key 1 and decides the F0 red, a clean ID green', async () => {
    const lane = await openLane();
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    expect(lane.submit(F0)).toMatchObject({ decision: 'red', reasons: ['health_blocked'] });
    expect(lane.submit(CLEAN)).toMatchObject({ decision: 'green' });
    // Changes are asked for with the key the list is keyed with.
    await lane.syncListsNow();
    expect(server.calls('GET', '/lists/health/changes').at(-1)?.query.get('keyId')).toBe('1');
  });

  it('heartbeat listKeyId: fetches the key, re-keys both lists; the vault then holds only the new key', async () => {
    const lane = await openLane(100);
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    scope.rotate();
    await expect.poll(() => keyedWith(lane, 2), { timeout: 5000 }).toBe(true);
    expect(server.calls('GET', '/list-key').length).toBeGreaterThanOrEqual(1);
    expect(lane.submit(F0)).toMatchObject({ decision: 'red', reasons: ['health_blocked'] });
    expect(lane.submit(CLEAN)).toMatchObject({ decision: 'green' });
    await expect
      .poll(async () => vaultKeys())
      .toEqual({
        newest: 2,
        older: [],
        listKey: scope.key(2).toString('base64'),
      });
  });

  it('list-key push: fetches the key at once, re-keys both lists and drops the old key', async () => {
    const lane = await openLane();
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    await expect.poll(() => server.streams()).toBe(1);
    scope.rotate();
    server.push('list-key', { keyId: 2 });
    await expect.poll(() => keyedWith(lane, 2)).toBe(true);
    expect(lane.submit(F0)).toMatchObject({ decision: 'red' });
    expect((await vaultKeys()).older).toEqual([]);
  });

  it('changes answered 410 list_key_rotated: fetches the key first, then a snapshot keyed with it', async () => {
    const lane = await openLane();
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    scope.rotate();
    const from = server.requests.length;
    expect(await lane.syncListsNow()).toEqual([true, true]);
    expect(keyedWith(lane, 2)).toBe(true);
    const after = server.requests
      .slice(from)
      .map((r) => `${r.path}${r.query.has('keyId') ? `?keyId=${r.query.get('keyId')}` : ''}`);
    // The 410 to the changes asked with key 1 leads to /list-key before any snapshot is asked for.
    const refused = after.indexOf('/lists/health/changes?keyId=1');
    const keyFetch = after.indexOf('/list-key');
    const snapshot = after.indexOf('/lists/health/snapshot');
    expect(refused).toBeGreaterThanOrEqual(0);
    expect(keyFetch).toBeGreaterThan(refused);
    expect(snapshot).toBeGreaterThan(keyFetch);
    expect(lane.submit(F0)).toMatchObject({ decision: 'red' });
    expect(await vaultKeys()).toMatchObject({ newest: 2, older: [] });
  });

  it('a snapshot keyed with a key the lane lacks: fetches that key before swapping the list in', async () => {
    const lane = await openLane();
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    scope.rotate();
    // The server has dropped the delta (a generic 410): the lane takes a snapshot, keyed with key 2.
    server.route('GET', '/lists/health/changes', () => ({
      status: 410,
      json: { error: 'version_too_old', message: 'no delta from that version' },
    }));
    const keyFetches = server.calls('GET', '/list-key').length;
    expect(lane.store.listKeyId('health')).toBe(1);
    await lane.syncListsNow();
    await expect.poll(() => keyedWith(lane, 2)).toBe(true);
    expect(server.calls('GET', '/list-key').length).toBeGreaterThan(keyFetches);
    expect(lane.submit(F0)).toMatchObject({ decision: 'red' });
  });

  it('keeps deciding with the old list and key while the new snapshot downloads, then with the new', async () => {
    const lane = await openLane();
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    await expect.poll(() => server.streams()).toBe(1);
    let release: () => void = () => undefined;
    holdSnapshots = new Promise((resolve) => {
      release = resolve;
    });
    const snapshotsBefore = server.calls('GET', '/lists/health/snapshot').length;
    scope.rotate();
    server.push('list-key', { keyId: 2 });
    // The new key is held (sealed) and the new snapshot asked for, not yet answered.
    await expect.poll(() => server.calls('GET', '/lists/health/snapshot').length).toBe(snapshotsBefore + 1);
    await expect.poll(async () => (await vaultKeys()).newest).toBe(2);
    expect((await vaultKeys()).older).toEqual([1]);
    expect(lane.store.listKeyId('health')).toBe(1);
    expect(lane.submit(F0)).toMatchObject({ decision: 'red', reasons: ['health_blocked'] });
    expect(lane.submit(CLEAN)).toMatchObject({ decision: 'green' });

    release();
    await expect.poll(() => keyedWith(lane, 2)).toBe(true);
    expect(lane.submit(F0)).toMatchObject({ decision: 'red', reasons: ['health_blocked'] });
    expect(lane.submit(CLEAN)).toMatchObject({ decision: 'green' });
    await expect
      .poll(async () => vaultKeys())
      .toEqual({
        newest: 2,
        older: [],
        listKey: scope.key(2).toString('base64'),
      });
  });

  it('a key fetch that fails keeps the old key and list deciding, retries with back-off, then rotates', async () => {
    const lane = await openLane();
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    await expect.poll(() => server.streams()).toBe(1);
    let failing = true;
    server.route('GET', '/list-key', () =>
      failing
        ? { status: 503, json: { error: 'unavailable', message: 'try later' } }
        : { json: scope.answer() },
    );
    scope.rotate();
    server.push('list-key', { keyId: 2 });
    // Retried, each time refused; meanwhile the 410 to changes and the snapshot keyed with key 2
    // (which the lane cannot fetch) leave the old list in place.
    await expect
      .poll(() => server.calls('GET', '/list-key').length, { timeout: 5000 })
      .toBeGreaterThanOrEqual(3);
    await lane.syncListsNow();
    expect(keyedWith(lane, 1)).toBe(true);
    expect(lane.submit(F0)).toMatchObject({ decision: 'red', reasons: ['health_blocked'] });
    expect(await vaultKeys()).toMatchObject({ newest: 1, older: [] });

    failing = false;
    await expect.poll(() => keyedWith(lane, 2), { timeout: 5000 }).toBe(true);
    expect(lane.submit(F0)).toMatchObject({ decision: 'red' });
    expect(await vaultKeys()).toMatchObject({ newest: 2, older: [] });
  });

  it('an urgent push keyed with another key than the list is not applied; the list is fetched instead', async () => {
    const lane = await openLane();
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    await expect.poll(() => server.streams()).toBe(1);
    // Pushed keyed with key 7 (a scope's key this lane's list is not keyed with), signed for it.
    const pushed = scope.subjectKey(CLEAN);
    const change = {
      key: subjectKeyToHex(pushed),
      op: 'put' as const,
      entry: { status: 'F0' as const, since: null, until: null },
    };
    const changesBefore = server.calls('GET', '/lists/health/changes').length;
    server.push('urgent', signer.urgent(VERSION, VERSION + 1, [change], Date.now(), 7));
    await expect
      .poll(() => server.calls('GET', '/lists/health/changes').length)
      .toBeGreaterThan(changesBefore);
    expect(lane.store.lookupHealth(pushed)).toBeNull();
    // The same push keyed with the list's key is applied.
    server.push('urgent', signer.urgent(VERSION, VERSION + 1, [change], Date.now(), 1));
    await expect.poll(() => lane.store.lookupHealth(pushed)?.status).toBe('F0');
  });

  it('seals scan subjects to the scan seal key: subjectSealed, no subjectKey', async () => {
    const lane = await openLane();
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    const decision = lane.submit(F0);
    const record = lane.store.findRecord(decision.scanId ?? '') as ScanRecord | null;
    expect(record?.subjectKey).toBeNull();
    expect(isSealedSubjectText(record?.subjectSealed ?? '')).toBe(true);
  });

  it('no list key, old or new, reaches lane.db or any plain file of the data folder', async () => {
    const lane = await openLane();
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    lane.submit(F0);
    scope.rotate();
    await lane.syncListsNow();
    await expect.poll(() => keyedWith(lane, 2)).toBe(true);
    lane.submit(F0);
    await lane.stop();
    agent = null;
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['lane.db', 'lane-secrets.enc']));
    expect(filesHolding(scope.key(1))).toEqual([]);
    expect(filesHolding(scope.key(2))).toEqual([]);
  });

  it('a restart mid-rotation keeps the old key for the list still keyed with it, then finishes', async () => {
    const lane = await openLane();
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    await expect.poll(() => server.streams()).toBe(1);
    holdSnapshots = new Promise(() => undefined);
    scope.rotate();
    server.push('list-key', { keyId: 2 });
    await expect.poll(async () => (await vaultKeys()).newest).toBe(2);
    await lane.stop();
    agent = null;

    holdSnapshots = null;
    expect(await vaultKeys()).toMatchObject({ newest: 2, older: [1] });
    const again = await openLane();
    expect(again.store.listKeyId('health')).toBe(1);
    expect(again.submit(F0)).toMatchObject({ decision: 'red' });
    await expect.poll(() => keyedWith(again, 2)).toBe(true);
    expect(again.submit(F0)).toMatchObject({ decision: 'red' });
    await expect.poll(async () => (await vaultKeys()).older).toEqual([]);
  });

  it('a lane enrolled before key scopes (key 0, no seal key) moves to its scope key and starts sealing', async () => {
    scope = new FakeKeyScope(0);
    scope.serve(server);
    const lane = await openLane(100, true);
    await expect.poll(() => server.calls('POST', '/heartbeat').length).toBeGreaterThanOrEqual(1);
    await lane.syncListsNow();
    const before = lane.submit(F0);
    expect(before).toMatchObject({ decision: 'red' });
    // The key-0 answers name no key (as servers before key scopes): the subject key is uploaded.
    expect(server.calls('GET', '/lists/health/snapshot')[0]?.path).toBe('/lists/health/snapshot');
    const oldRecord = lane.store.findRecord(before.scanId ?? '') as ScanRecord | null;
    expect(oldRecord?.subjectKey).toBe(subjectKeyToHex(scope.subjectKey(F0, 0)));
    expect(oldRecord?.subjectSealed).toBeNull();

    scope.rotate();
    await expect.poll(() => keyedWith(lane, 1), { timeout: 5000 }).toBe(true);
    const after = lane.submit(F0);
    expect(after).toMatchObject({ decision: 'red' });
    const newRecord = lane.store.findRecord(after.scanId ?? '') as ScanRecord | null;
    expect(newRecord?.subjectKey).toBeNull();
    expect(isSealedSubjectText(newRecord?.subjectSealed ?? '')).toBe(true);
    expect(await vaultKeys()).toMatchObject({ newest: 1, older: [] });
  });

  it('a new snapshot that fails is retried with back-off; the old list decides until it is whole', async () => {
    const lane = await openLane();
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    await expect.poll(() => server.streams()).toBe(1);
    let failing = true;
    let failures = 0;
    server.route('GET', '/lists/health/snapshot', () => {
      if (failing) {
        failures++;
        return { status: 503, json: { error: 'unavailable', message: 'try later' } };
      }
      return snapshot('health');
    });
    scope.rotate();
    server.push('list-key', { keyId: 2 });
    // Asked again after each failure, with nothing but the back-off to wake it.
    await expect.poll(() => failures, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    expect(server.calls('GET', '/list-key')).toHaveLength(1);
    expect(lane.store.listKeyId('health')).toBe(1);
    expect(lane.submit(F0)).toMatchObject({ decision: 'red', reasons: ['health_blocked'] });
    failing = false;
    await expect.poll(() => keyedWith(lane, 2), { timeout: 5000 }).toBe(true);
    expect(lane.submit(F0)).toMatchObject({ decision: 'red', reasons: ['health_blocked'] });
    await expect.poll(async () => (await vaultKeys()).older).toEqual([]);
  });

  it('a list keyed with a key the vault does not hold is emptied at start, never looked up with another key', async () => {
    const first = await openLane();
    await expect.poll(() => keyedWith(first, 1)).toBe(true);
    await first.stop();
    agent = null;
    // The vault now holds another key only (say, sealed again by hand after a repair).
    const opened = await LaneVault.open(dir, insecureFileKeyStore(dir));
    if (!opened.ok) throw new Error(opened.error.message);
    expect(
      opened.value.update({
        ...opened.value.credentials,
        listKey: scope.key(scope.rotate()).toString('base64'),
        listKeyId: 2,
      }).ok,
    ).toBe(true);
    holdSnapshots = new Promise(() => undefined);
    const lane = await openLane();
    expect(lane.store.listState('health')).toEqual({ version: 0, syncedAt: null });
    expect(lane.store.countEntries('health')).toBe(0);
    expect(lane.submit(F0).decision).not.toBe('green');
  });

  it('a delta keyed with another key than the one asked for is not applied: the key, then a snapshot', async () => {
    const lane = await openLane();
    await expect.poll(() => keyedWith(lane, 1)).toBe(true);
    scope.rotate();
    // A server that answers changes asked with key 1 keyed with its current key (a new entry).
    const listed = scope.subjectKey(CLEAN);
    server.route('GET', '/lists/health/changes', (req) => {
      const since = Number(req.query.get('since'));
      if (req.query.get('keyId') !== '1') {
        const none = { list: 'health' as const, fromVersion: since, toVersion: since, changes: [] };
        return { json: signer.changes(none, 1, CP, Date.now(), scope.current) };
      }
      const change = {
        key: subjectKeyToHex(listed),
        op: 'put' as const,
        entry: { status: 'F0' as const, since: null, until: null },
      };
      const body = { list: 'health' as const, fromVersion: since, toVersion: since + 1, changes: [change] };
      return { json: signer.changes(body, 2, CP, Date.now(), scope.current) };
    });
    expect(await lane.syncListsNow()).toEqual([true, true]);
    expect(server.calls('GET', '/lists/health/changes').some((r) => r.query.get('keyId') === '1')).toBe(true);
    expect(keyedWith(lane, 2)).toBe(true);
    expect(lane.store.lookupHealth(listed)).toBeNull();
    expect(lane.submit(F0)).toMatchObject({ decision: 'red' });
  });
});
