// The lane's pass directory sync against a real loopback HTTP server: taken only when a trusted
// list-signing key signed exactly it and it is not older than the one held; refused otherwise,
// leaving the directory held in force and logging a reason code (no pass id, no key).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSnapshot, parsePass, type PassDirectory } from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DecisionLoop } from '../agent/decision-loop.js';
import { createSubjectKeyer, singleKeyers } from '../agent/subject-keyer.js';
import { LaneStore } from '../store/lane-store.js';
import { FakeSyncServer, type FakeAnswer } from './fake-sync-server.testkit.js';
import { LaneSync } from './lane-sync.js';
import { LinkState } from './link-state.js';
import { ListTrust } from './list-trust.js';
import { TestListSigner } from './list-signer.testkit.js';
import { passDirectoryAnswer, TestPassKey } from './pass-fixtures.testkit.js';
import { PassSync, type PassDirectoryRefusal } from './pass-sync.js';
import { CLOSED_CHECKPOINT } from './sync-fixtures.testkit.js';

/** The server's list-signing key, pinned by the lane at enrollment. */
const signer = TestListSigner.create();
const PASS_KEY = TestPassKey.create(1, 1_000, null);
const NEXT_KEY = TestPassKey.create(2, 5_000, null);
const REVOKED_ID = '0123456789abcdef';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const server = await FakeSyncServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'pass-sync-'));
  const store = LaneStore.open(join(dir, 'lane.db'));
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(line) });
  const link = new LinkState({ logger, retry: { baseMs: 10, capMs: 20 } });
  link.start();
  const trust = new ListTrust({ settings: store, kioskId: 'k-1', enrolled: [signer.key], logger });
  const refused: PassDirectoryRefusal[] = [];
  let refreshes = 0;
  const passes = new PassSync({
    api: server.api(),
    store,
    trust,
    link,
    logger,
    clock: Date.now,
    refreshKeys: () => {
      refreshes++;
      return Promise.resolve();
    },
    onRefused: (reason) => refused.push(reason),
  });
  cleanups.push(async () => {
    link.stop();
    await passes.settled();
    store.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let answer: FakeAnswer = { status: 404, json: { error: 'not_found', message: 'no passes' } };
  server.route('GET', '/passes', () => answer);
  return {
    server,
    store,
    link,
    passes,
    logs,
    refused,
    refreshes: () => refreshes,
    answer: (a: FakeAnswer) => {
      answer = a;
    },
  };
}

const directory = (version: number, revoked: string[] = []): PassDirectory => ({
  version,
  keys: [PASS_KEY.key],
  revoked: revoked.map((passId) => ({ passId, until: Date.now() + 3_600_000 })),
});

describe('pass directory sync', () => {
  it('takes a directory signed by the pinned list-signing key, with the lane’s token, and keeps it across a reopen', async () => {
    const t = await setup();
    t.answer(passDirectoryAnswer(signer, directory(3, [REVOKED_ID])));
    expect(await t.passes.sync()).toBe(true);
    expect(t.server.calls('GET', '/passes')[0]?.headers.authorization).toBe('Bearer lane-token');
    const held = t.store.passDirectory();
    expect(held).toMatchObject({ version: 3, keys: [PASS_KEY.key] });
    expect([...held.revoked]).toEqual([REVOKED_ID]);
    // The same version again: nothing replaced, the sync time moves.
    expect(await t.passes.sync()).toBe(true);
    expect(t.store.passDirectory().revoked).toBe(held.revoked);
    expect(t.refused).toEqual([]);
    // A newer one (a rotation: a second key) replaces it whole.
    t.answer(passDirectoryAnswer(signer, { ...directory(4), keys: [PASS_KEY.key, NEXT_KEY.key] }));
    expect(await t.passes.sync()).toBe(true);
    expect(t.store.passDirectory()).toMatchObject({ version: 4, keys: [PASS_KEY.key, NEXT_KEY.key] });
    expect(t.store.passDirectory().revoked.size).toBe(0);
  });

  it('refuses a bad signature, keeping the old directory and logging only a reason code', async () => {
    const t = await setup();
    t.answer(passDirectoryAnswer(signer, directory(1)));
    await t.passes.sync();
    const other = TestListSigner.create();
    const cases: [FakeAnswer, PassDirectoryRefusal][] = [
      // Signed over another directory (a revocation removed in transit).
      [
        {
          ...passDirectoryAnswer(signer, directory(2, [REVOKED_ID])),
          json: directory(2),
        },
        'bad_signature',
      ],
      // Signed by a key the lane does not trust (after learning the server's keys once).
      [passDirectoryAnswer(other, directory(2)), 'unknown_key'],
      [passDirectoryAnswer(signer, directory(2), null), 'unsigned'],
      [passDirectoryAnswer(signer, directory(2), 'garbage'), 'bad_signature'],
    ];
    for (const [answer, reason] of cases) {
      t.answer(answer);
      expect(await t.passes.sync()).toBe(false);
      expect(t.refused.at(-1)).toBe(reason);
      expect(t.store.passDirectory()).toMatchObject({ version: 1, keys: [PASS_KEY.key] });
    }
    expect(t.refreshes()).toBe(1);
    expect(t.link.status().lastError).toMatch(/pass directory refused/);
    const refusals = t.logs.filter((l) => l.includes('pass directory refused'));
    expect(refusals).toHaveLength(cases.length);
    for (const line of refusals) {
      expect(JSON.parse(line)).toMatchObject({ level: 40, offered: 2, held: 1 });
      expect(line).not.toContain(REVOKED_ID);
      expect(line).not.toContain(PASS_KEY.key.publicKey);
    }
  });

  it('refuses an older version (a replayed directory) however well signed', async () => {
    const t = await setup();
    t.answer(passDirectoryAnswer(signer, directory(5, [REVOKED_ID])));
    await t.passes.sync();
    t.answer(passDirectoryAnswer(signer, directory(4)));
    expect(await t.passes.sync()).toBe(false);
    expect(t.refused).toEqual(['version_rollback']);
    expect(t.store.passDirectory().version).toBe(5);
    expect(t.store.passDirectory().revoked.has(REVOKED_ID)).toBe(true);
  });

  it('answers false and logs, never rejects, when fetching throws (callers do not await it)', async () => {
    const t = await setup();
    const throwing = new PassSync({
      api: {
        passes: () => Promise.reject(new Error('socket hang up')),
      },
      store: t.store,
      trust: new ListTrust({
        settings: t.store,
        kioskId: 'k-1',
        enrolled: [signer.key],
        logger: pino({ level: 'silent' }),
      }),
      link: t.link,
      logger: pino({ level: 'debug' }, { write: (line: string) => t.logs.push(line) }),
      clock: Date.now,
      refreshKeys: () => Promise.resolve(),
      onRefused: () => undefined,
    });
    await expect(throwing.sync()).resolves.toBe(false);
    expect(t.logs.join('')).toContain('pass directory sync failed');
    expect(t.store.passDirectory().version).toBe(0);
  });

  it('keeps what it holds when the server has no directory (404) or sends an invalid one', async () => {
    const t = await setup();
    expect(await t.passes.sync()).toBe(false);
    expect(t.store.passDirectory().version).toBe(0);
    expect(t.link.status().lastError).toBeNull();
    t.answer(passDirectoryAnswer(signer, directory(1)));
    await t.passes.sync();
    for (const bad of [
      { version: 2, keys: [{ ...PASS_KEY.key, keyId: 0 }], revoked: [] },
      { version: 2, keys: [], revoked: [{ passId: 'NOT-HEX', until: 1 }] },
      { version: -1, keys: [], revoked: [] },
      { keys: [] },
    ]) {
      t.answer({ json: bad, headers: { 'x-passes-signature': 'x' } });
      expect(await t.passes.sync()).toBe(false);
      expect(t.store.passDirectory().version).toBe(1);
    }
    expect(t.link.status().lastError).toMatch(/invalid pass directory/);
  });

  it('fetches when the server names a newer version, not an older or the same one', async () => {
    const t = await setup();
    t.answer(passDirectoryAnswer(signer, directory(2)));
    await t.passes.sync();
    const before = t.server.calls('GET', '/passes').length;
    t.passes.versionSeen(2);
    t.passes.versionSeen(1);
    await t.passes.settled();
    expect(t.server.calls('GET', '/passes')).toHaveLength(before);
    t.answer(passDirectoryAnswer(signer, directory(3, [REVOKED_ID])));
    t.passes.versionSeen(3);
    await expect.poll(() => t.store.passDirectory().version).toBe(3);
  });
});

describe('pass directory sync in the lane’s sync engine', () => {
  /** A whole LaneSync and a decision loop on one real store, against a loopback server. */
  async function lane() {
    const server = await FakeSyncServer.start();
    const snapshot = (list: 'health' | 'whitelist'): FakeAnswer =>
      signer.snapshot(
        list,
        1,
        encodeSnapshot(
          { list, version: 1, count: 0, checkpointId: list === 'health' ? '' : 'CP-1', classes: [] },
          [],
        ),
        0,
        'CP-1',
      );
    let answer = passDirectoryAnswer(signer, directory(1));
    server
      .route('GET', '/lists/health/snapshot', () => snapshot('health'))
      .route('GET', '/lists/whitelist/snapshot', () => snapshot('whitelist'))
      .route('GET', '/passes', () => answer)
      .route('POST', '/heartbeat', () => ({ status: 503, json: { error: 'busy', message: 'not now' } }));
    const dir = mkdtempSync(join(tmpdir(), 'pass-lane-'));
    const store = LaneStore.open(join(dir, 'lane.db'));
    const logger = pino({ level: 'silent' });
    const sync = new LaneSync({
      api: server.api(),
      store,
      logger,
      checkpoint: () => CLOSED_CHECKPOINT,
      devices: () => [],
      heartbeatMs: 3_600_000,
      pollMs: 3_600_000,
      listSigningKeys: [signer.key],
      retry: { baseMs: 10, capMs: 20 },
    });
    const loop = new DecisionLoop({
      store,
      keyers: singleKeyers(createSubjectKeyer(Buffer.alloc(32, 1))),
      checkpoint: () => CLOSED_CHECKPOINT,
      logger,
    });
    cleanups.push(async () => {
      await sync.stop();
      store.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    return {
      server,
      store,
      sync,
      scan: (text: string) => loop.handle({ text, source: 'stdin', device: 'stdin' }),
      answer: (a: FakeAnswer) => {
        answer = a;
      },
    };
  }

  it('fetches the directory when it starts; a revocation pushed by SSE makes the next scan of that pass red', async () => {
    const t = await lane();
    t.sync.start();
    await expect.poll(() => t.store.passDirectory().version).toBe(1);
    await expect.poll(() => t.sync.status().listVersions).toEqual({ health: 1, whitelist: 1 });
    await expect.poll(() => t.server.streams()).toBe(1);
    const text = PASS_KEY.issue('079201004568', Math.floor(Date.now() / 1000) * 1000 - 60_000);
    const id = parsePassId(text);
    expect(t.scan(text)).toMatchObject({ decision: 'green', reasons: ['pass_valid'] });

    t.answer(passDirectoryAnswer(signer, directory(2, [id])));
    t.server.push('passes', { version: 2 });
    await expect.poll(() => t.store.passDirectory().version).toBe(2);
    expect(t.scan(text)).toMatchObject({ decision: 'red', reasons: ['pass_revoked'] });
  });

  it('a push naming a version the lane holds fetches nothing; a pass of an unknown key stays amber until its key arrives', async () => {
    const t = await lane();
    t.sync.start();
    await expect.poll(() => t.store.passDirectory().version).toBe(1);
    await expect.poll(() => t.server.streams()).toBe(1);
    const fetched = t.server.calls('GET', '/passes').length;
    t.server.push('passes', { version: 1 });

    const text = NEXT_KEY.issue('079201004568', Math.floor(Date.now() / 1000) * 1000 - 60_000);
    expect(t.scan(text)).toMatchObject({ decision: 'amber', reasons: ['pass_signature_invalid'] });
    t.answer(passDirectoryAnswer(signer, { ...directory(2), keys: [PASS_KEY.key, NEXT_KEY.key] }));
    t.server.push('passes', { version: 2 });
    await expect.poll(() => t.store.passDirectory().version).toBe(2);
    // One fetch, for version 2 (events are read in order: version 1 asked for none).
    expect(t.server.calls('GET', '/passes')).toHaveLength(fetched + 1);
    expect(t.scan(text)).toMatchObject({ decision: 'green', reasons: ['pass_valid'] });
  });
});

function parsePassId(text: string): string {
  const p = parsePass(text);
  if (!p.ok) throw new Error('not a pass');
  return p.value.body.passId;
}
