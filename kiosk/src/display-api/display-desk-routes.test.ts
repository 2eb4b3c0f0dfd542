// The display API's desk side against a real lane agent: actions bound to a scan id in the path,
// refusals with reasons, manual entry checked before it is decided, and who hears which event.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSubjectText } from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LaneAgent } from '../agent/lane-agent.js';
import { insecureFileKeyStore } from '../secrets/key-store-choice.js';
import { hashPin } from '../agent/officers.js';
import { createSubjectKeyer } from '../agent/subject-keyer.js';
import { DisplayServer } from './display-server.js';
import { writeOfflineLane } from '../testing/offline-lane.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const listKey = Buffer.alloc(32, 7);
const F0 = '001090123456';
const F0_CARD = `${F0}|012345678|Nguyễn Văn An|01011990|Nam|Hà Nội|15042021`;

let dir: string;
let agent: LaneAgent;
let display: DisplayServer;
let base: string;
let cookie: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'display-desk-'));
  writeOfflineLane(dir, {
    listKey,
    blockingStatuses: ['F0', 'F1'],
    officers: [
      { id: 'CB-01', name: 'Lan', role: 'officer', pinHash: hashPin('1111') },
      { id: 'GS-01', name: 'Minh', role: 'supervisor', pinHash: hashPin('9999') },
    ],
  });
  agent = await LaneAgent.open({
    dataDir: dir,
    keyStore: insecureFileKeyStore(dir),
    scanners: [],
    logger,
    sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
  });
  agent.store.overlayHealth([
    {
      key: createSubjectKeyer(listKey)(parseSubjectText(F0)!),
      entry: { status: 'F0', since: null, until: null },
    },
  ]);
  agent.store.markSynced('health', Date.now());
  agent.store.markSynced('whitelist', Date.now());
  await agent.start();
  display = new DisplayServer({ logger, agent });
  await display.start();
  base = display.origin();
  cookie = display.sessionCookie('officer');
});

afterEach(async () => {
  await display.stop();
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function post(
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

const scan = async (text: string, source = 'wedge'): Promise<string> =>
  (await post('/api/scans', { text, source })).body!['scanId'] as string;

/** A WebSocket of `view` that collects every message. */
async function listen(
  view: 'officer' | 'traveller',
): Promise<{ messages: { type: string; data?: unknown; desk?: unknown }[]; ws: WebSocket }> {
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(base).port}/ws?view=${view}`, {
    headers: { cookie: display.sessionCookie(view) },
  });
  const messages: { type: string; data?: unknown }[] = [];
  ws.on('message', (m: Buffer) => messages.push(JSON.parse(m.toString()) as { type: string }));
  await new Promise((resolve) => ws.once('open', resolve));
  await expect.poll(() => messages.length).toBeGreaterThan(0);
  return { messages, ws };
}

describe('scan-bound actions', () => {
  it('acknowledges the scan named in the path, once; a second try is refused with why', async () => {
    const a = await scan(F0);
    const b = await scan('not a code');
    const ok = await post(`/api/scans/${a}/acknowledge`, { note: 'đã báo y tế' });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ type: 'ack', scanId: a, decision: 'red', note: 'đã báo y tế' });
    const again = await post(`/api/scans/${a}/acknowledge`, {});
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      error: 'already_handled',
      message: 'this scan was already acknowledged',
    });
    expect((await post('/api/scans/01890000-0000-7000-8000-000000000000/acknowledge', {})).status).toBe(404);
    expect((await post('/api/scans/not-an-id/acknowledge', {})).status).toBe(404);
    expect((await post(`/api/scans/${b}/acknowledge`, { note: 'x', extra: 1 })).status).toBe(400);
    expect(agent.desk().pending.map((i) => i.scanId)).toEqual([b]);
  });

  it('overrides the scan named in the path while other scans arrive, and answers 409 for the same decision', async () => {
    const a = await scan('not a code');
    const b = await scan(F0);
    const res = await post(`/api/scans/${a}/override`, {
      decision: 'green',
      officerId: 'CB-01',
      officerPin: '1111',
      reason: 'identity_checked',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      type: 'override',
      scanId: a,
      decision: 'green',
      originalDecision: 'amber',
    });
    expect(agent.desk().pending.map((i) => i.scanId)).toEqual([b]);
    const same = await post(`/api/scans/${a}/override`, {
      decision: 'green',
      officerId: 'CB-01',
      officerPin: '1111',
      reason: 'identity_checked',
    });
    expect(same.status).toBe(409);
    expect(same.body).toMatchObject({
      error: 'same_decision',
      message: 'the scan already has this decision',
    });
    // An override still works on a scan already handled (it is bound by id).
    expect(
      (
        await post(`/api/scans/${a}/override`, {
          decision: 'red',
          officerId: 'CB-01',
          officerPin: '1111',
          reason: 'document_mismatch',
        })
      ).status,
    ).toBe(201);
    expect(
      (await post(`/api/scans/${b}/override`, { decision: 'green', officerPin: '1111', reason: 'x' })).status,
    ).toBe(400);
  });
});

describe('manual entry', () => {
  it('refuses an invalid typed code with 422 and the reason, recording nothing', async () => {
    const before = agent.store.lastSeq();
    const res = await post('/api/scans', { text: '07930100456', source: 'manual' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ error: 'invalid_entry', reason: 'not_12_digits', digits: 11 });
    expect((await post('/api/scans', { text: '999301004567' })).body).toMatchObject({
      reason: 'unknown_province',
    });
    expect(agent.store.lastSeq()).toBe(before);
  });

  it('decides a typed plate with G and a passport with N, the plate in full on the desk', async () => {
    const plate = await post('/api/scans', { text: '30G-123.45', source: 'manual' });
    expect(plate.status).toBe(200);
    expect(plate.body).toMatchObject({ decision: 'green', source: 'manual', subject: { kind: 'plate' } });
    const passport = await post('/api/scans', { text: 'N1234567', source: 'manual' });
    expect(passport.body).toMatchObject({ decision: 'green', subject: { kind: 'passport' } });
    expect(agent.desk().recent.map((i) => i.subject?.shown)).toEqual(['••••4567', '30G-123.45']);
  });
});

describe('events', () => {
  it('gives the officer the desk in hello and after each change, and a tick every second', async () => {
    const a = await scan(F0);
    const { messages, ws } = await listen('officer');
    expect(messages[0]).toMatchObject({ type: 'hello', desk: { pendingCount: 1, pending: [{ scanId: a }] } });
    await scan('079201004568');
    await expect.poll(() => messages.filter((m) => m.type === 'desk').length, { timeout: 5000 }).toBe(1);
    expect(messages.find((m) => m.type === 'desk')).toMatchObject({ data: { pendingCount: 1 } });
    await expect
      .poll(() => messages.filter((m) => m.type === 'tick').length, { timeout: 5000 })
      .toBeGreaterThan(1);
    expect(messages.some((m) => m.type === 'traveller')).toBe(false);
    ws.close();
  });

  it('gives the traveller only traveller events: the same for red and amber, never a name or reason', async () => {
    const { messages, ws } = await listen('traveller');
    await scan(F0_CARD);
    await scan('not a code');
    await scan('079201004568');
    await expect.poll(() => messages.filter((m) => m.type === 'traveller').length, { timeout: 5000 }).toBe(3);
    // Past at least one tick: none reaches the traveller.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(messages.map((m) => m.type)).toEqual(['hello', 'traveller', 'traveller', 'traveller']);
    expect(messages.slice(1).map((m) => (m.data as { state: string }).state)).toEqual([
      'see_officer',
      'see_officer',
      'go',
    ]);
    // The times (`"at":…`) left out: an epoch in ms may hold the digits 3456 by chance.
    const said = JSON.stringify(messages).replace(/"at":\d+/g, '"at":0');
    expect(said).not.toMatch(/Nguyễn|1990|F0|health|3456|reason/);
    ws.close();
  });
});
