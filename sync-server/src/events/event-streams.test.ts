// Event streams over real HTTP on 127.0.0.1: capped per lane and per admin credential (a new
// stream replaces the oldest), and a client that stops reading is dropped, not buffered for.
import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addAccount,
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  signIn,
  type TestApp,
} from '../testing/build-test-app.js';
import { STREAMS_PER_ADMIN, STREAMS_PER_LANE } from './event-hub.js';

let t: TestApp;
let port = 0;
const opened: { destroy(): void }[] = [];

afterEach(async () => {
  for (const s of opened.splice(0)) s.destroy();
  await t.close();
});

async function start(maxBuffer = 64 * 1024): Promise<void> {
  t = await buildTestApp({ sseMaxBufferBytes: maxBuffer, sseKeepAliveMs: 60_000 });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
}

/** An open event stream read as it arrives: its text so far and whether the server ended it. */
interface Stream {
  readonly res: IncomingMessage;
  text: string;
  ended: boolean;
  readonly closed: Promise<void>;
}

/** Opens an event stream and waits for its first event (`hello`). */
function openStream(path: string, headers: Record<string, string>): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      expect(res.statusCode).toBe(200);
      opened.push(res);
      let done: () => void = () => undefined;
      const stream: Stream = {
        res,
        text: '',
        ended: false,
        closed: new Promise((r) => {
          done = r;
        }),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        stream.text += chunk;
        if (stream.text.includes('event: hello')) resolve(stream);
      });
      res.on('close', () => {
        stream.ended = true;
        done();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const until = async (what: () => boolean, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('event stream caps', () => {
  it('keeps a lane to its newest streams: each new one closes the oldest', async () => {
    await start();
    await addCheckpoint(t, 'CP');
    const lane = await enrollKiosk(t, 'CP');
    const other = await enrollKiosk(t, 'CP', 'Lane 2');
    const theirs = await openStream('/api/v1/kiosk/events', other.auth);
    const streams: Stream[] = [];
    for (let i = 0; i < 40; i++) streams.push(await openStream('/api/v1/kiosk/events', lane.auth));
    await until(() => streams.filter((s) => !s.ended).length === STREAMS_PER_LANE);
    // The newest stay open and still get events; the older ones were ended by the server.
    expect(streams.slice(-STREAMS_PER_LANE).every((s) => !s.ended)).toBe(true);
    expect(streams.slice(0, -STREAMS_PER_LANE).every((s) => s.ended)).toBe(true);
    expect(theirs.ended).toBe(false);
    expect(t.app.services.hub.counts().kiosks).toBe(STREAMS_PER_LANE + 1);
    t.app.services.hub.publishLane(lane.kioskId, {
      type: 'list-version',
      data: { list: 'whitelist', version: 4242 },
    });
    await until(() => streams.slice(-STREAMS_PER_LANE).every((s) => s.text.includes('"version":4242')));
    expect(t.app.services.fleet.isOnline(lane.kioskId)).toBe(true);
  });

  it('keeps each admin credential (token, each console session) to its newest streams', async () => {
    await start();
    await addAccount(t, 'lan');
    const a = await signIn(t, 'lan');
    const b = await signIn(t, 'lan');
    const bStreams = [await openStream('/api/v1/admin/events', b.cookie)];
    const byToken: Stream[] = [];
    const byA: Stream[] = [];
    for (let i = 0; i < STREAMS_PER_ADMIN + 3; i++) {
      byToken.push(await openStream('/api/v1/admin/events', t.admin));
      byA.push(await openStream('/api/v1/admin/events', a.cookie));
    }
    await until(
      () =>
        byToken.filter((s) => !s.ended).length === STREAMS_PER_ADMIN &&
        byA.filter((s) => !s.ended).length === STREAMS_PER_ADMIN,
    );
    expect(byToken.slice(0, 3).every((s) => s.ended)).toBe(true);
    expect(byA.slice(0, 3).every((s) => s.ended)).toBe(true);
    expect(bStreams.every((s) => !s.ended)).toBe(true);
    expect(t.app.services.hub.counts().admins).toBe(2 * STREAMS_PER_ADMIN + 1);
  });
});

describe('slow readers', () => {
  it(
    'drops a stream whose client stops reading, and keeps the ones that read',
    { timeout: 60_000 },
    async () => {
      await start(64 * 1024);
      await addCheckpoint(t, 'CP');
      const lane = await enrollKiosk(t, 'CP');
      const reader = await openStream('/api/v1/kiosk/events', lane.auth);
      const adminReader = await openStream('/api/v1/admin/events', t.admin);
      // The stalled clients: raw sockets that send the request, see the first bytes, then pause.
      const stalled = async (path: string, auth: string): Promise<Socket> => {
        const socket = connect(port, '127.0.0.1');
        opened.push(socket);
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth}\r\n\r\n`);
        await new Promise<void>((resolve) =>
          socket.once('data', () => {
            resolve();
          }),
        );
        socket.pause();
        return socket;
      };
      const slowLane = await stalled('/api/v1/kiosk/events', lane.auth.authorization);
      const slowAdmin = await stalled('/api/v1/admin/events', t.admin.authorization);
      let slowLaneClosed = false;
      let slowAdminClosed = false;
      slowLane.on('close', () => (slowLaneClosed = true));
      slowAdmin.on('close', () => (slowAdminClosed = true));
      expect(t.app.services.hub.counts()).toEqual({ admins: 2, kiosks: 2 });

      const payload = 'x'.repeat(16 * 1024);
      let sent = 0;
      while (t.app.services.hub.counts().kiosks > 1 || t.app.services.hub.counts().admins > 1) {
        t.app.services.hub.publishLane(lane.kioskId, {
          type: 'urgent',
          data: {
            list: 'health',
            toVersion: sent,
            // A 16 KiB filler where a status goes: only the event's size matters here.
            changes: [{ key: '0'.repeat(16), op: 'put', entry: { status: payload } }],
          },
        });
        // A 16 KiB filler where a lane id goes.
        t.app.services.hub.publishAdmin('kiosk-status', { kioskId: payload, online: true, at: sent });
        sent++;
        // The readers read between events; bounded so a regression fails instead of hanging.
        await new Promise((r) => setImmediate(r));
        if (sent > 4_096) throw new Error('the stalled clients were never dropped');
      }
      // Read now, the stalled clients find their streams ended by the server.
      slowLane.resume();
      slowAdmin.resume();
      await until(() => slowLaneClosed && slowAdminClosed);
      expect(reader.ended).toBe(false);
      expect(adminReader.ended).toBe(false);
      await until(
        () =>
          reader.text.includes(`"toVersion":${sent - 1},`) && adminReader.text.includes(`"at":${sent - 1}}`),
      );
      // Pushed until the kernel's socket buffers and the 64 KiB bound were full: tens of MB at most.
      expect(sent * payload.length).toBeLessThan(64 * 1024 * 1024);
    },
  );
});
