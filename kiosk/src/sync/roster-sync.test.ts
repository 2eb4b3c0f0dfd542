import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { OfficerRoster } from '../agent/officers.js';
import { FakeSyncServer, type FakeAnswer } from './fake-sync-server.testkit.js';
import { LinkState } from './link-state.js';
import { RosterSync } from './roster-sync.js';
import { cleanupAfterEach } from './sync-fixtures.testkit.js';

const logger = pino({ level: 'silent' });
const HASH = `scrypt$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(32, 2).toString('base64')}`;

const cleanups = cleanupAfterEach();

const roster = (version: number): FakeAnswer => ({
  json: { version, officers: version === 0 ? [] : [{ id: `o${version}`, role: 'officer', pinHash: HASH }] },
});

/** A roster sync against a loopback server answering `/officers` from `answers` in turn. */
async function setup(answers: FakeAnswer[], laneVersion: number, withRoster = true) {
  const server = await FakeSyncServer.start();
  server.route('GET', '/officers', async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return answers.shift() ?? { status: 500, json: { error: 'no_more', message: 'no more answers' } };
  });
  const link = new LinkState({ logger });
  link.start();
  const applied: OfficerRoster[] = [];
  let version = laneVersion;
  const roster = new RosterSync({
    api: server.api(),
    link,
    logger,
    version: () => version,
    ...(withRoster
      ? {
          onRoster: (r: OfficerRoster) => {
            applied.push(r);
            version = r.version;
          },
        }
      : {}),
  });
  cleanups.push(async () => {
    link.stop();
    await roster.settled();
    await server.close();
  });
  return { server, link, roster, applied, fetches: () => server.calls('GET', '/officers').length };
}

describe('RosterSync', () => {
  it('hands over a roster whose version differs from the lane’s, and only then', async () => {
    const { roster: sync, applied } = await setup([roster(2), roster(2), roster(1)], 0);
    expect(await sync.sync()).toBe(true);
    expect(await sync.sync()).toBe(true);
    expect(applied.map((r) => r.version)).toEqual([2]);
    // A lower version (server restored from a backup) is still the server's truth.
    await sync.sync();
    expect(applied.map((r) => r.version)).toEqual([2, 1]);
  });

  it('keeps the lane’s officers when the server has none (version 0, 404) or sends bad data', async () => {
    const {
      roster: sync,
      applied,
      link,
    } = await setup(
      [
        roster(0),
        { status: 404, json: { error: 'not_found', message: 'no route' } },
        { json: { version: 3, officers: [{ id: 'o1', role: 'chief', pinHash: HASH }] } },
      ],
      3,
    );
    expect(await sync.sync()).toBe(true);
    expect(await sync.sync()).toBe(false);
    expect(await sync.sync()).toBe(false);
    expect(applied).toEqual([]);
    expect(link.status().lastError).toMatch(/invalid officer roster/);
  });

  it('fetches when the server names another version, and only a real one', async () => {
    const { roster: sync, applied, fetches } = await setup([roster(9)], 4);
    sync.versionSeen(4);
    sync.versionSeen(0);
    sync.versionSeen(-2);
    sync.versionSeen(2.5);
    sync.versionSeen('9');
    sync.versionSeen(undefined);
    expect(fetches()).toBe(0);
    sync.versionSeen(9);
    await expect.poll(() => applied.map((r) => r.version)).toEqual([9]);
    expect(fetches()).toBe(1);
  });

  it('coalesces calls made while a fetch runs into one more fetch', async () => {
    const { roster: sync, applied, fetches } = await setup([roster(2), roster(3)], 0);
    const runs = [sync.sync(), sync.sync(), sync.sync()];
    expect(await Promise.all(runs)).toEqual([true, true, true]);
    expect(fetches()).toBe(2);
    expect(applied.map((r) => r.version)).toEqual([2, 3]);
  });

  it('fetches nothing when the lane takes no rosters', async () => {
    const { roster: sync, fetches } = await setup([roster(2)], 0, false);
    expect(await sync.sync()).toBe(false);
    sync.versionSeen(2);
    expect(fetches()).toBe(0);
  });
});
