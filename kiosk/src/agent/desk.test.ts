import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSubjectText, type Desk, type TravellerView } from '@checkpoint-lane/shared';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LaneStore } from '../store/lane-store.js';
import type { LaneDecision } from './decision-loop.js';
import { LaneDesk } from './desk.js';
import { LaneAgent, type LaneEvent } from './lane-agent.js';
import { insecureFileKeyStore } from '../secrets/key-store-choice.js';
import { hashPin } from './officers.js';
import { createSubjectKeyer } from './subject-keyer.js';
import { writeOfflineLane } from '../testing/offline-lane.js';
import { readCredentials, writeCredentials } from '../sync/credentials.js';

const listKey = Buffer.alloc(32, 5);
const F0 = '001090123456';
const F1 = '001090123457';
const F2 = '001090123458';
const CLEAN = '079201004568';
// A chip card whose ID digits disagree with its birth year: a green with a warning.
const CARD_WARNING = '079301004567||Trần Thị Bình|05061990|Nữ|12 Lê Lợi, Quận 1|20072021';
const CARD = '079301004567||Trần Thị Bình|05062001|Nữ|12 Lê Lợi, Quận 1|20072021';
const F0_CARD = `${F0}|012345678|Nguyễn Văn An|01011990|Nam|Hà Nội|15042021`;

let dir: string;
let logFile: string;
let agent: LaneAgent;
let events: LaneEvent[];
let decisions: LaneDecision[];

async function openAgent(): Promise<LaneAgent> {
  decisions = [];
  const lane = await LaneAgent.open({
    dataDir: dir,
    keyStore: insecureFileKeyStore(dir),
    scanners: [],
    // Every log line the agent writes, at the most talkative level, goes to a file we can read.
    logger: pino({ level: 'trace' }, pino.destination({ dest: logFile, sync: true, append: true })),
    onDecision: (d) => decisions.push(d),
    sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
  });
  const keyer = createSubjectKeyer(listKey);
  lane.store.overlayHealth(
    [
      [F0, 'F0'],
      [F1, 'F1'],
      [F2, 'F2'],
    ].map(([id, status]) => ({
      key: keyer(parseSubjectText(id!)!),
      entry: { status: status as 'F0', since: null, until: null },
    })),
  );
  // Fresh lists: a green stays green (stale lists would turn it amber).
  lane.store.markSynced('health', Date.now());
  lane.store.markSynced('whitelist', Date.now());
  events = [];
  lane.onEvent((e) => events.push(e));
  await lane.start();
  return lane;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'desk-'));
  logFile = join(dir, 'agent.log');
  writeOfflineLane(dir, {
    listKey,
    blockingStatuses: ['F0', 'F1'],
    officers: [
      { id: 'CB-01', name: 'Lan', role: 'officer', pinHash: hashPin('1111') },
      { id: 'GS-01', name: 'Minh', role: 'supervisor', pinHash: hashPin('9999') },
    ],
  });
  agent = await openAgent();
});

afterEach(async () => {
  await agent.stop();
  rmSync(dir, { recursive: true, force: true });
});

const lastDesk = (): Desk => (events.filter((e) => e.type === 'desk').at(-1) as { data: Desk }).data;
const travellerViews = (): TravellerView[] =>
  events.filter((e) => e.type === 'traveller').map((e) => (e as { data: TravellerView }).data);

describe('the officer desk', () => {
  it('keeps an F0 pending however many greens follow, and shows the last 20 scans', () => {
    const red = agent.submit(F0);
    for (let i = 0; i < 25; i++) agent.submit(`0793010${String(10000 + i)}`);
    const desk = agent.desk();
    expect(desk.pendingCount).toBe(1);
    expect(desk.pending[0]).toMatchObject({
      scanId: red.scanId,
      decision: 'red',
      healthStatus: 'F0',
      state: 'pending',
    });
    expect(desk.recent).toHaveLength(20);
    expect(desk.recent.every((i) => i.decision === 'green' && i.state === 'passed')).toBe(true);
    // Every change reached the displays as the whole desk.
    expect(lastDesk()).toEqual(desk);
  });

  it('puts F0 reds first, then other reds, then ambers and greens with warnings, oldest first in each', () => {
    const amber = agent.submit('not a code at all');
    const warned = agent.submit(CARD_WARNING);
    const f1 = agent.submit(F1);
    const f0 = agent.submit(F0);
    expect(warned.decision).toBe('green');
    expect(warned.warnings).toEqual(['id_birth_year_mismatch']);
    expect(agent.desk().pending.map((i) => [i.scanId, i.healthStatus])).toEqual([
      [f0.scanId, 'F0'],
      [f1.scanId, 'F1'],
      [amber.scanId, null],
      [warned.scanId, null],
    ]);
  });

  it('tells F2 apart on a green, and passes a clean green without holding it', () => {
    const f2 = agent.submit(F2);
    expect(f2.decision).toBe('green');
    expect(agent.desk().recent[0]).toMatchObject({ healthStatus: 'F2', state: 'passed' });
    agent.submit(CLEAN);
    expect(agent.desk().pendingCount).toBe(0);
  });

  it('acknowledges by scan id with an ack record, and refuses a second one or another scan', () => {
    const a = agent.submit(F0);
    const b = agent.submit('garbage!');
    const ok = agent.acknowledge(a.scanId!, 'đã gọi y tế');
    expect(ok).toMatchObject({
      ok: true,
      record: { type: 'ack', scanId: a.scanId, decision: 'red', note: 'đã gọi y tế' },
    });
    expect(agent.desk().pending.map((i) => i.scanId)).toEqual([b.scanId]);
    expect(agent.desk().recent.find((i) => i.scanId === a.scanId)?.state).toBe('acknowledged');
    expect(agent.acknowledge(a.scanId!)).toMatchObject({ ok: false, error: 'already_handled' });
    expect(agent.acknowledge('01890000-0000-7000-8000-000000000000')).toMatchObject({
      ok: false,
      error: 'unknown_scan',
    });
    const green = agent.submit(CLEAN);
    expect(agent.acknowledge(green.scanId!)).toMatchObject({ ok: false, error: 'not_pending' });
    // B is untouched, and the ack is in the outbox to upload.
    expect(agent.desk().pending.map((i) => i.scanId)).toEqual([b.scanId]);
    expect(agent.store.pendingRecords(10).map((r) => r.type)).toEqual(['scan', 'scan', 'ack', 'scan']);
  });

  it('lands an override on the scan it names while others arrive, and settles it on the desk', async () => {
    const a = agent.submit('not a code');
    const b = agent.submit(F0);
    const result = await agent.override(a.scanId!, {
      decision: 'green',
      officerId: 'CB-01',
      officerPin: '1111',
      reason: 'identity_checked',
    });
    expect(result).toMatchObject({
      ok: true,
      record: { scanId: a.scanId, decision: 'green', originalDecision: 'amber' },
    });
    const desk = agent.desk();
    expect(desk.pending.map((i) => i.scanId)).toEqual([b.scanId]);
    expect(desk.recent.find((i) => i.scanId === a.scanId)).toMatchObject({
      decision: 'green',
      originalDecision: 'amber',
      state: 'overridden',
      override: { officerId: 'CB-01', supervisorId: null, reason: 'identity_checked' },
    });
    // An overridden scan cannot then be acknowledged.
    expect(agent.acknowledge(a.scanId!)).toMatchObject({ ok: false, error: 'already_handled' });
    // The traveller saw "see an officer" for both; the override of A (no longer at the gate) says nothing to B.
    expect(travellerViews().map((v) => v.state)).toEqual(['see_officer', 'see_officer']);
  });

  it('gives the traveller the same view for red and amber, and nothing else', () => {
    agent.submit(F0);
    agent.submit('not a code');
    agent.submit(CLEAN);
    const views = travellerViews();
    expect(views.map((v) => Object.keys(v).sort())).toEqual([
      ['at', 'state'],
      ['at', 'state'],
      ['at', 'state'],
    ]);
    expect(views.map((v) => v.state)).toEqual(['see_officer', 'see_officer', 'go']);
  });

  it('rebuilds the pending queue after a restart from records without an ack or override', async () => {
    const a = agent.submit(F0);
    const b = agent.submit('not a code');
    const c = agent.submit(CARD_WARNING);
    agent.submit(CLEAN);
    agent.acknowledge(b.scanId!);
    await agent.stop();
    agent = await openAgent();
    const desk = agent.desk();
    expect(desk.pending.map((i) => i.scanId)).toEqual([a.scanId, c.scanId]);
    expect(desk.pending[0]).toMatchObject({
      healthStatus: 'F0',
      restored: true,
      subject: null,
      holder: null,
    });
    expect(desk.recent.map((i) => i.state)).toEqual(['passed', 'pending', 'acknowledged', 'pending']);
    // Still bound by id after the restart.
    expect(agent.acknowledge(a.scanId!)).toMatchObject({ ok: true });
    expect(agent.acknowledge(b.scanId!)).toMatchObject({ ok: false, error: 'already_handled' });
  });
});

describe('officer-only details', () => {
  it('shows a plate in full and an ID masked on the desk; the announced decision keeps both masked', () => {
    const plate = agent.submit('30G-123.45');
    const id = agent.submit(CLEAN);
    const recent = agent.desk().recent;
    expect(recent.find((i) => i.scanId === plate.scanId)?.subject).toEqual({
      kind: 'plate',
      shown: '30G-123.45',
    });
    expect(recent.find((i) => i.scanId === id.scanId)?.subject).toEqual({
      kind: 'personal_id',
      shown: '••••••••4568',
    });
    expect(plate.subject?.masked).not.toContain('30G');
  });

  it("keeps the card holder's name and birth date on the officer desk only: never stored, logged, announced or sent to the traveller", async () => {
    const d = agent.submit(F0_CARD);
    agent.submit(CARD);
    const item = agent.desk().pending.find((i) => i.scanId === d.scanId);
    expect(item?.holder).toEqual({ name: 'Nguyễn Văn An', birthDate: '01/01/1990' });
    expect(agent.desk().recent[0]?.holder).toEqual({ name: 'Trần Thị Bình', birthDate: '05/06/2001' });
    const secrets = [
      /Nguyễn Văn An/,
      /Trần Thị Bình/,
      /01\/01\/1990/,
      /05\/06\/2001/,
      /01011990/,
      /05062001/,
    ];
    // Not in the decisions announced (the --json line and the CLI print from these).
    for (const s of secrets) expect(JSON.stringify(decisions)).not.toMatch(s);
    // Not in the outbox (what is stored and uploaded), nor in the database file itself.
    const stored = JSON.stringify(agent.store.pendingRecords(100));
    for (const s of secrets) expect(stored).not.toMatch(s);
    // Not in any event except the officer desk.
    const others = JSON.stringify(events.filter((e) => e.type !== 'desk'));
    for (const s of secrets) expect(others).not.toMatch(s);
    await agent.stop();
    const db = ['lane.db', 'lane.db-wal']
      .filter((f) => existsSync(join(dir, f)))
      .map((f) => readFileSync(join(dir, f)).toString('utf8'))
      .join('');
    for (const s of secrets) expect(db).not.toMatch(s);
    // Not in the logs.
    const log = readFileSync(logFile, 'utf8');
    expect(log).toContain('decision');
    for (const s of secrets) expect(log).not.toMatch(s);
    agent = await openAgent();
  });
});

describe('the desk in memory', () => {
  it('holds at most maxPending items, dropping the oldest from memory (still acknowledgeable by id)', () => {
    const store = LaneStore.open(':memory:');
    const desk = new LaneDesk({ store, clock: Date.now, onChange: () => undefined, maxPending: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const record = store.appendRecord(
        {
          type: 'scan',
          source: 'manual',
          format: null,
          subjectKey: null,
          subjectSealed: null,
          decision: 'amber',
          reasons: ['payload_unknown_format'],
          warnings: [],
          alert: false,
        },
        Date.now() + i,
      );
      ids.push(record.id);
      desk.addScan(
        {
          decision: 'amber',
          reasons: ['payload_unknown_format'],
          warnings: [],
          alert: false,
          record: true,
          scanId: record.id,
          seq: record.seq,
          at: record.at,
          source: 'manual',
          device: 'keypad',
          format: null,
          subject: null,
          elapsedMs: 0,
        },
        { holder: null, healthStatus: null, subject: null },
      );
    }
    expect(desk.snapshot().pendingCount).toBe(3);
    expect(desk.snapshot().pending.map((i) => i.scanId)).toEqual(ids.slice(2));
    expect(desk.acknowledge(ids[0]!)).toMatchObject({ ok: true });
    store.close();
  });
});

describe('a lane that seals scan subjects to the server', () => {
  it('uploads no subject key and restores the desk with F0 first from the status its outbox kept', async () => {
    await agent.stop();
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeOfflineLane(dir, { listKey, blockingStatuses: ['F0', 'F1'] });
    const server = generateKeyPairSync('x25519');
    const scanSealKey = Buffer.from(server.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString(
      'base64',
    );
    writeCredentials(dir, { ...readCredentials(dir)!, scanSealKey });
    agent = await openAgent();
    // The F1 red comes first, so only the kept status can put the F0 red ahead of it.
    const f1 = agent.submit(F1);
    const amber = agent.submit('not a code');
    const f0 = agent.submit(F0);
    expect(agent.desk().pending.map((i) => i.scanId)).toEqual([f0.scanId, f1.scanId, amber.scanId]);
    await agent.stop();

    const db = new Database(join(dir, 'lane.db'), { readonly: true });
    const rows = db.prepare('SELECT record, health_status FROM outbox ORDER BY seq').all() as {
      record: string;
      health_status: string | null;
    }[];
    db.close();
    expect(rows.map((r) => r.health_status)).toEqual(['F1', null, 'F0']);
    const records = rows.map((r) => JSON.parse(r.record) as Record<string, unknown>);
    expect(records.map((r) => r.subjectKey)).toEqual([null, null, null]);
    expect(records.map((r) => typeof r.subjectSealed)).toEqual(['string', 'object', 'string']);
    // What the lane keeps only for itself is not in the record it uploads.
    expect(records.every((r) => !('laneHealthStatus' in r))).toBe(true);

    agent = await openAgent();
    const desk = agent.desk();
    expect(desk.pending.map((i) => i.scanId)).toEqual([f0.scanId, f1.scanId, amber.scanId]);
    expect(desk.pending.map((i) => i.healthStatus)).toEqual(['F0', 'F1', null]);
    expect(desk.pending.every((i) => i.restored === true && i.subject === null)).toBe(true);
    expect(agent.store.pendingRecords(10).every((r) => !('laneHealthStatus' in r))).toBe(true);
  });
});
