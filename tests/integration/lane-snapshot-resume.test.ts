// A real lane agent takes its lists from the real sync server process by their versioned
// snapshot URLs (the signature from a HEAD of the current snapshot), through a proxy that cuts
// the first health download short: the lane resumes it with Range + If-Range (206) and holds
// every entry, without fetching the current snapshot's bytes.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaneAgent, insecureFileKeyStore } from '@checkpoint-lane/kiosk';
import { FAST_SYNC, freePort, range, ServerUnderTest } from './lane-helpers.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });

/** Bytes of the first versioned health download the proxy lets through before it drops the connection. */
const CUT_AT = 10_000;

/** A request through the proxy and what the server answered. */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
  readonly status: number;
  readonly cut: boolean;
}

const seen: Seen[] = [];

/** A loopback proxy to the server that cuts the first versioned health snapshot download after CUT_AT bytes. */
async function startProxy(target: string): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  let cuts = 0;
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const up = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path, headers: req.headers },
      (answer: IncomingMessage) => {
        const status = answer.statusCode ?? 502;
        const cut =
          req.method === 'GET' &&
          status === 200 &&
          /^\/api\/v1\/kiosk\/lists\/health\/snapshot\/\d+\/key\/\d+$/.test(path) &&
          cuts++ === 0;
        seen.push({
          method: req.method ?? '',
          path: path.replace('/api/v1/kiosk', ''),
          range: req.headers.range,
          ifRange: [req.headers['if-range']].flat()[0],
          status,
          cut,
        });
        res.writeHead(status, answer.headers);
        if (!cut) {
          answer.pipe(res);
          return;
        }
        let sent = 0;
        answer.on('data', (c: Buffer) => {
          if (sent >= CUT_AT) return;
          const part = c.subarray(0, CUT_AT - sent);
          sent += part.length;
          res.write(part, () => {
            if (sent >= CUT_AT) {
              answer.destroy();
              res.destroy();
            }
          });
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
const ROWS = 5_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-snapshot-resume-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), 'admin-token-for-snapshot-resume-0123');
  await server.start();
  await server.addCheckpoint('OPEN-1', 'open');
  const rows = range(ROWS).map((i) => `0790${String(i).padStart(8, '0')},F0,,,,`);
  await server.importCsv('health', ['id,status,since,until,name,note', ...rows, ''].join('\n'));
  await server.importCsv(
    'whitelist',
    'id,category,valid_from,valid_until,checkpoints,name,note\nB1234567,shipper,,,OPEN-1,,\n',
  );
  proxy = await startProxy(server.url);
});

afterAll(async () => {
  proxy.server.closeAllConnections();
  await new Promise((resolve) => proxy.server.close(resolve));
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('snapshots by their versioned URL between a real lane and the real server', () => {
  it('fetches both lists by their versioned URLs and resumes a cut download from where it stopped', async () => {
    const agent = await LaneAgent.open({
      dataDir: join(dir, 'lane'),
      keyStore: insecureFileKeyStore(join(dir, 'lane')),
      serverUrl: proxy.url,
      enrollCode: await server.enrollmentCode('OPEN-1'),
      laneName: 'resume-lane',
      scanners: [],
      logger,
      sync: FAST_SYNC,
    });
    try {
      await agent.start(10_000);
      await expect.poll(() => agent.store.countEntries('health'), { timeout: 20_000 }).toBe(ROWS);
      await expect.poll(() => agent.store.countEntries('whitelist'), { timeout: 20_000 }).toBe(1);
      expect(agent.submit('079000000007').decision).toBe('red');

      const health = seen.filter((s) => s.path.startsWith('/lists/health/snapshot'));
      expect(health.filter((s) => s.method === 'HEAD')).toHaveLength(1);
      const gets = health.filter((s) => s.method === 'GET');
      expect(gets.map((g) => g.path)).toEqual([gets[0]?.path, gets[0]?.path]);
      expect(gets[0]).toMatchObject({ status: 200, cut: true, range: undefined });
      // The rest from the byte the lane reached (at most what the proxy let through), same bytes.
      const from = Number(/^bytes=(\d+)-$/.exec(gets[1]?.range ?? '')?.[1]);
      expect(from).toBeGreaterThan(0);
      expect(from).toBeLessThanOrEqual(CUT_AT);
      expect(gets[1]).toMatchObject({ status: 206, cut: false });
      expect(gets[1]?.ifRange).toMatch(/^"[0-9a-f]{64}"$/);

      // The whitelist by the URL cut for this lane's checkpoint; never the current snapshot's bytes.
      expect(
        seen.some(
          (s) =>
            s.method === 'GET' &&
            /^\/lists\/whitelist\/snapshot\/\d+\/key\/\d+\/checkpoint\/OPEN-1$/.test(s.path),
        ),
      ).toBe(true);
      expect(seen.filter((s) => s.method === 'GET' && /^\/lists\/\w+\/snapshot$/.test(s.path))).toEqual([]);
    } finally {
      await agent.stop();
    }
  });
});
