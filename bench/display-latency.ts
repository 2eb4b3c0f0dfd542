// Scanner input to decision painted on the officer screen, in Debian Chromium.
// A real lane agent (offline, lists in its store), the real display API, a scanner fed line by
// line; the page notes when each decision was painted (the frame after the DOM changed).
// Run: npx tsx bench/display-latency.ts [scans]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CHECKPOINT_DEFAULTS, parseSubjectText } from '@checkpoint-lane/shared';
import pino from 'pino';
import { LaneAgent } from '../kiosk/src/agent/lane-agent.js';
import { createSubjectKeyer } from '../kiosk/src/agent/subject-keyer.js';
import { DisplayServer } from '../kiosk/src/display-api/display-server.js';
import { StdinScanner } from '../kiosk/src/scanners/stdin-scanner.js';
import { writeCredentials } from '../kiosk/src/sync/credentials.js';
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
const agent = await LaneAgent.open({ dataDir: dir, scanners: [new StdinScanner(input)], logger });
const keyer = createSubjectKeyer(listKey);
const ids = Array.from({ length: SCANS }, (_, i) => `0792000${String(i).padStart(5, '0')}`);
agent.store.overlayHealth(
  ids
    .filter((_, i) => i % 2 === 0)
    .map((id) => ({
      key: keyer(parseSubjectText(id)!),
      entry: { status: 'F0' as const, since: null, until: null },
    })),
);
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
  const panel = document.getElementById('decision')!;
  new MutationObserver(() => {
    requestAnimationFrame(() => {
      // The frame after this one has the change on screen.
      requestAnimationFrame(() => w.painted.push(performance.timeOrigin + performance.now()));
    });
  }).observe(panel, { attributes: true, attributeFilter: ['data-decision'] });
});

const latencies: number[] = [];
for (let i = 0; i < SCANS; i++) {
  const before = await page.evaluate(() => (window as unknown as { painted: number[] }).painted.length);
  const sent = performance.timeOrigin + performance.now();
  input.write(`${ids[i]}\n`);
  await page.waitForFunction((n) => (window as unknown as { painted: number[] }).painted.length > n, before);
  const painted = await page.evaluate(
    (n) => (window as unknown as { painted: number[] }).painted[n]!,
    before,
  );
  latencies.push(painted - sent);
}
latencies.sort((a, b) => a - b);
const result = {
  bench: 'display-latency',
  date: new Date().toISOString(),
  scans: SCANS,
  p50Ms: Number(percentile(latencies, 50).toFixed(1)),
  p95Ms: Number(percentile(latencies, 95).toFixed(1)),
  p99Ms: Number(percentile(latencies, 99).toFixed(1)),
  maxMs: Number((latencies.at(-1) ?? NaN).toFixed(1)),
  target: { p95Ms: 50 },
};
console.log(
  `scanner input → decision painted, ${SCANS} scans: p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms`,
);
console.log(JSON.stringify(result));
await browser.close();
await display.stop();
await agent.stop();
rmSync(dir, { recursive: true, force: true });
