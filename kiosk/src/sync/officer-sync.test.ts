import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { OfficerRoster } from '../agent/officers.js';
import type { LaneStore } from '../store/lane-store.js';
import { LaneSync } from './lane-sync.js';
import { ServerApi, type ApiResult, type HeartbeatAnswer } from './server-api.js';

const HASH = `scrypt$${Buffer.alloc(16, 1).toString('base64')}$${Buffer.alloc(32, 2).toString('base64')}`;
const checkpoint = {
  id: 'CP-1',
  name: 'A',
  mode: 'open' as const,
  freshnessBudgetSec: 3600,
  blockingStatuses: ['F0' as const],
  repeatWindowSec: 0,
};

let server: Server | null = null;
afterEach(async () => {
  await new Promise((resolve) => {
    if (server) server.close(resolve);
    else resolve(null);
  });
  server = null;
});

/** A one-route HTTP server answering `/api/v1/kiosk/officers` with this body. */
async function serve(status: number, body: unknown): Promise<ServerApi> {
  server = createServer((req, res) => {
    res.writeHead(req.url === '/api/v1/kiosk/officers' ? status : 404, {
      'content-type': 'application/json',
    });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return new ServerApi(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'token');
}

describe('ServerApi.officers', () => {
  it('answers a valid roster', async () => {
    const api = await serve(200, { version: 3, officers: [{ id: 'o1', role: 'officer', pinHash: HASH }] });
    expect(await api.officers()).toEqual({
      ok: true,
      value: { version: 3, officers: [{ id: 'o1', role: 'officer', pinHash: HASH }] },
    });
  });

  it('refuses bad server data with a clear error', async () => {
    for (const bad of [
      { version: 3, officers: [{ id: 'o1', role: 'chief', pinHash: HASH }] },
      { version: 3, officers: [{ id: 'o1', role: 'officer', pinHash: 'plain 1234' }] },
      { version: -1, officers: [] },
      { officers: [] },
      [],
    ]) {
      const api = await serve(200, bad);
      const res = await api.officers();
      expect(res.ok).toBe(false);
      if (!res.ok) {
        expect(res.error.kind).toBe('invalid');
        expect(res.error.message).toMatch(/invalid officer roster/);
        expect(res.error.message).not.toContain('plain 1234');
      }
      await new Promise((resolve) => server?.close(resolve));
    }
  });
});

/** A LaneSync over a fake API and store, recording the rosters it hands over. */
function laneSync(answers: ApiResult<OfficerRoster>[], officersVersion: number) {
  const applied: OfficerRoster[] = [];
  let version = officersVersion;
  let fetches = 0;
  const api = {
    officers: () => {
      fetches += 1;
      const next = answers.shift();
      if (next === undefined) throw new Error('no more answers');
      return Promise.resolve(next);
    },
    heartbeat: (): Promise<ApiResult<HeartbeatAnswer>> =>
      Promise.resolve({ ok: true, value: { serverTime: Date.now(), checkpoint, officersVersion: 9 } }),
  } as unknown as ServerApi;
  const store = {
    listState: () => ({ version: 0, syncedAt: null }),
    backlog: () => ({ count: 0 }),
    getSetting: () => null,
    setSetting: () => undefined,
  } as unknown as LaneStore;
  const sync = new LaneSync({
    api,
    store,
    logger: pino({ level: 'silent' }),
    checkpoint: () => checkpoint,
    devices: () => [],
    officersVersion: () => version,
    onOfficers: (r) => {
      applied.push(r);
      version = r.version;
    },
  });
  return { sync, applied, fetches: () => fetches };
}

const roster = (version: number): ApiResult<OfficerRoster> => ({
  ok: true,
  value: { version, officers: [{ id: `o${version}`, role: 'officer', pinHash: HASH }] },
});

describe('LaneSync officer rosters', () => {
  it('hands over a roster whose version differs from the lane’s, and only then', async () => {
    const { sync, applied } = laneSync([roster(2), roster(2), roster(1)], 0);
    expect(await sync.syncOfficers()).toBe(true);
    expect(await sync.syncOfficers()).toBe(true);
    expect(applied.map((r) => r.version)).toEqual([2]);
    // A lower version (server restored from a backup) is still the server's truth.
    await sync.syncOfficers();
    expect(applied.map((r) => r.version)).toEqual([2, 1]);
  });

  it('leaves the lane’s own officers alone when the server never had any (version 0), is offline or sends bad data', async () => {
    const { sync, applied } = laneSync(
      [
        { ok: true, value: { version: 0, officers: [] } },
        { ok: false, error: { kind: 'offline', message: 'ECONNREFUSED' } },
        { ok: false, error: { kind: 'invalid', message: 'the server sent an invalid officer roster' } },
        { ok: false, error: { kind: 'http', status: 404, code: 'not_found', message: 'no route' } },
      ],
      // A roster it once had stays too when the server is back at version 0 (restored, rebuilt).
      3,
    );
    for (let i = 0; i < 4; i++) await sync.syncOfficers();
    expect(applied).toEqual([]);
    expect(sync.status().lastError).toMatch(/invalid officer roster/);
  });

  it('fetches the roster when a heartbeat answers another officersVersion', async () => {
    const { sync, applied, fetches } = laneSync([roster(9)], 4);
    await sync.heartbeat();
    await expect.poll(() => applied.map((r) => r.version)).toEqual([9]);
    expect(fetches()).toBe(1);
  });
});
