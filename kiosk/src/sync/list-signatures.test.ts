// The lane refuses list data that is not signed over exactly what it would hold: a snapshot or a
// delta with one byte changed, a valid signature over another version, scope or count, an
// unknown key; its old list keeps deciding. A count that differs after applying brings a fresh
// snapshot. Against a real loopback server and a real SQLite store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeSnapshot,
  LIST_SIGNATURE_HEADER,
  subjectKeyToHex,
  type HealthClass,
  type SnapshotEntry,
  type WhitelistClass,
  type WireChange,
} from '@checkpoint-lane/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LaneStore } from '../store/lane-store.js';
import { FakeSyncServer, type FakeAnswer } from './fake-sync-server.testkit.js';
import { LaneSync } from './lane-sync.js';
import { LinkState } from './link-state.js';
import { TestListSigner } from './list-signer.testkit.js';
import { ListSync } from './list-sync.js';
import { ListRefusals, ListTrust } from './list-trust.js';
import { cleanupAfterEach, OPEN_CHECKPOINT } from './sync-fixtures.testkit.js';

const logger = pino({ level: 'silent' });
const CP = 'CP-1';
const NOW = 1_700_000_000_000;
TestListSigner.issuedAt = () => NOW;
const hex = subjectKeyToHex;
const F0: HealthClass = { status: 'F0', since: null, until: null };

const cleanups = cleanupAfterEach();

async function setup(opts: { refreshKeys?: (trust: ListTrust) => Promise<void> } = {}) {
  const server = await FakeSyncServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'list-signatures-'));
  const store = LaneStore.open(join(dir, 'lane.db'));
  const link = new LinkState({ logger });
  link.start();
  const signer = TestListSigner.create();
  const trust = new ListTrust({ settings: store, kioskId: 'k1', enrolled: [signer.key], logger });
  const refusals = new ListRefusals();
  const refreshKeys = opts.refreshKeys;
  const lists = new ListSync({
    api: server.api(),
    store,
    link,
    logger,
    clock: () => NOW,
    checkpointId: () => CP,
    trust,
    refusals,
    ...(refreshKeys && { refreshKeys: () => refreshKeys(trust) }),
  });
  cleanups.push(async () => {
    link.stop();
    await lists.settled();
    store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, store, link, lists, signer, trust, refusals };
}

function healthBytes(version: number, keys: bigint[]): Uint8Array {
  const rows: SnapshotEntry[] = keys.map((key) => ({ key, classIndex: 0 }));
  return encodeSnapshot(
    { list: 'health', version, count: rows.length, checkpointId: '', classes: [F0] },
    rows,
  );
}

function whitelistBytes(version: number, checkpointId: string, keys: bigint[]): Uint8Array {
  const here: WhitelistClass = { category: 'permit', scope: 'here', validFrom: null, validUntil: null };
  const rows: SnapshotEntry[] = keys.map((key) => ({ key, classIndex: 0 }));
  return encodeSnapshot(
    { list: 'whitelist', version, count: rows.length, checkpointId, classes: [here] },
    rows,
  );
}

const put = (key: bigint, status = 'F0'): WireChange => ({
  key: hex(key),
  op: 'put',
  entry: { status, since: null, until: null },
});

/** A lane holding health entries 1 and 2 at version 3, from a signed snapshot. */
async function laneAtVersion3() {
  const t = await setup();
  t.server.route('GET', '/lists/health/snapshot', () =>
    t.signer.snapshot('health', 3, healthBytes(3, [1n, 2n]), 2, CP),
  );
  expect(await t.lists.sync('health')).toBe(true);
  expect(t.store.listState('health').version).toBe(3);
  return t;
}

/** The old list is still the one deciding: entries 1 and 2 at version 3, nothing else. */
function keepsOldList(store: LaneStore): void {
  expect(store.listState('health').version).toBe(3);
  expect(store.lookupHealth(1n)?.status).toBe('F0');
  expect(store.lookupHealth(2n)?.status).toBe('F0');
  expect(store.lookupHealth(7n)).toBeNull();
  expect(store.countEntries('health')).toBe(2);
}

describe('signed snapshots', () => {
  it('refuses a snapshot with one byte flipped and keeps the old list deciding', async () => {
    const { server, store, link, lists, signer, refusals } = await laneAtVersion3();
    server.route('GET', '/lists/health/changes', () => ({
      status: 410,
      json: { error: 'gone', message: 'pruned' },
    }));
    const answer = signer.snapshot('health', 4, healthBytes(4, [1n, 2n, 7n]), 3, CP);
    const bytes = Buffer.from(answer.bytes ?? []);
    // A byte of the last entry's key delta: the CRC would also catch it, the signature first.
    bytes[bytes.length - 6] = (bytes[bytes.length - 6] ?? 0) ^ 0x01;
    server.route('GET', '/lists/health/snapshot', () => ({ ...answer, bytes }));
    expect(await lists.sync('health')).toBe(false);
    keepsOldList(store);
    expect(refusals.report()).toEqual({
      count: 1,
      lastReason: 'bad_signature',
      lastList: 'health',
      lastAt: NOW,
    });
    expect(link.status().lastError).toBe(
      'snapshot of health refused (bad_signature); the old list keeps deciding',
    );
  });

  it('refuses a snapshot with a valid signature over another version, another count or no signature', async () => {
    const { server, store, lists, signer, refusals } = await laneAtVersion3();
    server.route('GET', '/lists/health/changes', () => ({
      status: 410,
      json: { error: 'gone', message: 'pruned' },
    }));
    const good = signer.snapshot('health', 4, healthBytes(4, [1n, 2n, 7n]), 3, CP);
    const headers = good.headers ?? {};
    // The server's genuine signature of version 5's bytes, on version 4's.
    const other = signer.snapshot('health', 5, healthBytes(5, [1n, 2n, 7n]), 3, CP).headers ?? {};
    const tries: FakeAnswer[] = [
      {
        ...good,
        headers: {
          ...headers,
          'x-list-version': '5',
          [LIST_SIGNATURE_HEADER]: other[LIST_SIGNATURE_HEADER] ?? '',
        },
      },
      { ...good, headers: { ...headers, [LIST_SIGNATURE_HEADER]: other[LIST_SIGNATURE_HEADER] ?? '' } },
      { ...good, headers: { ...headers, 'x-list-count': '2' } },
      { ...good, headers: { 'x-list-version': '4' } },
    ];
    for (const answer of tries) {
      server.route('GET', '/lists/health/snapshot', () => answer);
      expect(await lists.sync('health')).toBe(false);
      keepsOldList(store);
    }
    expect(refusals.report()).toMatchObject({ count: 4, lastReason: 'unsigned' });
    // The same snapshot, as signed, is taken.
    server.route('GET', '/lists/health/snapshot', () => good);
    expect(await lists.sync('health')).toBe(true);
    expect(store.listState('health').version).toBe(4);
    expect(store.lookupHealth(7n)?.status).toBe('F0');
  });

  it('refuses a whitelist signed for another checkpoint, and one that holds other than its signed count', async () => {
    const { server, store, lists, signer, refusals } = await setup();
    // Checkpoint CP-2's whitelist with CP-2's genuine signature.
    server.route('GET', '/lists/whitelist/snapshot', () =>
      signer.snapshot('whitelist', 2, whitelistBytes(2, 'CP-2', [1n]), 1, 'CP-2'),
    );
    expect(await lists.sync('whitelist')).toBe(false);
    expect(refusals.report()?.lastReason).toBe('bad_signature');
    // Signed for this lane, but it says 2 entries where the bytes hold 1.
    server.route('GET', '/lists/whitelist/snapshot', () =>
      signer.snapshot('whitelist', 2, whitelistBytes(2, CP, [1n]), 2, CP),
    );
    expect(await lists.sync('whitelist')).toBe(false);
    expect(refusals.report()).toMatchObject({
      count: 2,
      lastReason: 'count_mismatch',
      lastList: 'whitelist',
    });
    expect(store.listState('whitelist').version).toBe(0);
    expect(store.lookupWhitelist(1n)).toBeNull();
  });

  it('refuses data signed by a key it does not trust, before reading it', async () => {
    const { server, store, lists, refusals } = await laneAtVersion3();
    const stranger = TestListSigner.create();
    server.route('GET', '/lists/health/changes', () => ({
      status: 410,
      json: { error: 'gone', message: 'pruned' },
    }));
    server.route('GET', '/lists/health/snapshot', () =>
      stranger.snapshot('health', 4, healthBytes(4, [1n, 2n, 7n]), 3, CP),
    );
    expect(await lists.sync('health')).toBe(false);
    keepsOldList(store);
    expect(refusals.report()?.lastReason).toBe('unknown_key');
  });
});

describe('signed changes', () => {
  it('refuses a delta with one byte changed in an entry and keeps the old list deciding', async () => {
    const { server, store, lists, signer, refusals } = await laneAtVersion3();
    const signed = signer.changes(
      {
        list: 'health',
        fromVersion: 3,
        toVersion: 4,
        changes: [put(7n, 'F1'), { key: hex(2n), op: 'delete' }],
      },
      2,
      CP,
    );
    // F1 → F0 after signing: one byte of the answer.
    const tampered = JSON.stringify(signed).replace('"F1"', '"F0"');
    expect(tampered).not.toBe(JSON.stringify(signed));
    server.route('GET', '/lists/health/changes', () => ({ json: JSON.parse(tampered) as unknown }));
    expect(await lists.sync('health')).toBe(false);
    keepsOldList(store);
    expect(refusals.report()).toMatchObject({ count: 1, lastReason: 'bad_signature', lastList: 'health' });
    // As signed, it applies.
    server.route('GET', '/lists/health/changes', () => ({ json: signed }));
    expect(await lists.sync('health')).toBe(true);
    expect(store.lookupHealth(7n)?.status).toBe('F1');
    expect(store.lookupHealth(2n)).toBeNull();
    expect(store.listState('health').version).toBe(4);
  });

  it('refuses a valid signature over another version, scope or count, and an unsigned delta', async () => {
    const { server, store, lists, signer, refusals } = await laneAtVersion3();
    const body = { list: 'health' as const, fromVersion: 3, toVersion: 4, changes: [put(7n)] };
    const forV5 = signer.changes({ ...body, toVersion: 5 }, 3, CP);
    const whitelistSig = signer.changes({ ...body, list: 'whitelist' }, 3, CP);
    const tries: unknown[] = [
      { ...body, count: 3, signature: forV5.signature }, // genuine signature of 3 → 5
      { ...body, count: 3, signature: signer.changes({ ...body, fromVersion: 2 }, 3, CP).signature },
      { ...body, count: 3, signature: whitelistSig.signature }, // another list
      { ...body, count: 4, signature: signer.changes(body, 3, CP).signature }, // another count
      body, // unsigned
      { ...body, count: 3 },
    ];
    for (const json of tries) {
      server.route('GET', '/lists/health/changes', () => ({ json }));
      expect(await lists.sync('health')).toBe(false);
      keepsOldList(store);
    }
    expect(refusals.report()).toMatchObject({ count: tries.length, lastReason: 'unsigned' });
  });

  it('refuses a whitelist delta signed for another checkpoint', async () => {
    const { server, store, lists, signer, refusals } = await setup();
    server.route('GET', '/lists/whitelist/snapshot', () =>
      signer.snapshot('whitelist', 2, whitelistBytes(2, CP, [1n]), 1, CP),
    );
    expect(await lists.sync('whitelist')).toBe(true);
    const entry = { category: 'permit', validFrom: null, validUntil: null, checkpoints: ['CP-2'] };
    const change: WireChange = { key: hex(5n), op: 'put', entry };
    // CP-2's genuine delta: entry 5 is valid at CP-2 (its lanes then hold 2).
    server.route('GET', '/lists/whitelist/changes', () => ({
      json: signer.changes({ list: 'whitelist', fromVersion: 2, toVersion: 3, changes: [change] }, 2, 'CP-2'),
    }));
    expect(await lists.sync('whitelist')).toBe(false);
    expect(refusals.report()?.lastReason).toBe('bad_signature');
    expect(store.listState('whitelist').version).toBe(2);
  });

  it('takes a fresh snapshot when the list holds other than the signed count after applying', async () => {
    const { server, store, lists, signer, refusals } = await laneAtVersion3();
    // The server holds 1, 2, 7 and 8 at version 4; the delta from 3 names only 7 (the lane
    // missed 8 somewhere): 3 entries held, 4 signed.
    server.route('GET', '/lists/health/changes', () => ({
      json: signer.changes({ list: 'health', fromVersion: 3, toVersion: 4, changes: [put(7n)] }, 4, CP),
    }));
    server.route('GET', '/lists/health/snapshot', () =>
      signer.snapshot('health', 4, healthBytes(4, [1n, 2n, 7n, 8n]), 4, CP),
    );
    expect(await lists.sync('health')).toBe(true);
    expect(server.calls('GET', '/lists/health/snapshot')).toHaveLength(2);
    expect(store.lookupHealth(8n)?.status).toBe('F0');
    expect(store.countEntries('health')).toBe(4);
    expect(refusals.report()).toMatchObject({ count: 1, lastReason: 'count_mismatch' });

    // Once more within the wait: counted, no second snapshot.
    server.route('GET', '/lists/health/changes', () => ({
      json: signer.changes({ list: 'health', fromVersion: 4, toVersion: 4, changes: [] }, 5, CP),
    }));
    expect(await lists.sync('health')).toBe(true);
    expect(server.calls('GET', '/lists/health/snapshot')).toHaveLength(2);
    expect(refusals.report()?.count).toBe(2);
  });
});

describe('signed urgent pushes', () => {
  it('overlays a signed push, never an unsigned or tampered one', async () => {
    const { server, store, lists, signer, refusals } = await laneAtVersion3();
    server.route('GET', '/lists/health/changes', () => ({
      json: signer.changes({ list: 'health', fromVersion: 3, toVersion: 3, changes: [] }, 2, CP),
    }));
    const push = signer.urgent(3, 4, [put(9n)]);
    const { signature: _signature, ...unsigned } = push;
    await lists.urgent(unsigned);
    await lists.urgent({ ...push, changes: [put(10n)] });
    await lists.urgent({ ...push, toVersion: 5 });
    expect(store.lookupHealth(9n)).toBeNull();
    expect(store.lookupHealth(10n)).toBeNull();
    expect(refusals.report()).toMatchObject({ count: 3, lastReason: 'bad_signature' });
    await lists.urgent(push);
    expect(store.lookupHealth(9n)?.status).toBe('F0');
  });
});

describe('key rotation', () => {
  it('takes data signed by a rotated key once the key, endorsed by the pinned one, is learned', async () => {
    let advertised: Parameters<ListTrust['adopt']>[0] = [];
    const t = await setup({
      refreshKeys: async (trust) => {
        await Promise.resolve();
        trust.adopt(advertised);
      },
    });
    const { server, store, lists, signer, refusals } = t;
    const { keys, next } = signer.rotate(NOW, NOW + 3_600_000);
    server.route('GET', '/lists/health/snapshot', () =>
      next.snapshot('health', 3, healthBytes(3, [1n, 2n]), 2, CP),
    );
    // The server names the new key with an endorsement by a key the lane does not pin: refused.
    const impostor = TestListSigner.create().rotate(NOW, NOW + 1).keys[1];
    advertised = [{ ...impostor, id: next.key.id, publicKey: next.key.publicKey }];
    expect(await lists.sync('health')).toBe(false);
    expect(refusals.report()?.lastReason).toBe('unknown_key');
    expect(store.listState('health').version).toBe(0);
    // The real chain: learned, and the snapshot is taken.
    advertised = keys;
    expect(await lists.sync('health')).toBe(true);
    expect(store.listState('health').version).toBe(3);
    expect(t.trust.knows(next.key.id)).toBe(true);
  });
});

describe('a lane enrolled before lists were signed', () => {
  it('trusts the keys of its first heartbeat answer, then takes only what they sign', async () => {
    const server = await FakeSyncServer.start();
    const dir = mkdtempSync(join(tmpdir(), 'list-tofu-'));
    const store = LaneStore.open(join(dir, 'lane.db'));
    store.adoptEnrollment({ kioskId: 'old-lane', listKeyId: 'k', justEnrolled: false });
    const signer = TestListSigner.create();
    const { keys, next } = signer.rotate(NOW - 1000, NOW + 3_600_000);
    server
      .route('POST', '/heartbeat', () => ({
        json: { serverTime: NOW, checkpoint: OPEN_CHECKPOINT, officersVersion: 0, listSigningKeys: keys },
      }))
      .route('GET', '/lists/health/snapshot', () => next.snapshot('health', 2, healthBytes(2, [1n]), 1, CP))
      .route('GET', '/lists/whitelist/snapshot', () =>
        TestListSigner.create().snapshot('whitelist', 1, whitelistBytes(1, CP, [5n]), 1, CP),
      );
    const sync = new LaneSync({
      api: server.api(),
      store,
      logger,
      clock: () => NOW,
      checkpoint: () => OPEN_CHECKPOINT,
      devices: () => [],
      heartbeatMs: 3_600_000,
      pollMs: 3_600_000,
      retry: { baseMs: 10, capMs: 20 },
    });
    cleanups.push(async () => {
      await sync.stop();
      store.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    sync.start();
    // The health snapshot, signed by the rotated key of the chain the heartbeat named: taken.
    await expect.poll(() => store.listState('health').version).toBe(2);
    expect(store.lookupHealth(1n)?.status).toBe('F0');
    // The whitelist, signed by a key outside that chain: refused, and reported.
    await expect
      .poll(() =>
        server.calls('POST', '/heartbeat').some((r) => JSON.stringify(r.body).includes('unknown_key')),
      )
      .toBe(true);
    expect(store.listState('whitelist').version).toBe(0);
    expect(JSON.parse(store.getSetting('list_signing_keys') ?? '{}')).toMatchObject({ kioskId: 'old-lane' });
  });
});
