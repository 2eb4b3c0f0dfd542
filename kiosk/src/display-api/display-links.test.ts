// One-time display links and capability cookies, against a real lane agent and the real display
// server on 127.0.0.1: a link works once, its cookie is HttpOnly/SameSite=Strict, and the
// traveller's capability never reaches the officer page, the officer WebSocket or any action.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_DEFAULTS } from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LaneAgent } from '../agent/lane-agent.js';
import { insecureFileKeyStore } from '../secrets/key-store-choice.js';
import { writeCredentials } from '../sync/credentials.js';
import { DisplayAuth, type DisplayView } from './display-auth.js';
import { DisplayServer } from './display-server.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });

let dir: string;
let agent: LaneAgent;
let display: DisplayServer;
let base: string;
let used: DisplayView[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'display-links-'));
  writeCredentials(dir, {
    serverUrl: 'http://127.0.0.1:9',
    kioskId: 'k-1',
    token: 't',
    listKey: Buffer.alloc(32, 7).toString('base64'),
    checkpoint: { id: 'CP-1', name: 'Chốt 1', mode: 'open', ...CHECKPOINT_DEFAULTS },
  });
  const staticDir = join(dir, 'display');
  mkdirSync(join(staticDir, 'assets'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<p id="officer-page">officer</p>');
  writeFileSync(join(staticDir, 'traveller.html'), '<p id="traveller-page">traveller</p>');
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'export {};');
  agent = await LaneAgent.open({
    dataDir: dir,
    keyStore: insecureFileKeyStore(dir),
    scanners: [],
    logger,
    sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
  });
  await agent.start();
  used = [];
  display = new DisplayServer({
    logger,
    agent,
    staticDir,
    onLinkUsed: (view) => {
      used.push(view);
    },
  });
  base = await display.start();
});

afterEach(async () => {
  await display.stop();
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A request as a browser would make it, following no redirect. */
async function get(path: string, cookie = ''): Promise<Response> {
  return fetch(path.startsWith('http') ? path : `${base}${path}`, {
    redirect: 'manual',
    headers: cookie === '' ? {} : { cookie },
  });
}

/** Follows a one-time link: answers the session cookie it set (name=value). */
async function use(link: string): Promise<string> {
  const res = await get(link);
  expect(res.status).toBe(303);
  const setCookie = res.headers.get('set-cookie') ?? '';
  return setCookie.split(';')[0]!;
}

/** Opens the event socket; answers the first message, or the handshake's refusal. */
function socket(
  view: DisplayView,
  cookie: string,
  origin?: string,
): Promise<{ type: string; status?: unknown }> {
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(base).port}/ws?view=${view}`, {
    headers: { cookie, ...(origin === undefined ? {} : { origin }) },
  });
  return new Promise((resolve, reject) => {
    ws.once('message', (m: Buffer) => {
      resolve(JSON.parse(m.toString()) as { type: string });
      ws.close();
    });
    ws.once('error', reject);
  });
}

describe('one-time display links', () => {
  it('trade their code once for an HttpOnly, SameSite=Strict session cookie and land on the clean page', async () => {
    const link = display.mintLink('officer');
    expect(link).toMatch(new RegExp(`^${base}/\\?code=[\\w-]{43}$`));
    const res = await get(link);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^lane-${new URL(base).port}-officer=[\\w-]{43}; `));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(used).toEqual(['officer']);
    const cookie = setCookie.split(';')[0]!;
    const page = await get('/', cookie);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('officer-page');

    // The same link again: refused with a page that says what to do, and no cookie.
    const again = await get(link);
    expect(again.status).toBe(403);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(await again.text()).toMatch(/display\.json/);
    expect((await get(`${base}/?code=made-up`)).status).toBe(403);
    expect(used).toEqual(['officer']);
  });

  it('refuses every page, asset and action without a session, and never takes a token', async () => {
    expect((await get('/')).status).toBe(403);
    expect((await get('/traveller')).status).toBe(403);
    expect((await get('/assets/app.js')).status).toBe(403);
    expect((await get('/api/status')).status).toBe(403);
    expect((await get('/api/officers')).status).toBe(403);
    await expect(socket('officer', '')).rejects.toThrow(/403/);
    await expect(socket('traveller', '')).rejects.toThrow(/403/);
  });

  it('gives the officer link everything', async () => {
    const cookie = await use(display.mintLink('officer'));
    expect((await get('/traveller', cookie)).status).toBe(200);
    expect((await get('/assets/app.js', cookie)).status).toBe(200);
    expect((await get('/api/status', cookie)).status).toBe(200);
    expect((await get('/api/officers', cookie)).status).toBe(200);
    expect((await socket('officer', cookie)).status).toBeDefined();
    // The officer session from a foreign page is still refused (Origin check).
    await expect(socket('officer', cookie, 'http://evil.example')).rejects.toThrow(/403/);
  });

  it('gives the traveller link its page only: never the officer page, officer events or any action', async () => {
    const link = display.mintLink('traveller');
    expect(new URL(link).pathname).toBe('/traveller');
    const res = await get(link);
    expect(res.headers.get('location')).toBe('/traveller');
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/-traveller=/);
    const page = await get('/traveller', cookie);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('traveller-page');
    expect((await get('/assets/app.js', cookie)).status).toBe(200);
    expect(await socket('traveller', cookie)).toEqual({ type: 'hello' });

    expect((await get('/', cookie)).status).toBe(403);
    await expect(socket('officer', cookie)).rejects.toThrow(/403/);
    for (const path of ['/api/status', '/api/officers']) expect((await get(path, cookie)).status).toBe(403);
    const scan = await fetch(`${base}/api/scans`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ text: '079301004567' }),
    });
    expect(scan.status).toBe(403);
    for (const action of ['acknowledge', 'override']) {
      const res = await fetch(`${base}/api/scans/some-scan/${action}`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(403);
    }
    expect(agent.store.lastSeq()).toBe(0);
    // Its cookie renamed to the officer's name is still only a traveller session.
    const forged = cookie.replace('-traveller=', '-officer=');
    expect((await get('/', forged)).status).toBe(403);
  });

  it('answers the link even when the link-used listener fails (a full disk for display.json, say)', async () => {
    const failing = new DisplayServer({
      logger,
      agent,
      onLinkUsed: () => {
        throw new Error('ENOSPC');
      },
    });
    await failing.start();
    try {
      const link = failing.mintLink('traveller');
      expect((await fetch(link, { redirect: 'manual' })).status).toBe(303);
      expect((await fetch(link, { redirect: 'manual' })).status).toBe(403); // still up, still once
    } finally {
      await failing.stop();
    }
  });

  it('continues a link opened from a file:// launch page by a same-origin page, so the Strict cookie goes', async () => {
    // Chromium holds a SameSite=Strict cookie back along a redirect of a cross-site navigation.
    const link = display.mintLink('officer');
    const res = await fetch(link, { redirect: 'manual', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    expect(await res.text()).toContain('<meta http-equiv="refresh" content="0;url=/">');
    expect((await get(link)).status).toBe(403);
  });

  it('tells a watched link its use and any later load of it', async () => {
    const heard: string[] = [];
    const link = display.mintLink('traveller', 60_000, {
      used: () => heard.push('used'),
      replayed: () => heard.push('replayed'),
    });
    expect((await get(link)).status).toBe(303);
    expect(heard).toEqual(['used']);
    expect((await get(link)).status).toBe(403);
    expect(heard).toEqual(['used', 'replayed']);
  });

  it('lets a link minted with a lifetime expire unused', () => {
    const auth = new DisplayAuth();
    const late = auth.mintCode('officer', 60_000, 1_000);
    const early = auth.mintCode('officer', 60_000, 1_000);
    expect(auth.redeem(late, 61_000)).toBeNull();
    expect(auth.redeem(early, 60_999)).toBe('officer');
    const forever = auth.mintCode('traveller');
    expect(auth.redeem(forever, Date.now() + 365 * 86_400_000)).toBe('traveller');
  });

  it('keeps only the newest unused links of a view', async () => {
    const first = display.mintLink('officer');
    for (let i = 0; i < 8; i++) display.mintLink('officer');
    const traveller = display.mintLink('traveller');
    expect((await get(first)).status).toBe(403);
    expect((await get(traveller)).status).toBe(303);
  });
});
