import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
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

let dir: string;
let agent: LaneAgent;
let display: DisplayServer;
let base: string;
let officerCookie: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'display-api-'));
  // A real lane, enrolled to a server that is not there: it decides offline.
  writeOfflineLane(dir, {
    listKey,
    blockingStatuses: ['F0', 'F1'],
    officers: [
      { id: 'CB-01', role: 'officer', pinHash: hashPin('1111') },
      { id: 'CB-02', role: 'officer', pinHash: hashPin('2222') },
      { id: 'GS-01', role: 'supervisor', pinHash: hashPin('9999') },
    ],
  });
  agent = await LaneAgent.open({
    dataDir: dir,
    keyStore: insecureFileKeyStore(dir),
    scanners: [],
    logger,
    sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
  });
  const key = createSubjectKeyer(listKey)(parseSubjectText(F0)!);
  agent.store.overlayHealth([{ key, entry: { status: 'F0', since: null, until: null } }]);
  await agent.start();
  display = new DisplayServer({
    logger,
    agent,
  });
  await display.start();
  base = display.origin();
  officerCookie = display.sessionCookie('officer');
});

afterEach(async () => {
  await display.stop();
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { cookie: officerCookie, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> | null };
}

describe('display API', () => {
  it('takes manual entry through the same decision path as a scan', async () => {
    const res = await post('/api/scans', { text: F0 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ decision: 'red', reasons: ['health_blocked'], source: 'manual' });
    expect(JSON.stringify(res.body)).not.toContain(F0);
  });

  it('refuses requests without a session, with a wrong one, from a foreign origin or host', async () => {
    expect((await post('/api/scans', { text: F0 }, { cookie: '' })).status).toBe(403);
    const name = officerCookie.split('=')[0]!;
    expect((await post('/api/scans', { text: F0 }, { cookie: `${name}=nope` })).status).toBe(403);
    // A bearer token is no credential here (there is none to give).
    expect((await post('/api/scans', { text: F0 }, { cookie: '', authorization: 'Bearer x' })).status).toBe(
      403,
    );
    expect((await post('/api/scans', { text: F0 }, { origin: 'http://evil.example' })).status).toBe(403);
    // A rebinding DNS name reaches 127.0.0.1 with a foreign Host header (fetch cannot set Host).
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(`${base}/api/status`, { headers: { cookie: officerCookie, host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(421);
    expect((await post('/api/scans', { text: 12 })).status).toBe(400);
    expect(agent.store.lastSeq()).toBe(0); // nothing refused was recorded
  });

  it('streams decisions to a display over the WebSocket, and only with a session', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${new URL(base).port}/ws`, {
      headers: { cookie: officerCookie },
    });
    const messages: { type: string; data?: { decision?: string } }[] = [];
    const got = (type: string) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (messages.some((m) => m.type === type)) resolve();
          else setTimeout(check, 10);
        };
        check();
      });
    ws.on('message', (m: Buffer) => messages.push(JSON.parse(m.toString()) as { type: string }));
    await got('hello');
    await post('/api/scans', { text: '079301004567' });
    await got('decision');
    expect(messages.find((m) => m.type === 'decision')?.data?.decision).toMatch(/green|amber/);
    ws.close();

    const refused = new WebSocket(`ws://127.0.0.1:${new URL(base).port}/ws`);
    const error = await new Promise<Error>((resolve) => refused.on('error', resolve));
    expect(error.message).toMatch(/403/);
  });

  it('records an override with the named officer’s right PIN and refuses a wrong one', async () => {
    const scan = (await post('/api/scans', { text: '079301004567' })).body!;
    const base = { scanId: scan['scanId'], decision: 'red', officerId: 'CB-01' };
    expect((await post('/api/overrides', { ...base, officerPin: '0000', reason: 'x' })).status).toBe(403);
    // Another officer's PIN is not this officer's: only the named officer's hash is tried.
    expect((await post('/api/overrides', { ...base, officerPin: '2222', reason: 'x' })).status).toBe(403);
    expect(
      (await post('/api/overrides', { ...base, officerId: 'nobody', officerPin: '1111', reason: 'x' })).body,
    ).toMatchObject({ error: 'unknown_officer' });
    const ok = await post('/api/overrides', {
      ...base,
      officerPin: '1111',
      reason: 'document_mismatch',
      note: 'ảnh không khớp',
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({
      type: 'override',
      officerId: 'CB-01',
      decision: 'red',
      supervisorId: null,
    });
    expect(ok.body!['originalDecision']).toBe(scan['decision']);
    expect((await post('/api/overrides', { ...base, officerPin: '1111', reason: 'x' })).status).toBe(409);
    expect(agent.store.pendingRecords(10).map((r) => r.type)).toEqual(['scan', 'override']);
  });

  it('refuses "other" as a reason without a note', async () => {
    const scan = (await post('/api/scans', { text: '079301004567' })).body!;
    const base = { scanId: scan['scanId'], decision: 'red', officerId: 'CB-01', officerPin: '1111' };
    expect((await post('/api/overrides', { ...base, reason: 'other', note: '  ' })).body).toMatchObject({
      error: 'invalid_request',
    });
    expect((await post('/api/overrides', { ...base, reason: 'other', note: 'say why' })).status).toBe(201);
  });

  it('needs a second officer, a named supervisor, to let a health-blocked red through', async () => {
    const scan = (await post('/api/scans', { text: F0 })).body!;
    const base = { scanId: scan['scanId'], decision: 'green', reason: 'medical_emergency' };
    expect(
      (await post('/api/overrides', { ...base, officerId: 'CB-01', officerPin: '1111' })).body,
    ).toMatchObject({ error: 'needs_supervisor' });
    const as = (officerId: string, officerPin: string, supervisorId: string, supervisorPin: string) =>
      post('/api/overrides', { ...base, officerId, officerPin, supervisorId, supervisorPin });
    expect((await as('CB-01', '1111', 'CB-02', '2222')).body).toMatchObject({ error: 'not_supervisor' });
    expect((await as('GS-01', '9999', 'GS-01', '9999')).body).toMatchObject({
      error: 'supervisor_same_officer',
    });
    const ok = await as('CB-01', '1111', 'GS-01', '9999');
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({
      officerId: 'CB-01',
      supervisorId: 'GS-01',
      originalDecision: 'red',
      decision: 'green',
    });
  });

  it('lists the officers for the dialog (names, roles, locks; no PIN hashes), to the officer only', async () => {
    const res = await fetch(`${base}/api/officers`, { headers: { cookie: officerCookie } });
    expect(res.status).toBe(200);
    const officers = (await res.json()) as unknown[];
    expect(officers).toEqual([
      { id: 'CB-01', name: 'CB-01', role: 'officer', lockedUntil: null },
      { id: 'CB-02', name: 'CB-02', role: 'officer', lockedUntil: null },
      { id: 'GS-01', name: 'GS-01', role: 'supervisor', lockedUntil: null },
    ]);
    const traveller = await fetch(`${base}/api/officers`, {
      headers: { cookie: display.sessionCookie('traveller') },
    });
    expect(traveller.status).toBe(403);
  });

  it('locks only the officer who typed five wrong PINs, and says until when', async () => {
    expect((await post('/api/overrides', {})).status).toBe(400);
    const id = (await post('/api/scans', { text: '079301004567' })).body!['scanId'];
    const as = (officerId: string, officerPin: string) =>
      post('/api/overrides', { scanId: id, decision: 'red', officerId, officerPin, reason: 'x' });
    for (let i = 0; i < 4; i++) expect((await as('CB-01', `000${i}`)).status).toBe(403);
    const locked = await as('CB-01', '0004');
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ error: 'locked_out', officerId: 'CB-01' });
    const until = locked.body!['lockedUntil'] as number;
    expect(until - Date.now()).toBeGreaterThan(55_000);
    expect((await as('CB-01', '1111')).status).toBe(429); // even the right PIN, while locked
    const listed = (await (
      await fetch(`${base}/api/officers`, { headers: { cookie: officerCookie } })
    ).json()) as {
      id: string;
      lockedUntil: number | null;
    }[];
    expect(listed.find((o) => o.id === 'CB-01')?.lockedUntil).toBe(until);
    expect(listed.find((o) => o.id === 'CB-02')?.lockedUntil).toBeNull();
    expect((await as('CB-02', '2222')).status).toBe(201); // another officer is not locked
  });
});
