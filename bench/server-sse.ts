// SSE fan-out: 1,000 lanes hold /api/v1/kiosk/events on a real checkpoint-server process; an
// admin adds an F0; time until the `urgent` push reaches each lane. Run: npx tsx bench/server-sse.ts
import { request, Agent } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, machine, peakRssMiB, startServer, stats } from './server-bench-support.js';

const LANES = Number(process.env.LANES ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 20);
const ADMIN = 'bench-admin-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'cl-bench-sse-'));
const server = await startServer(dir, ADMIN);
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });

/** Opens one lane's event stream; calls `onUrgent(version)` for each `urgent` event. */
function openStream(token: string, onUrgent: (version: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}/api/v1/kiosk/events`,
      { headers: { authorization: `Bearer ${token}` }, agent },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`events ${res.statusCode}`));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) !== -1) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            if (block.startsWith('event: hello')) resolve();
            if (block.startsWith('event: urgent')) {
              const data = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { toVersion: number };
              onUrgent(data.toVersion);
            }
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

try {
  await api(`${server.url}/api/v1/admin/checkpoints`, ADMIN, { id: 'CP', name: 'CP', mode: 'open' });
  const tokens: string[] = [];
  for (let i = 0; i < LANES; i++) {
    const { code } = await api<{ code: string }>(`${server.url}/api/v1/admin/enrollments`, ADMIN, {
      checkpointId: 'CP',
    });
    tokens.push(
      (await api<{ token: string }>(`${server.url}/api/v1/kiosk/enroll`, '', { code, name: `lane ${i}` }))
        .token,
    );
  }
  let waiting: { version: number; t0: number; delays: number[]; done: () => void } | null = null;
  const onUrgent = (version: number): void => {
    const w = waiting;
    if (!w || version !== w.version) return;
    w.delays.push(performance.now() - w.t0);
    if (w.delays.length === LANES) w.done();
  };
  const c0 = performance.now();
  await Promise.all(tokens.map((t) => openStream(t, onUrgent)));
  const connectS = (performance.now() - c0) / 1000;

  const lastLane: number[] = [];
  const allDelays: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const version = r + 1;
    const id = String(1_000_000_000 + r).padStart(12, '0');
    const done = new Promise<void>((resolve) => {
      waiting = { version, t0: performance.now(), delays: [], done: resolve };
    });
    const res = await fetch(`${server.url}/api/v1/admin/lists/health/entries/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'F0' }),
    });
    if (res.status !== 200) throw new Error(`put ${res.status}`);
    await done;
    const w = waiting as { delays: number[] } | null;
    const delays = w?.delays ?? [];
    lastLane.push(Math.max(...delays));
    allDelays.push(...delays);
  }
  const last = stats(lastLane);
  const each = stats(allDelays);
  console.log(`machine: ${machine()}`);
  console.log(`${LANES} lanes connected in ${connectS.toFixed(1)} s; ${ROUNDS} F0 adds`);
  console.log(
    `time to the LAST lane: p50 ${last.p50.toFixed(0)} ms, p99 ${last.p99.toFixed(0)} ms, max ${last.max.toFixed(0)} ms; per lane: p50 ${each.p50.toFixed(0)} ms, p99 ${each.p99.toFixed(0)} ms`,
  );
  console.log(`server peak RSS ${(await peakRssMiB(server.child.pid ?? 0)).toFixed(0)} MiB`);
} finally {
  agent.destroy();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
