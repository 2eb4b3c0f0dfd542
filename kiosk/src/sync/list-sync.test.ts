import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeSnapshot,
  LIST_KEY_ID_HEADER,
  LIST_SIGNATURE_HEADER,
  LIST_VERSION_HEADER,
  subjectKeyToHex,
  type HealthClass,
  type SnapshotEntry,
  type WhitelistClass,
} from '@checkpoint-lane/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LaneStore } from '../store/lane-store.js';
import { FakeSyncServer, type FakeAnswer, type FakeRequest } from './fake-sync-server.testkit.js';
import { LinkState } from './link-state.js';
import { TestListSigner } from './list-signer.testkit.js';
import { ListSync } from './list-sync.js';
import { ListRefusals, ListTrust } from './list-trust.js';
import { cleanupAfterEach } from './sync-fixtures.testkit.js';

const logger = pino({ level: 'silent' });
const CP = 'CP-1';
const NOW = 1_700_000_000_000;
TestListSigner.issuedAt = () => NOW;

const cleanups = cleanupAfterEach();

/** The server's signing key in the running test (made by `setup`, pinned by its lane). */
let signer: TestListSigner;

/** A list sync on a real store (a file in a temp dir) against a real loopback server. */
async function setup() {
  const server = await FakeSyncServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'list-sync-'));
  const store = LaneStore.open(join(dir, 'lane.db'));
  const link = new LinkState({ logger });
  link.start();
  let applied = 0;
  signer = TestListSigner.create();
  const trust = new ListTrust({ settings: store, kioskId: 'k1', enrolled: [signer.key], logger });
  const refusals = new ListRefusals();
  const lists = new ListSync({
    api: server.api(),
    store,
    link,
    logger,
    clock: () => NOW,
    checkpointId: () => CP,
    onApplied: () => {
      applied++;
    },
    trust,
    refusals,
  });
  cleanups.push(async () => {
    link.stop();
    await lists.settled();
    store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, store, link, lists, signer, refusals, applied: () => applied };
}

function healthSnapshot(version: number, entries: [bigint, HealthClass][]): FakeAnswer {
  const classes = entries.map(([, c]) => c);
  const rows: SnapshotEntry[] = entries.map(([key], classIndex) => ({ key, classIndex }));
  const header = { list: 'health', version, count: rows.length, checkpointId: '', classes } as const;
  return signer.snapshot('health', version, encodeSnapshot(header, rows), rows.length, CP);
}

function whitelistSnapshot(
  version: number,
  checkpointId: string,
  entries: [bigint, WhitelistClass][],
): FakeAnswer {
  const classes = entries.map(([, c]) => c);
  const rows: SnapshotEntry[] = entries.map(([key], classIndex) => ({ key, classIndex }));
  const header = { list: 'whitelist', version, count: rows.length, checkpointId, classes } as const;
  // The lane holds the entries valid here or everywhere.
  const held = entries.filter(([, c]) => c.scope !== 'elsewhere').length;
  return signer.snapshot('whitelist', version, encodeSnapshot(header, rows), held, checkpointId);
}

const F0: HealthClass = { status: 'F0', since: 1000, until: null };
const F1: HealthClass = { status: 'F1', since: null, until: 9000 };
const hex = subjectKeyToHex;

describe('ListSync', () => {
  it('takes a snapshot when it holds no version, then the changes since its version', async () => {
    const { server, store, link, lists, applied } = await setup();
    server.route('GET', '/lists/health/snapshot', () =>
      healthSnapshot(3, [
        [-(2n ** 63n), F1],
        [1n, F0],
        [5n, F1],
      ]),
    );
    expect(await lists.sync('health')).toBe(true);
    expect(store.listState('health')).toEqual({ version: 3, syncedAt: NOW });
    expect(store.lookupHealth(1n)).toEqual({ status: 'F0', since: 1000, until: null });
    expect(store.lookupHealth(-(2n ** 63n))?.status).toBe('F1');
    expect(link.online()).toBe(true);
    expect(applied()).toBe(1);

    server.route('GET', '/lists/health/changes', () => ({
      json: signer.changes(
        {
          list: 'health',
          fromVersion: 3,
          toVersion: 4,
          changes: [
            { key: hex(5n), op: 'delete' },
            { key: hex(7n), op: 'put', entry: { status: 'F0', since: null, until: null } },
          ],
        },
        3,
        CP,
      ),
    }));
    expect(await lists.sync('health')).toBe(true);
    expect(server.calls('GET', '/lists/health/changes')[0]?.query.get('since')).toBe('3');
    expect(store.lookupHealth(5n)).toBeNull();
    expect(store.lookupHealth(7n)).toEqual({ status: 'F0', since: null, until: null });
    expect(store.listState('health').version).toBe(4);
    expect(applied()).toBe(2);

    // Nothing new: the list is marked synced, nothing applied.
    server.route('GET', '/lists/health/changes', () => ({
      json: signer.changes({ list: 'health', fromVersion: 4, toVersion: 4, changes: [] }, 3, CP),
    }));
    expect(await lists.sync('health')).toBe(true);
    expect(applied()).toBe(2);
  });

  it('keeps only whitelist entries valid here, from a snapshot and from a delta', async () => {
    const { server, store, lists } = await setup();
    server.route('GET', '/lists/whitelist/snapshot', () =>
      whitelistSnapshot(2, CP, [
        [1n, { category: 'shipper', scope: 'everywhere', validFrom: 10, validUntil: 20 }],
        [2n, { category: 'permit', scope: 'here', validFrom: null, validUntil: null }],
        [3n, { category: 'official', scope: 'elsewhere', validFrom: null, validUntil: null }],
      ]),
    );
    expect(await lists.sync('whitelist')).toBe(true);
    expect(store.countEntries('whitelist')).toBe(2);
    expect(store.lookupWhitelist(1n)).toEqual({
      category: 'shipper',
      validFrom: 10,
      validUntil: 20,
      checkpoints: null,
    });
    expect(store.lookupWhitelist(2n)?.checkpoints).toBeNull();
    expect(store.lookupWhitelist(3n)).toBeNull();

    // An entry moved to another checkpoint is removed here.
    server.route('GET', '/lists/whitelist/changes', () => ({
      json: signer.changes(
        {
          list: 'whitelist',
          fromVersion: 2,
          toVersion: 3,
          changes: [
            {
              key: hex(1n),
              op: 'put',
              entry: { category: 'shipper', validFrom: null, validUntil: null, checkpoints: ['CP-9'] },
            },
          ],
        },
        1,
        CP,
      ),
    }));
    expect(await lists.sync('whitelist')).toBe(true);
    expect(store.lookupWhitelist(1n)).toBeNull();
    expect(store.listState('whitelist').version).toBe(3);
  });

  it('takes a snapshot when the server has no delta from its version, and refuses one made for another checkpoint', async () => {
    const { server, store, link, lists } = await setup();
    server.route('GET', '/lists/whitelist/snapshot', () =>
      whitelistSnapshot(2, CP, [
        [1n, { category: 'shipper', scope: 'here', validFrom: null, validUntil: null }],
      ]),
    );
    await lists.sync('whitelist');
    server.route('GET', '/lists/whitelist/changes', () => ({
      status: 410,
      json: { error: 'gone', message: 'history pruned' },
    }));
    server.route('GET', '/lists/whitelist/snapshot', () =>
      whitelistSnapshot(9, 'CP-2', [
        [4n, { category: 'permit', scope: 'here', validFrom: null, validUntil: null }],
      ]),
    );
    expect(await lists.sync('whitelist')).toBe(false);
    // Signed for CP-2: the signature does not verify for this lane's checkpoint.
    expect(link.status().lastError).toMatch(/snapshot of whitelist refused \(bad_signature\)/);
    expect(store.listState('whitelist').version).toBe(2);
    expect(store.lookupWhitelist(1n)).not.toBeNull();
    expect(store.lookupWhitelist(4n)).toBeNull();
  });

  it('rejects a malformed delta whole and keeps the list as it was', async () => {
    const { server, store, link, lists } = await setup();
    server.route('GET', '/lists/health/snapshot', () => healthSnapshot(1, [[1n, F0]]));
    await lists.sync('health');
    server.route('GET', '/lists/health/changes', () => ({
      json: signer.changes(
        {
          list: 'health',
          fromVersion: 1,
          toVersion: 2,
          changes: [
            { key: hex(1n), op: 'delete' },
            { key: hex(2n), op: 'put', entry: { status: 'F9', since: null, until: null } },
          ],
        },
        1,
        CP,
      ),
    }));
    expect(await lists.sync('health')).toBe(false);
    expect(link.status().lastError).toBe('malformed health delta from the server');
    expect(store.lookupHealth(1n)).not.toBeNull();
    expect(store.listState('health').version).toBe(1);
  });

  it('overlays urgent health entries at once without moving the version, unless it holds them already', async () => {
    const { server, store, lists } = await setup();
    server.route('GET', '/lists/health/snapshot', () => healthSnapshot(3, [[1n, F0]]));
    await lists.sync('health');
    const heldWhenFetched: (string | undefined)[] = [];
    server.route('GET', '/lists/health/changes', () => {
      heldWhenFetched.push(store.lookupHealth(9n)?.status);
      return { json: signer.changes({ list: 'health', fromVersion: 3, toVersion: 3, changes: [] }, 1, CP) };
    });

    const f0 = (key: bigint) => ({
      key: hex(key),
      op: 'put' as const,
      entry: { status: 'F0', since: null, until: null },
    });
    await lists.urgent(signer.urgent(3, 4, [f0(9n)]));
    expect(store.lookupHealth(9n)?.status).toBe('F0');
    expect(store.listState('health').version).toBe(3);
    await expect.poll(() => server.calls('GET', '/lists/health/changes').length).toBe(1);
    expect(heldWhenFetched).toEqual(['F0']); // overlaid before the delta was fetched
    // Held ahead of version 4: the count above the signed one (1) is not a mismatch.
    expect(store.countEntries('health')).toBe(2);
    await lists.settled();
    expect(server.calls('GET', '/lists/health/snapshot')).toHaveLength(1);

    await lists.urgent(signer.urgent(2, 3, [f0(10n)]));
    expect(store.lookupHealth(10n)).toBeNull();
  });

  it('coalesces concurrent syncs of a list and syncs once more when asked meanwhile', async () => {
    const { server, store, lists } = await setup();
    server.route('GET', '/lists/health/snapshot', () => healthSnapshot(1, [[1n, F0]]));
    await lists.sync('health');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let version = 1;
    server.route('GET', '/lists/health/changes', async () => {
      await gate;
      return {
        json: signer.changes(
          { list: 'health', fromVersion: version, toVersion: version, changes: [] },
          1,
          CP,
        ),
      };
    });
    const runs = [lists.sync('health'), lists.sync('health'), lists.sync('health')];
    await expect.poll(() => server.calls('GET', '/lists/health/changes').length).toBe(1);
    release();
    expect(await Promise.all(runs)).toEqual([true, true, true]);
    expect(server.calls('GET', '/lists/health/changes')).toHaveLength(2);
    version = store.listState('health').version;

    lists.versionSeen('health', 1); // not behind: nothing fetched
    lists.versionSeen('health', 2);
    await expect.poll(() => server.calls('GET', '/lists/health/changes').length).toBe(3);
  });

  it('refuses a snapshot whose x-list-key-id is not a key id, and one keyed with a key it cannot fetch', async () => {
    const { server, store, lists } = await setup();
    server.route('GET', '/lists/health/snapshot', () => healthSnapshot(3, [[1n, F0]]));
    expect(await lists.sync('health')).toBe(true);
    for (const bad of ['-1', '1.5', 'k1', '99999999999']) {
      server.route('GET', '/lists/health/snapshot', () => {
        const answer = healthSnapshot(4, [[2n, F0]]);
        return { ...answer, headers: { ...answer.headers, [LIST_KEY_ID_HEADER]: bad } };
      });
      server.route('GET', '/lists/health/changes', () => ({
        status: 410,
        json: { error: 'gone', message: 'gone' },
      }));
      expect(await lists.sync('health')).toBe(false);
      expect(store.listState('health').version).toBe(3);
    }
    // A well-formed id of a key this lane (key 0 only) does not hold: refused, the list kept.
    server.route('GET', '/lists/health/snapshot', () => {
      const answer = healthSnapshot(4, [[2n, F0]]);
      return { ...answer, headers: { ...answer.headers, [LIST_KEY_ID_HEADER]: '5' } };
    });
    expect(await lists.sync('health')).toBe(false);
    expect(store.listState('health').version).toBe(3);
    expect(store.listKeyId('health')).toBe(0);
    expect(store.lookupHealth(1n)?.status).toBe('F0');
    expect(store.lookupHealth(2n)).toBeNull();
  });

  it('reports an unreachable server to the link and keeps the list', async () => {
    const { server, store, link, lists } = await setup();
    server.route('GET', '/lists/health/snapshot', () => healthSnapshot(1, [[1n, F0]]));
    await lists.sync('health');
    await server.close();
    expect(await lists.sync('health')).toBe(false);
    expect(link.status().online).toBe(false);
    expect(link.status().lastError).toMatch(/^changes health: /);
    expect(store.lookupHealth(1n)).not.toBeNull();
  });
});

/** `n` health entries (keys 1..n, F0 and F1 taking turns). */
const manyHealth = (n: number): [bigint, HealthClass][] =>
  Array.from({ length: n }, (_, i) => [BigInt(i + 1), i % 2 ? F0 : F1]);

/**
 * Serves a health snapshot the way a current server does: `HEAD …/snapshot` with the signed
 * headers and its versioned URL in `Content-Location`; its bytes by `GET` of that URL, with no
 * signature headers (as a cache in front may hold them: the lane signs nothing from there), and
 * from any byte with `Range` + `If-Range` (unless `ranges` is false: the whole again). `cut`: the
 * first GET sends only that many bytes, then drops the connection.
 */
function serveVersioned(
  server: FakeSyncServer,
  version: number,
  answer: FakeAnswer,
  o: { cut?: number; ranges?: boolean } = {},
): { path: string; etag: string; gets: FakeRequest[] } {
  const bytes = Buffer.from(answer.bytes ?? []);
  const etag = `"${createHash('sha256').update(bytes).digest('hex')}"`;
  const path = `/lists/health/snapshot/${version}/key/0`;
  server.route('HEAD', '/lists/health/snapshot', () => ({
    headers: { ...answer.headers, etag, 'content-location': `/api/v1/kiosk${path}` },
  }));
  const gets: FakeRequest[] = [];
  server.route('GET', path, (req) => {
    gets.push(req);
    const headers = { [LIST_VERSION_HEADER]: String(version), etag };
    const from = /^bytes=(\d+)-$/.exec(String(req.headers.range))?.[1];
    if (o.ranges !== false && from !== undefined && req.headers['if-range'] === etag)
      return {
        status: 206,
        bytes: bytes.subarray(Number(from)),
        headers: { ...headers, 'content-range': `bytes ${from}-${bytes.length - 1}/${bytes.length}` },
      };
    return { bytes, headers, ...(gets.length === 1 && o.cut !== undefined && { cutAfter: o.cut }) };
  });
  return { path, etag, gets };
}

describe('ListSync snapshots by their versioned URL', () => {
  it('takes the bytes from the versioned URL and the signature from the HEAD of the current one', async () => {
    const { server, store, lists } = await setup();
    const { gets } = serveVersioned(server, 3, healthSnapshot(3, manyHealth(50)));
    expect(await lists.sync('health')).toBe(true);
    expect(store.listState('health').version).toBe(3);
    expect(store.countEntries('health')).toBe(50);
    expect(gets).toHaveLength(1);
    expect(gets[0]?.headers[LIST_SIGNATURE_HEADER.toLowerCase()]).toBeUndefined();
    expect(server.calls('HEAD', '/lists/health/snapshot')).toHaveLength(1);
    expect(server.calls('GET', '/lists/health/snapshot')).toHaveLength(0);
  });

  it('resumes a download cut short from the byte it reached (Range + If-Range)', async () => {
    const { server, store, lists } = await setup();
    const answer = healthSnapshot(3, manyHealth(2_000));
    const size = answer.bytes?.length ?? 0;
    expect(size).toBeGreaterThan(4_000);
    const { gets, etag } = serveVersioned(server, 3, answer, { cut: 3_000 });
    expect(await lists.sync('health')).toBe(true);
    expect(gets.map((g) => [g.headers.range, g.headers['if-range']])).toEqual([
      [undefined, undefined],
      ['bytes=3000-', etag],
    ]);
    expect(store.listState('health').version).toBe(3);
    expect(store.countEntries('health')).toBe(2_000);
  });

  it('keeps the old list when a cut download cannot be resumed (the whole sent again)', async () => {
    const { server, store, link, lists } = await setup();
    serveVersioned(server, 1, healthSnapshot(1, [[1n, F0]]));
    expect(await lists.sync('health')).toBe(true);
    server.route('GET', '/lists/health/changes', () => ({
      status: 410,
      json: { error: 'gone', message: 'gone' },
    }));
    const { gets } = serveVersioned(server, 2, healthSnapshot(2, manyHealth(2_000)), {
      cut: 3_000,
      ranges: false,
    });
    expect(await lists.sync('health')).toBe(false);
    expect(gets).toHaveLength(2);
    expect(link.status().lastError).toMatch(/did not resume the snapshot from byte 3000 \(HTTP 200\)/);
    expect(store.listState('health').version).toBe(1);
    expect(store.lookupHealth(1n)?.status).toBe('F0');
  });

  it('falls back to GET …/snapshot when the versioned URL is unknown (404) or not named (an older server)', async () => {
    const { server, store, lists } = await setup();
    // Named, but this server has no such route: its 404, then the current snapshot.
    const v3 = healthSnapshot(3, [[1n, F0]]);
    server.route('HEAD', '/lists/health/snapshot', () => ({
      headers: { ...v3.headers, 'content-location': '/api/v1/kiosk/lists/health/snapshot/3/key/0' },
    }));
    server.route('GET', '/lists/health/snapshot', () => v3);
    expect(await lists.sync('health')).toBe(true);
    expect(store.listState('health').version).toBe(3);
    expect(server.calls('GET', '/lists/health/snapshot/3/key/0')).toHaveLength(1);
    expect(server.calls('GET', '/lists/health/snapshot')).toHaveLength(1);
    // A server that answers no HEAD (404, as the other tests' fake server does): the current snapshot.
    server.route('HEAD', '/lists/health/snapshot', () => ({ status: 404, json: { error: 'not_found' } }));
    server.route('GET', '/lists/health/changes', () => ({
      status: 410,
      json: { error: 'gone', message: 'gone' },
    }));
    server.route('GET', '/lists/health/snapshot', () => healthSnapshot(4, [[2n, F0]]));
    expect(await lists.sync('health')).toBe(true);
    expect(store.listState('health').version).toBe(4);
    expect(server.calls('GET', '/lists/health/snapshot')).toHaveLength(2);
  });

  it('asks the HEAD once more when the list moved on between it and the GET (410)', async () => {
    const { server, store, lists } = await setup();
    const v4 = serveVersioned(server, 4, healthSnapshot(4, [[2n, F1]]));
    // The first HEAD still names version 3, whose URL is gone by the time it is fetched.
    const v3 = healthSnapshot(3, [[1n, F0]]);
    let heads = 0;
    server.route('HEAD', '/lists/health/snapshot', () =>
      ++heads === 1
        ? { headers: { ...v3.headers, 'content-location': '/api/v1/kiosk/lists/health/snapshot/3/key/0' } }
        : {
            headers: {
              ...healthSnapshot(4, [[2n, F1]]).headers,
              etag: v4.etag,
              'content-location': `/api/v1/kiosk${v4.path}`,
            },
          },
    );
    server.route('GET', '/lists/health/snapshot/3/key/0', () => ({
      status: 410,
      json: { error: 'snapshot_version_gone', message: 'the list is at version 4' },
    }));
    expect(await lists.sync('health')).toBe(true);
    expect(store.listState('health').version).toBe(4);
    expect(store.lookupHealth(2n)?.status).toBe('F1');
    expect(heads).toBe(2);
    expect(server.calls('GET', '/lists/health/snapshot')).toHaveLength(0);
  });
});
