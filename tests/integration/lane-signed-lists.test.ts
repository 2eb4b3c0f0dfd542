// A man in the middle between a real lane agent and the real sync server process: answers with
// one byte changed are refused, the old list keeps deciding, the centre hears of it in the
// fleet view; once the path is clean the lane catches up; a rotated signing key is followed.
import { request, createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaneAgent, insecureFileKeyStore } from '@checkpoint-lane/kiosk';
import type { ListRefusalReport } from '@checkpoint-lane/shared';
import { FAST_SYNC, freePort, range, ServerUnderTest } from './lane-helpers.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });

const A = '001090123456'; // F0 from the start
const B = '036085000123'; // F0 in a big import that comes as a snapshot
const D = '079200000777'; // F2 later (not blocking: no urgent push, only a delta)
const E = '038200001234'; // F0 after the key rotation

/** What the proxy changes in the server's answers to the lane. */
const tamper = { changes: false, snapshot: false };

/** A loopback proxy to the server that changes one byte of a delta or a snapshot when told. */
async function startProxy(target: string): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const changes = tamper.changes && path.startsWith('/api/v1/kiosk/lists/health/changes');
    const snapshot = tamper.snapshot && path.startsWith('/api/v1/kiosk/lists/health/snapshot');
    const up = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path, headers: req.headers },
      (answer: IncomingMessage) => {
        if (!changes && !snapshot) {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          let body = Buffer.concat(chunks);
          if (changes) body = Buffer.from(body.toString('utf8').replace('"F2"', '"F0"'));
          else if (body.length > 100)
            body[Math.floor(body.length / 2)] = (body[Math.floor(body.length / 2)] ?? 0) ^ 1;
          res.writeHead(answer.statusCode ?? 502, {
            ...answer.headers,
            'content-length': String(body.length),
          });
          res.end(body);
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let dir: string;
let server: ServerUnderTest;
let proxy: { url: string; server: Server };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-signed-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), 'admin-token-for-signed-lists-0123456');
  await server.start();
  await server.addCheckpoint('OPEN-1', 'open');
  await server.importCsv('health', `id,status,since,until,name,note\n${A},F0,2026-01-01,,A,\n`);
  proxy = await startProxy(server.url);
});

afterAll(async () => {
  proxy.server.closeAllConnections();
  await new Promise((resolve) => proxy.server.close(resolve));
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function refusals(): Promise<ListRefusalReport | undefined> {
  const res = await server.admin<{ kiosks: { listRefusals?: ListRefusalReport }[] }>('GET', '/kiosks');
  return res.body.kiosks[0]?.listRefusals;
}

describe('signed lists between a real lane and the real server', () => {
  it('refuses a tampered delta and a tampered snapshot, keeps its old list, tells the centre, then catches up', async () => {
    const agent = await LaneAgent.open({
      dataDir: join(dir, 'lane'),
      keyStore: insecureFileKeyStore(join(dir, 'lane')),
      serverUrl: proxy.url,
      enrollCode: await server.enrollmentCode('OPEN-1'),
      laneName: 'signed-lane',
      scanners: [],
      logger,
      sync: FAST_SYNC,
    });
    try {
      await agent.start(10_000);
      expect(agent.submit(A).decision).toBe('red');
      expect(agent.submit(D).decision).toBe('green');

      // A delta whose F2 the proxy turns into F0: refused; D is not made red, the version stays.
      tamper.changes = true;
      const put = await server.admin('PUT', `/lists/health/entries/${D}`, { status: 'F2' });
      expect(put.status).toBeLessThan(300);
      await expect
        .poll(refusals, { timeout: 10_000 })
        .toMatchObject({ lastReason: 'bad_signature', lastList: 'health' });
      expect(agent.submit(D).decision).toBe('green');
      expect(agent.store.listState('health').version).toBe(1);
      const afterDelta = (await refusals())?.count ?? 0;

      // A big import is sent as a snapshot (the change log cannot hold it); one byte flipped: refused.
      tamper.changes = false;
      tamper.snapshot = true;
      const rows = range(20_001).map((i) => `0790${String(i).padStart(8, '0')},F2,,,,`);
      await server.importCsv(
        'health',
        ['id,status,since,until,name,note', `${B},F0,2026-01-01,,B,`, ...rows, ''].join('\n'),
      );
      await expect
        .poll(async () => (await refusals())?.count ?? 0, { timeout: 15_000 })
        .toBeGreaterThan(afterDelta);
      expect(await refusals()).toMatchObject({ lastReason: 'bad_signature' });
      expect(agent.submit(B).decision).toBe('green'); // the new F0 never came in
      expect(agent.submit(A).decision).toBe('red'); // the old list still decides
      expect(agent.store.listState('health').version).toBe(1);

      // A clean path: the next version brings the lane up to date.
      tamper.snapshot = false;
      await server.admin('PUT', `/lists/health/entries/${A}`, { status: 'F0', since: null, until: null });
      await expect.poll(() => agent.submit(B).decision, { timeout: 15_000 }).toBe('red');
      expect(agent.store.countEntries('health')).toBe(20_004); // A, B, D and the 20,001 rows
      expect(agent.submit(D).decision).toBe('green'); // F2 does not block here

      // A rotated key reaches the lane endorsed by the one it pinned: its pushes are taken.
      const before = (await refusals())?.count;
      const rotated = await server.admin<{ current: string }>('POST', '/lists/signing-keys/rotate');
      expect(rotated.status).toBe(200);
      await server.admin('PUT', `/lists/health/entries/${E}`, { status: 'F0', since: null, until: null });
      await expect.poll(() => agent.submit(E).decision, { timeout: 10_000 }).toBe('red');
      expect((await refusals())?.count).toBe(before);
      expect(agent.store.getSetting('list_signing_keys')).toContain(rotated.body.current);
    } finally {
      await agent.stop();
    }
  });
});
