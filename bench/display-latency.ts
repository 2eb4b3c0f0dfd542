// Scanner input to decision painted on the officer screen, in Debian Chromium, with the desk's
// queue: first clean greens (nothing pending), then half F0s left unacknowledged (the pending
// queue grows, and every desk event carries it). A real lane agent (offline, lists in its
// store), the real display API, a scanner fed line by line; the page notes when each scan was
// painted (the frame after the strip's newest tile changed).
// Run: npx tsx bench/display-latency.ts [scans]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CHECKPOINT_DEFAULTS, parseSubjectText } from '@checkpoint-lane/shared';
import pino from 'pino';
import {
  createSubjectKeyer,
  DisplayServer,
  LaneAgent,
  StdinScanner,
  writeCredentials,
  insecureFileKeyStore,
} from '@checkpoint-lane/kiosk';
import { launchChromium } from '../tests/e2e/browser.js';
import { openLaneView } from '../tests/e2e/display-links.js';

const SCANS = Number(process.argv[2] ?? 200);
const listKey = Buffer.alloc(32, 3);
const dir = mkdtempSync(join(tmpdir(), 'display-latency-'));
const logger = pino({ level: 'silent' });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

writeCredentials(dir, {
  serverUrl: 'http://127.0.0.1:9',
  kioskId: 'bench',
  token: 't',
  listKey: listKey.toString('base64'),
  checkpoint: {
    id: 'B-1',
    name: 'Bench',
    mode: 'open',
    ...CHECKPOINT_DEFAULTS,
    blockingStatuses: ['F0', 'F1'],
  },
});
const input = new PassThrough();
const agent = await LaneAgent.open({
  dataDir: dir,
  keyStore: insecureFileKeyStore(dir),
  scanners: [new StdinScanner(input)],
  logger,
});
const keyer = createSubjectKeyer(listKey);
// Phase 1: clean greens only (nothing waits on the desk). Phase 2: every other scan an F0 that
// no one acknowledges, so the desk's pending queue grows to SCANS / 2 while the page keeps up.
const cleanIds = Array.from({ length: SCANS }, (_, i) => `0792010${String(i).padStart(5, '0')}`);
const queueIds = Array.from({ length: SCANS }, (_, i) => `0792000${String(i).padStart(5, '0')}`);
agent.store.overlayHealth(
  queueIds
    .filter((_, i) => i % 2 === 0)
    .map((id) => ({
      key: keyer(parseSubjectText(id)!),
      entry: { status: 'F0' as const, since: null, until: null },
    })),
);
// Fresh lists: greens stay green (stale lists would turn them amber, and pending).
agent.store.markSynced('health', Date.now());
agent.store.markSynced('whitelist', Date.now());
await agent.start();
const display = new DisplayServer({
  agent,
  logger,
  staticDir: new URL('../kiosk/dist/display/', import.meta.url).pathname,
});
await display.start();
const browser = await launchChromium();
const page = await openLaneView(browser, display, 'officer', { width: 1280, height: 800 });
await page.locator('#link').waitFor();
await page.evaluate(() => {
  const w = window as unknown as { painted: number[] };
  w.painted = [];
  // The strip's newest tile names the newest scan once it is on screen, whatever the main panel shows.
  const strip = document.getElementById('recent')!;
  new MutationObserver(() => {
    requestAnimationFrame(() => {
      // The frame after this one has the change on screen.
      requestAnimationFrame(() => w.painted.push(performance.timeOrigin + performance.now()));
    });
  }).observe(strip, { attributes: true, attributeFilter: ['data-latest'] });
});

async function measure(ids: readonly string[]): Promise<number[]> {
  const latencies: number[] = [];
  for (const id of ids) {
    const before = await page.evaluate(() => (window as unknown as { painted: number[] }).painted.length);
    const sent = performance.timeOrigin + performance.now();
    input.write(`${id}\n`);
    await page.waitForFunction(
      (n) => (window as unknown as { painted: number[] }).painted.length > n,
      before,
    );
    const painted = await page.evaluate(
      (n) => (window as unknown as { painted: number[] }).painted[n]!,
      before,
    );
    latencies.push(painted - sent);
  }
  return latencies.sort((a, b) => a - b);
}

function summary(latencies: number[]): { p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number } {
  const at = (p: number): number => Number(percentile(latencies, p).toFixed(1));
  return { p50Ms: at(50), p95Ms: at(95), p99Ms: at(99), maxMs: Number((latencies.at(-1) ?? NaN).toFixed(1)) };
}

const emptyQueue = summary(await measure(cleanIds));
const withQueue = summary(await measure(queueIds));
const pendingAtEnd = agent.desk().pendingCount;
const result = {
  bench: 'display-latency',
  date: new Date().toISOString(),
  scans: SCANS,
  emptyQueue,
  withQueue: { ...withQueue, pendingAtEnd },
  target: { p95Ms: 50 },
};
for (const [label, r] of [
  ['empty queue (greens)', emptyQueue],
  [`growing queue (half F0 never acknowledged, ${pendingAtEnd} pending at the end)`, withQueue],
] as const) {
  console.log(
    `scanner input → decision painted, ${SCANS} scans, ${label}: p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms, p99 ${r.p99Ms} ms, max ${r.maxMs} ms`,
  );
}
console.log(JSON.stringify(result));
await browser.close();
await display.stop();
await agent.stop();
rmSync(dir, { recursive: true, force: true });
