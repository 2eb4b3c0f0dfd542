// The display API in gate mode (issue 17): a locked gate screen takes no officer action (403
// gate_locked) but still takes camera and wedge scans; the hidden corner's PIN unlocks the panel
// (wrong PIN, unknown officer, lock-out named), "Khoá" locks it; the gate goes to both screens
// (the traveller's without who unlocked), after every hello too; the agent hears how many gate
// screens are connected. A real lane agent (offline) decides; its gate side is a real StaffAccess
// over a real OfficerRegistry, joined to it here as the lane agent joins them in gate mode (this
// test covers the display API's side of that seam, not the agent's gate controller).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSubjectText, type GateView, type RelayedMessage } from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LaneAgent } from '../agent/lane-agent.js';
import { hashPin, OfficerRegistry } from '../agent/officers.js';
import { createSubjectKeyer } from '../agent/subject-keyer.js';
import { StaffAccess } from '../gate/staff-access.js';
import { insecureFileKeyStore } from '../secrets/key-store-choice.js';
import { writeOfflineLane } from '../testing/offline-lane.js';
import type { DisplayAgent } from './display-agent.js';
import { DisplayServer } from './display-server.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const listKey = Buffer.alloc(32, 7);
const F0 = '001090123456';
const OFFICERS = [
  { id: 'CB-01', name: 'Lan', role: 'officer', pinHash: hashPin('1111') },
  { id: 'GS-01', name: 'Minh', role: 'supervisor', pinHash: hashPin('9999') },
] as const;

let dir: string;
let lane: LaneAgent;
let display: DisplayServer | null = null;
let access: StaffAccess;
let counts: number[];
let base: string;
let cookie: string;

/**
 * The lane agent with a gate side: the view's state is the test's, the panel's lock a real
 * StaffAccess; `unattended` false is a lane with a relay but an officer at the desk.
 */
function withGate(unattended: boolean): DisplayAgent {
  // This agent's own list: a socket of the test before closing late is not counted here.
  const seen: number[] = [];
  counts = seen;
  const listeners = new Set<(m: RelayedMessage) => void>();
  const view = (v: 'officer' | 'traveller'): GateView => ({
    unattended,
    relay: null,
    state: 'idle',
    openUntil: null,
    faults: [],
    unlock: v === 'officer' ? access.current() : null,
  });
  access.onChange(() => {
    for (const l of listeners) l({ type: 'gate', data: view('officer') });
  });
  return {
    submit: (text, source) => lane.submit(text, source),
    override: (scanId, body) => lane.override(scanId, body),
    acknowledge: (scanId, note) => lane.acknowledge(scanId, note),
    desk: () => lane.desk(),
    status: () => lane.status(),
    officers: () => lane.officers(),
    vehiclePassed: (id) => lane.vehiclePassed(id),
    onEvent: (listener) => {
      const off = lane.onEvent(listener);
      listeners.add(listener);
      return () => {
        off();
        listeners.delete(listener);
      };
    },
    gateView: view,
    gateUnlock: (officerId, pin) => access.pin(officerId, pin),
    gateLock: () => {
      access.lock();
    },
    displayConnected: (n) => seen.push(n),
  };
}

async function serve(agent: DisplayAgent): Promise<void> {
  display = new DisplayServer({ logger, agent });
  await display.start();
  base = display.origin();
  cookie = display.sessionCookie('officer');
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'display-gate-'));
  writeOfflineLane(dir, { listKey, blockingStatuses: ['F0', 'F1'], officers: [...OFFICERS] });
  lane = await LaneAgent.open({
    dataDir: dir,
    keyStore: insecureFileKeyStore(dir),
    scanners: [],
    logger,
    sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
  });
  lane.store.overlayHealth([
    {
      key: createSubjectKeyer(listKey)(parseSubjectText(F0)!),
      entry: { status: 'F0', since: null, until: null },
    },
  ]);
  lane.store.markSynced('health', Date.now());
  await lane.start();
  counts = [];
  access = new StaffAccess({
    trust: { verifyDetached: () => ({ ok: false, error: 'unknown_key' }) },
    officers: new OfficerRegistry([...OFFICERS], { pinPepper: randomBytes(32) }),
    checkpointId: () => 'CP-1',
    logger,
  });
});

afterEach(async () => {
  await display?.stop();
  display = null;
  access.stop();
  await lane.stop();
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

const scan = async (text: string, source: string): Promise<{ status: number; scanId: string }> => {
  const res = await post('/api/scans', { text, source });
  return { status: res.status, scanId: res.body?.['scanId'] as string };
};

/** A WebSocket of `view` that collects every message but ticks. */
async function listen(
  view: 'officer' | 'traveller',
): Promise<{ messages: { type: string; data?: unknown }[]; ws: WebSocket }> {
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(base).port}/ws?view=${view}`, {
    headers: { cookie: display!.sessionCookie(view) },
  });
  const messages: { type: string; data?: unknown }[] = [];
  ws.on('message', (m: Buffer) => {
    const parsed = JSON.parse(m.toString()) as { type: string };
    if (parsed.type !== 'tick') messages.push(parsed);
  });
  await new Promise((resolve) => ws.once('open', resolve));
  await expect.poll(() => messages.length).toBeGreaterThan(1);
  return { messages, ws };
}

const ACTIONS_REFUSED = (scanId: string): [string, unknown][] => [
  [`/api/scans/${scanId}/acknowledge`, {}],
  [
    `/api/scans/${scanId}/override`,
    { decision: 'green', officerId: 'CB-01', officerPin: '1111', reason: 'identity_checked' },
  ],
  [
    '/api/overrides',
    { scanId, decision: 'green', officerId: 'CB-01', officerPin: '1111', reason: 'identity_checked' },
  ],
  [`/api/vehicles/${scanId}/passed`, {}],
  ['/api/scans', { text: '079201004568', source: 'manual' }],
];

describe('a lane not in gate mode', () => {
  it('answers the gate actions 409 not_gate_mode and refuses no officer action', async () => {
    await serve(withGate(false));
    const unlock = await post('/api/gate/unlock', { officerId: 'CB-01', pin: '1111' });
    expect(unlock).toEqual({
      status: 409,
      body: {
        ok: false,
        error: 'not_gate_mode',
        message: expect.stringContaining('not in gate mode') as unknown,
      },
    });
    expect(access.current()).toBeNull();
    const lock = await post('/api/gate/lock', {});
    expect(lock.status).toBe(409);
    expect(lock.body).toMatchObject({ error: 'not_gate_mode' });
    const red = await scan(F0, 'wedge');
    expect((await post(`/api/scans/${red.scanId}/acknowledge`, {})).status).toBe(201);
    expect((await scan('079201004568', 'manual')).status).toBe(200);
  });

  it('a lane agent without a gate (no gateView) is not in gate mode either', async () => {
    await serve(lane);
    expect((await post('/api/gate/unlock', { officerId: 'CB-01', pin: '1111' })).status).toBe(409);
    expect((await post('/api/gate/lock', {})).status).toBe(409);
  });
});

describe('gate mode, panel locked', () => {
  it('refuses every officer action with 403 gate_locked, recording nothing; camera and wedge scans go through', async () => {
    await serve(withGate(true));
    const red = await scan(F0, 'camera');
    expect(red.status).toBe(200);
    expect((await scan('079201004568', 'wedge')).status).toBe(200);
    const before = lane.store.lastSeq();
    for (const [path, body] of ACTIONS_REFUSED(red.scanId)) {
      const res = await post(path, body);
      expect({ path, status: res.status, body: res.body }).toEqual({
        path,
        status: 403,
        body: { error: 'gate_locked', message: expect.stringContaining('locked') as unknown },
      });
    }
    // A submit with no source counts as typed: refused too.
    expect((await post('/api/scans', { text: '079201004568' })).status).toBe(403);
    expect(lane.store.lastSeq()).toBe(before);
    expect(lane.desk().pending.map((i) => i.scanId)).toContain(red.scanId);
    // Reading the status and the officers (for the picker) stays open.
    expect((await fetch(`${base}/api/officers`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${base}/api/status`, { headers: { cookie } })).status).toBe(200);
  });
});

describe('gate unlock and lock', () => {
  it('refuses a bad body, an unknown officer and a wrong PIN; the right PIN opens the desk; Khoá closes it', async () => {
    await serve(withGate(true));
    const red = await scan(F0, 'camera');
    expect((await post('/api/gate/unlock', { officerId: 'CB-01', pin: '12' })).body).toMatchObject({
      error: 'bad_gate_unlock',
    });
    expect((await post('/api/gate/unlock', { officerId: 'CB-01', pin: '1111', extra: 1 })).status).toBe(400);
    expect(await post('/api/gate/unlock', { officerId: 'CB-77', pin: '1111' })).toMatchObject({
      status: 404,
      body: { ok: false, error: 'unknown_officer' },
    });
    expect(await post('/api/gate/unlock', { officerId: 'CB-01', pin: '0000' })).toMatchObject({
      status: 403,
      body: { ok: false, error: 'wrong_pin', message: expect.stringContaining('Sai mã PIN') as unknown },
    });
    expect((await post(`/api/scans/${red.scanId}/acknowledge`, {})).status).toBe(403);
    const t0 = Date.now();
    const ok = await post('/api/gate/unlock', { officerId: 'CB-01', pin: '1111' });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, unlock: { officerId: 'CB-01', via: 'pin' } });
    const until = (ok.body!['unlock'] as { until: number }).until;
    expect(until).toBeGreaterThanOrEqual(t0 + 60_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 60_000);
    // Unlocked: the desk's actions work (and the keypad).
    expect((await post(`/api/scans/${red.scanId}/acknowledge`, {})).status).toBe(201);
    expect((await scan('079201004568', 'manual')).status).toBe(200);
    expect(await post('/api/gate/lock', {})).toEqual({ status: 200, body: { ok: true, unlock: null } });
    expect((await scan('079201004568', 'manual')).status).toBe(403);
    expect((await post('/api/gate/lock', { x: 1 })).body).toMatchObject({ error: 'bad_gate_lock' });
  });

  it('names a lock-out and until when (the registry’s five wrong PINs)', async () => {
    await serve(withGate(true));
    let last: { status: number; body: Record<string, unknown> | null } | null = null;
    for (let k = 0; k < 5; k++) last = await post('/api/gate/unlock', { officerId: 'CB-01', pin: '0000' });
    expect(last).toMatchObject({ status: 403, body: { ok: false, error: 'locked_out' } });
    expect(last!.body!['lockedUntil']).toBeGreaterThan(Date.now() + 50_000);
    expect(await post('/api/gate/unlock', { officerId: 'CB-01', pin: '1111' })).toMatchObject({
      status: 403,
      body: { error: 'locked_out' },
    });
    // Another officer is not locked.
    expect((await post('/api/gate/unlock', { officerId: 'GS-01', pin: '9999' })).status).toBe(200);
  });
});

describe('gate events', () => {
  it('sends the gate after each hello and on each change: the officer with who unlocked, the traveller never', async () => {
    await serve(withGate(true));
    const officer = await listen('officer');
    const traveller = await listen('traveller');
    expect(officer.messages.slice(0, 2).map((m) => m.type)).toEqual(['hello', 'gate']);
    expect(officer.messages[1]!.data).toMatchObject({ unattended: true, state: 'idle', unlock: null });
    expect(traveller.messages.map((m) => m.type)).toEqual(['hello', 'gate']);
    await post('/api/gate/unlock', { officerId: 'GS-01', pin: '9999' });
    await expect.poll(() => officer.messages.filter((m) => m.type === 'gate').length).toBe(2);
    await expect.poll(() => traveller.messages.filter((m) => m.type === 'gate').length).toBe(2);
    expect(officer.messages.filter((m) => m.type === 'gate')[1]!.data).toMatchObject({
      unlock: { officerId: 'GS-01', via: 'pin' },
    });
    expect(traveller.messages[2]).toEqual({
      type: 'gate',
      data: { unattended: true, relay: null, state: 'idle', openUntil: null, faults: [], unlock: null },
    });
    await scan(F0, 'camera');
    await expect.poll(() => traveller.messages.length).toBe(4);
    expect(traveller.messages.map((m) => m.type)).toEqual(['hello', 'gate', 'gate', 'traveller']);
    expect(JSON.stringify(traveller.messages)).not.toMatch(/GS-01|Minh|CB-01/);
    officer.ws.close();
    traveller.ws.close();
  });

  it('a lane with no gate (no relay, not unattended) sends no gate message after hello', async () => {
    await serve(withGate(false));
    const ws = new WebSocket(`ws://127.0.0.1:${new URL(base).port}/ws?view=officer`, { headers: { cookie } });
    const types: string[] = [];
    ws.on('message', (m: Buffer) => types.push((JSON.parse(m.toString()) as { type: string }).type));
    await expect.poll(() => types.includes('tick'), { timeout: 5000 }).toBe(true);
    expect(types.filter((t) => t !== 'tick')).toEqual(['hello']);
    ws.close();
  });

  it('tells the agent how many gate (officer) screens are connected: 0 at start, up and down, travellers not counted', async () => {
    await serve(withGate(true));
    expect(counts).toEqual([0]);
    const a = await listen('officer');
    const b = await listen('officer');
    const t = await listen('traveller');
    expect(counts).toEqual([0, 1, 2]);
    a.ws.close();
    await expect.poll(() => counts.at(-1)).toBe(1);
    b.ws.close();
    await expect.poll(() => counts.at(-1)).toBe(0);
    t.ws.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(counts).toEqual([0, 1, 2, 1, 0]);
  });
});
