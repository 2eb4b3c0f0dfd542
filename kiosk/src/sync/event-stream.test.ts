import { subjectKeyToHex, type CheckpointConfig } from '@checkpoint-lane/shared';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EventStream } from './event-stream.js';
import { FakeSyncServer } from './fake-sync-server.testkit.js';
import { LinkState } from './link-state.js';
import { cleanupAfterEach } from './sync-fixtures.testkit.js';

const logger = pino({ level: 'silent' });
const config: CheckpointConfig = {
  id: 'CP-1',
  name: 'A',
  mode: 'closed',
  freshnessBudgetSec: 600,
  blockingStatuses: ['F0'],
  repeatWindowSec: 0,
};

const cleanups = cleanupAfterEach();

/** An event stream against a real loopback server, recording what it dispatches. */
async function setup(configure?: (server: FakeSyncServer) => void) {
  const server = await FakeSyncServer.start();
  configure?.(server);
  const link = new LinkState({ logger, retry: { baseMs: 10, capMs: 20 } });
  const seen: unknown[][] = [];
  const events = new EventStream({
    api: server.api(),
    link,
    logger,
    targets: {
      connected: () => seen.push(['connected']),
      listVersion: (list, version) => seen.push(['list-version', list, version]),
      urgent: (push) => seen.push(['urgent', push.changes.length, push.toVersion, push.signature]),
      signingKeys: (keys) => seen.push(['signing-keys', keys.map((k) => k.id)]),
      listKey: (keyId) => seen.push(['list-key', keyId]),
      checkpoint: (c) => seen.push(['checkpoint', c.mode]),
      officers: (version) => seen.push(['officers', version]),
      passes: (version) => seen.push(['passes', version]),
    },
  });
  link.start();
  events.start();
  cleanups.push(async () => {
    link.stop();
    await server.close();
    await events.done();
  });
  return { server, link, events, seen };
}

describe('EventStream', () => {
  it('decodes each event once and dispatches it by type', async () => {
    const { server, link, seen } = await setup();
    await expect.poll(() => server.streams()).toBe(1);
    await expect.poll(() => link.online()).toBe(true);
    server.push('hello', { kioskId: 'k1', checkpointId: 'CP-1', serverTime: 5 });
    server.push('list-version', { list: 'whitelist', version: 7 });
    server.push('urgent', {
      list: 'health',
      toVersion: 8,
      changes: [{ key: subjectKeyToHex(1n), op: 'put', entry: { status: 'F0', since: null, until: null } }],
      signature: `0123456789abcdef:${'A'.repeat(86)}==`,
    });
    server.push('checkpoint', config);
    server.push('officers', { version: 3 });
    server.push('signing-keys', {
      keys: [{ id: 'fedcba9876543210', publicKey: `${'B'.repeat(43)}=`, validFrom: 1, validUntil: null }],
    });
    server.push('list-key', { keyId: 4 });
    server.push('passes', { version: 9 });
    await expect.poll(() => seen.length).toBe(8);
    expect(seen).toEqual([
      ['connected'],
      ['list-version', 'whitelist', 7],
      ['urgent', 1, 8, `0123456789abcdef:${'A'.repeat(86)}==`],
      ['checkpoint', 'closed'],
      ['officers', 3],
      ['signing-keys', ['fedcba9876543210']],
      ['list-key', 4],
      ['passes', 9],
    ]);
  });

  it('ignores unknown and malformed events and reads on', async () => {
    const { server, seen } = await setup();
    await expect.poll(() => server.streams()).toBe(1);
    server.push('new-thing', {});
    server.push('officers', { version: -1 });
    server.push('checkpoint', '{not json');
    server.push('checkpoint', { ...config, mode: 'half-open' });
    server.push('list-version', { list: 'people', version: 1 });
    server.push('list-key', { keyId: -1 });
    server.push('passes', { version: -1 });
    server.push('officers', { version: 4 }); // a marker: every event before it was read
    await expect.poll(() => seen.length).toBe(1);
    expect(seen).toEqual([['officers', 4]]);
  });

  it('reconnects when the stream ends', async () => {
    const { server, seen } = await setup();
    await expect.poll(() => server.streams()).toBe(1);
    server.endStreams();
    await expect.poll(() => server.calls('GET', '/events').length).toBe(2);
    await expect.poll(() => server.streams()).toBe(1);
    server.push('hello', { kioskId: 'k1', checkpointId: 'CP-1', serverTime: 5 });
    await expect.poll(() => seen).toEqual([['connected']]);
  });

  it('a revoked event revokes the link and ends the loop for good', async () => {
    const { server, link, events } = await setup();
    await expect.poll(() => server.streams()).toBe(1);
    server.push('revoked', { kioskId: 'k1' });
    await events.done();
    expect(link.status()).toMatchObject({ revoked: true, lastError: 'this lane was revoked by the centre' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.calls('GET', '/events')).toHaveLength(1);
  });

  it('a refused token stops it reconnecting', async () => {
    const { server, link, events } = await setup((s) =>
      s.route('GET', '/events', () => ({ status: 401, json: { error: 'unauthorized', message: 'revoked' } })),
    );
    await events.done();
    expect(link.revoked()).toBe(true);
    expect(server.calls('GET', '/events')).toHaveLength(1);
  });
});
