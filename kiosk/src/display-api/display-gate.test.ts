// The display API in gate mode (issue 17), against a real lane agent in gate mode (offline, its
// real StaffAccess, OfficerRegistry and gate controller, no relay: a screen-only totem): a locked
// gate screen takes no officer action (403 gate_locked) but still takes camera and wedge scans;
// the hidden corner's PIN unlocks the panel (wrong PIN, unknown officer, lock-out named), "Khoá"
// locks it; a staff card read by the camera is never decided (valid: the panel opens; bad: 403
// staff_card_invalid); the gate goes to both screens (the traveller's without who unlocked),
// after every hello too; gate screens connecting and leaving reach the agent (display_lost).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHECKPOINT_DEFAULTS,
  encodeStaffCard,
  parseSubjectText,
  staffCardMessage,
  type StaffCard,
} from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LaneAgent } from '../agent/lane-agent.js';
import { hashPin } from '../agent/officers.js';
import { createSubjectKeyer } from '../agent/subject-keyer.js';
import { insecureFileKeyStore } from '../secrets/key-store-choice.js';
import { writeCredentials } from '../sync/credentials.js';
import { TestListSigner } from '../sync/list-signer.testkit.js';
import { DisplayServer } from './display-server.js';
import { writeFileSync } from 'node:fs';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const listKey = Buffer.alloc(32, 7);
const F0 = '001090123456';
const OFFICERS = [
  { id: 'CB-01', name: 'Lan', role: 'officer', pinHash: hashPin('1111') },
  { id: 'GS-01', name: 'Minh', role: 'supervisor', pinHash: hashPin('9999') },
] as const;
const signer = TestListSigner.create(0);

let dir: string | null = null;
let lane: LaneAgent | null = null;
let display: DisplayServer | null = null;
let base: string;
let cookie: string;
let recorder: Server | null = null;

/**
 * A stand-in for the checkpoint server that only records the lane's heartbeats (and answers 503 to
 * everything): no real server is needed to see when the lane reports (tests/integration has those).
 */
async function heartbeatRecorder(): Promise<{ url: string; beats: { at: number; body: unknown }[] }> {
  const beats: { at: number; body: unknown }[] = [];
  recorder = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/v1/kiosk/heartbeat')
        beats.push({ at: Date.now(), body: JSON.parse(body) as unknown });
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"unavailable"}');
    });
  });
  await new Promise<void>((resolve) => recorder!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`, beats };
}

/** A staff card for CP-1 signed by `by` (the lane pins `signer`). */
function staffCard(officerId = 'CB-01', by = signer): string {
  const now = Math.floor(Date.now() / 1000);
  const card: StaffCard = {
    checkpointId: 'CP-1',
    officerId,
    cardId: 'card-1',
    issuedAt: now - 60,
    expiresAt: now + 86_400,
  };
  return encodeStaffCard(card, by.signText(staffCardMessage(card)));
}

/** A real offline lane (gate mode or not) pinning `signer`, with its display server. */
async function serve(
  gateMode: boolean,
  displayLostMs = 60_000,
  serverUrl = 'http://127.0.0.1:9',
): Promise<LaneAgent> {
  dir = mkdtempSync(join(tmpdir(), 'display-gate-'));
  writeCredentials(dir, {
    serverUrl,
    kioskId: 'k-1',
    token: 't',
    listKey: listKey.toString('base64'),
    listSigningKeys: [signer.key],
    checkpoint: {
      id: 'CP-1',
      name: 'Chốt 1',
      mode: 'open',
      ...CHECKPOINT_DEFAULTS,
      blockingStatuses: ['F0', 'F1'],
    },
  });
  writeFileSync(join(dir, 'officers.json'), JSON.stringify(OFFICERS));
  lane = await LaneAgent.open({
    dataDir: dir,
    keyStore: insecureFileKeyStore(dir),
    scanners: [],
    logger,
    gateMode,
    gateDisplay: gateMode,
    gateTimings: { displayLostMs },
    sync: { retry: { baseMs: 60_000, capMs: 60_000 }, heartbeatMs: 600_000 },
  });
  lane.store.overlayHealth([
    {
      key: createSubjectKeyer(listKey)(parseSubjectText(F0)!),
      entry: { status: 'F0', since: null, until: null },
    },
  ]);
  lane.store.markSynced('health', Date.now());
  await lane.start();
  display = new DisplayServer({ logger, agent: lane });
  await display.start();
  base = display.origin();
  cookie = display.sessionCookie('officer');
  return lane;
}

afterEach(async () => {
  if (recorder !== null) await new Promise((resolve) => recorder!.close(resolve));
  recorder = null;
  await display?.stop();
  display = null;
  await lane?.stop();
  lane = null;
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
  dir = null;
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
    await serve(false);
    const unlock = await post('/api/gate/unlock', { officerId: 'CB-01', pin: '1111' });
    expect(unlock).toEqual({
      status: 409,
      body: {
        ok: false,
        error: 'not_gate_mode',
        message: expect.stringContaining('not in gate mode') as unknown,
      },
    });
    expect(lane!.gateView('officer')).toMatchObject({ unattended: false, unlock: null });
    const lock = await post('/api/gate/lock', {});
    expect(lock.status).toBe(409);
    expect(lock.body).toMatchObject({ error: 'not_gate_mode' });
    const red = await scan(F0, 'wedge');
    expect((await post(`/api/scans/${red.scanId}/acknowledge`, {})).status).toBe(201);
    expect((await scan('079201004568', 'manual')).status).toBe(200);
  });
});

describe('gate mode, panel locked', () => {
  it('refuses every officer action with 403 gate_locked, recording nothing; camera and wedge scans go through', async () => {
    await serve(true);
    const red = await scan(F0, 'camera');
    expect(red.status).toBe(200);
    expect((await scan('079201004568', 'wedge')).status).toBe(200);
    const before = lane!.store.lastSeq();
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
    expect(lane!.store.lastSeq()).toBe(before);
    expect(lane!.desk().pending.map((i) => i.scanId)).toContain(red.scanId);
    expect(lane!.gateView('officer').unlock).toBeNull();
    // Reading the status and the officers (for the picker) stays open.
    expect((await fetch(`${base}/api/officers`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${base}/api/status`, { headers: { cookie } })).status).toBe(200);
  });
});

describe('gate unlock and lock', () => {
  it('refuses a bad body, an unknown officer and a wrong PIN; the right PIN opens the desk; Khoá closes it', async () => {
    await serve(true);
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
    await serve(true);
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
    await serve(true);
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
      data: {
        unattended: true,
        relay: null,
        state: 'idle',
        openUntil: null,
        faults: [],
        unlock: null,
        cardRefusedAt: null,
      },
    });
    await scan(F0, 'camera');
    // A red at the gate: the traveller's view, and the gate shut (the same for amber).
    await expect
      .poll(() => traveller.messages.slice(3).map((m) => [m.type, (m.data as { state?: string }).state]))
      .toEqual(
        expect.arrayContaining([
          ['traveller', 'see_officer'],
          ['gate', 'shut'],
        ]),
      );
    expect(traveller.messages.slice(0, 3).map((m) => m.type)).toEqual(['hello', 'gate', 'gate']);
    expect(JSON.stringify(traveller.messages)).not.toMatch(/GS-01|Minh|CB-01/);
    officer.ws.close();
    traveller.ws.close();
  });

  it('a lane with no gate (no relay, not unattended) sends no gate message after hello', async () => {
    await serve(false);
    const ws = new WebSocket(`ws://127.0.0.1:${new URL(base).port}/ws?view=officer`, { headers: { cookie } });
    const types: string[] = [];
    ws.on('message', (m: Buffer) => types.push((JSON.parse(m.toString()) as { type: string }).type));
    await expect.poll(() => types.includes('tick'), { timeout: 5000 }).toBe(true);
    expect(types.filter((t) => t !== 'tick')).toEqual(['hello']);
    ws.close();
  });

  it('gate screens connecting and leaving reach the agent: none for a while is display_lost, an officer screen clears it, a traveller screen does not', async () => {
    const agent = await serve(true, 400);
    await expect.poll(() => agent.gateFaults(), { timeout: 5000 }).toContain('display_lost');
    const t = await listen('traveller');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(agent.gateFaults()).toContain('display_lost');
    const a = await listen('officer');
    await expect.poll(() => agent.gateFaults(), { timeout: 5000 }).not.toContain('display_lost');
    expect(a.messages.filter((m) => m.type === 'gate').at(-1)!.data).toMatchObject({ state: 'idle' });
    a.ws.close();
    await expect.poll(() => agent.gateFaults(), { timeout: 5000 }).toContain('display_lost');
    t.ws.close();
  });
});

describe('staff cards read by the camera', () => {
  it('are never decided nor recorded: a valid one opens the panel (409 staff_card), a bad one is 403 staff_card_invalid', async () => {
    const agent = await serve(true);
    const before = agent.store.lastSeq();
    const stranger = TestListSigner.create(0);
    expect(await post('/api/scans', { text: staffCard('CB-01', stranger), source: 'camera' })).toMatchObject({
      status: 403,
      body: {
        error: 'staff_card_invalid',
        message: expect.stringContaining('Thẻ nhân viên không hợp lệ') as unknown,
      },
    });
    expect(await post('/api/scans', { text: staffCard('CB-99'), source: 'wedge' })).toMatchObject({
      status: 403,
      body: { error: 'staff_card_invalid' },
    });
    expect(agent.gateView('officer').unlock).toBeNull();
    expect(await post('/api/scans', { text: staffCard('CB-01'), source: 'camera' })).toMatchObject({
      status: 409,
      body: { error: 'staff_card' },
    });
    expect(agent.gateView('officer').unlock).toMatchObject({ officerId: 'CB-01', via: 'staff_card' });
    expect(agent.store.lastSeq()).toBe(before);
    expect(agent.desk().recent).toEqual([]);
  });

  it('a lane not in gate mode decides a staff card text like any code (nothing unlocks)', async () => {
    const agent = await serve(false);
    expect((await post('/api/scans', { text: staffCard('CB-01'), source: 'camera' })).status).toBe(200);
    expect(agent.gateView('officer').unlock).toBeNull();
  });
});

describe('lane-wide limit on failed unlocks (the gate screen is public)', () => {
  it('10 failed unlocks refuse every PIN (the right one of an officer never locked too), counted for the centre; a valid staff card still opens', async () => {
    const agent = await serve(true);
    const t0 = Date.now();
    // Wrong PINs spread so that no officer reaches the registry's own lock-out (5), and a bad card.
    const tries: [string, string][] = [
      ['CB-01', '0000'],
      ['GS-01', '0000'],
      ['CB-77', '0000'],
      ['CB-01', '0001'],
      ['GS-01', '0001'],
      ['CB-77', '0001'],
      ['CB-01', '0002'],
      ['GS-01', '0002'],
    ];
    for (const [officerId, pin] of tries)
      expect((await post('/api/gate/unlock', { officerId, pin })).body).toMatchObject({ ok: false });
    expect((await post('/api/scans', { text: staffCard('CB-99'), source: 'camera' })).status).toBe(403);
    const tenth = await post('/api/gate/unlock', { officerId: 'CB-01', pin: '0003' });
    expect(tenth).toMatchObject({ status: 403, body: { ok: false, error: 'locked_out' } });
    const until = tenth.body!['lockedUntil'] as number;
    expect(until).toBeGreaterThanOrEqual(t0 + 600_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 600_000);
    expect(await post('/api/gate/unlock', { officerId: 'GS-01', pin: '9999' })).toMatchObject({
      status: 403,
      body: { ok: false, error: 'locked_out', lockedUntil: until },
    });
    expect(agent.gateView('officer').unlock).toBeNull();
    expect(agent.gateReport()?.counts.unlockFailures).toBe(11);
    expect(await post('/api/scans', { text: staffCard('CB-01'), source: 'camera' })).toMatchObject({
      status: 409,
      body: { error: 'staff_card' },
    });
    expect(agent.gateView('officer').unlock).toMatchObject({ officerId: 'CB-01', via: 'staff_card' });
  });
});

describe('a locked gate screen gets no desk data', () => {
  it('hello and changes carry an empty desk, no decision nor override, the traveller view instead; the real desk at unlock, empty again at lock', async () => {
    const agent = await serve(true);
    const red = await scan(F0, 'camera');
    expect(agent.desk().pending.map((i) => i.scanId)).toContain(red.scanId);
    const officer = await listen('officer');
    const hello = officer.messages[0] as { type: string; desk?: unknown };
    expect(hello.type).toBe('hello');
    expect(hello.desk).toEqual({ pending: [], pendingCount: 0, recent: [], vehicleMode: false });
    // A scan while locked: the gate screen hears the traveller's view (see staff), nothing else of it.
    const from = officer.messages.length;
    const second = await scan('079201004568', 'wedge');
    expect(second.scanId).toEqual(expect.any(String));
    await expect.poll(() => officer.messages.slice(from).map((m) => m.type)).toContain('traveller');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const whileLocked = officer.messages.slice(from);
    expect(
      whileLocked.map((m) => m.type).filter((t) => t !== 'gate' && t !== 'device' && t !== 'sync'),
    ).toEqual(['traveller']);
    expect(whileLocked.find((m) => m.type === 'traveller')!.data).toMatchObject({ state: 'go' });
    const masked = agent.desk().recent.map((i) => i.subject?.shown);
    expect(masked).toHaveLength(2);
    for (const m of masked) expect(JSON.stringify(officer.messages)).not.toContain(m!);
    expect(JSON.stringify(officer.messages)).not.toContain(red.scanId);
    expect(JSON.stringify(officer.messages)).not.toContain(second.scanId);
    // Unlocked: the gate, then the real desk.
    const at = officer.messages.length;
    expect((await post('/api/gate/unlock', { officerId: 'CB-01', pin: '1111' })).status).toBe(200);
    await expect.poll(() => officer.messages.slice(at).map((m) => m.type)).toEqual(['gate', 'desk']);
    const desk = officer.messages.at(-1)!.data as {
      pending: { scanId: string }[];
      recent: { scanId: string }[];
    };
    expect(desk.pending.map((i) => i.scanId)).toEqual([red.scanId]);
    expect(desk.recent.map((i) => i.scanId)).toEqual(expect.arrayContaining([red.scanId, second.scanId]));
    // Unlocked, a scan is the officer's as ever: decision and desk, no traveller message.
    const at2 = officer.messages.length;
    expect((await scan('079201004567', 'wedge')).scanId).toEqual(expect.any(String));
    await expect.poll(() => officer.messages.slice(at2).map((m) => m.type)).toContain('desk');
    expect(officer.messages.slice(at2).map((m) => m.type)).toContain('decision');
    expect(officer.messages.slice(at2).map((m) => m.type)).not.toContain('traveller');
    // A screen that (re)connects while unlocked gets the real desk in its hello.
    const other = await listen('officer');
    expect((other.messages[0] as { desk?: { pending: unknown[] } }).desk!.pending.length).toBeGreaterThan(0);
    // Khoá: the gate, then the empty desk again, on every officer socket.
    const at3 = officer.messages.length;
    const at3b = other.messages.length;
    await post('/api/gate/lock', {});
    await expect.poll(() => officer.messages.slice(at3).map((m) => m.type)).toEqual(['gate', 'desk']);
    await expect.poll(() => other.messages.slice(at3b).map((m) => m.type)).toEqual(['gate', 'desk']);
    expect(officer.messages.at(-1)!.data).toEqual({
      pending: [],
      pendingCount: 0,
      recent: [],
      vehicleMode: false,
    });
    officer.ws.close();
    other.ws.close();
  });
});

describe('a refused staff card from any scanner', () => {
  it('shows in the officer gate view (cardRefusedAt), never in the traveller’s', async () => {
    const agent = await serve(true);
    const officer = await listen('officer');
    const traveller = await listen('traveller');
    expect(agent.gateView('officer').cardRefusedAt).toBeNull();
    const before = Date.now();
    // What a serial or HID scanner's reading goes through (the agent's scanner callback).
    expect(agent.staffCard(staffCard('CB-01', TestListSigner.create(0)))).toMatchObject({ ok: false });
    await expect
      .poll(
        () =>
          (officer.messages.filter((m) => m.type === 'gate').at(-1)!.data as { cardRefusedAt: unknown })
            .cardRefusedAt,
      )
      .toBeGreaterThanOrEqual(before);
    await expect.poll(() => traveller.messages.filter((m) => m.type === 'gate').length).toBe(2);
    for (const m of traveller.messages.filter((x) => x.type === 'gate'))
      expect((m.data as { cardRefusedAt?: unknown }).cardRefusedAt ?? null).toBeNull();
    expect(agent.gateView('traveller').cardRefusedAt).toBeNull();
    officer.ws.close();
    traveller.ws.close();
  });
});

describe('a failed unlock tells the centre', () => {
  it('a wrong PIN and a bad card each send a heartbeat soon, with the failures counted', async () => {
    const { url, beats } = await heartbeatRecorder();
    const agent = await serve(true, 60_000, url);
    // The start's heartbeat, then quiet (the periodic one is 10 minutes away).
    await expect.poll(() => beats.length, { timeout: 10_000 }).toBeGreaterThan(0);
    let seen = beats.length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(beats.length).toBe(seen);
    const failures = (b: { body: unknown }): unknown =>
      (b.body as { gate?: { counts?: { unlockFailures?: number } } }).gate?.counts?.unlockFailures;
    expect(failures(beats.at(-1)!)).toBe(0);
    seen = beats.length;
    expect((await post('/api/gate/unlock', { officerId: 'CB-01', pin: '0000' })).status).toBe(403);
    await expect.poll(() => beats.length, { timeout: 8000 }).toBeGreaterThan(seen);
    expect(failures(beats.at(-1)!)).toBe(1);
    seen = beats.length;
    expect(agent.staffCard(staffCard('CB-01', TestListSigner.create(0)))).toMatchObject({ ok: false });
    await expect.poll(() => beats.length, { timeout: 8000 }).toBeGreaterThan(seen);
    expect(failures(beats.at(-1)!)).toBe(2);
    // Never a PIN nor a card in what the centre hears.
    expect(JSON.stringify(beats)).not.toMatch(/0000"|CLSC1/);
  }, 40_000);
});
