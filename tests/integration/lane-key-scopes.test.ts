// A leaked list key K is worth less (issue 13, item 2), end to end: a real sync server on
// 127.0.0.1 and three real `checkpoint-lane` processes at checkpoints of two key scopes (two in
// "HCM", one in "HN"). Each scope has its own K; a lane's records hold no key K opens (subjects
// are sealed to the server); `checkpoint-admin lists rotate-key` gives the scope a new K and its
// lanes re-snapshot while the old list keeps deciding (an F0 scanned all through is never
// anything but red); revoking a lane rotates its scope and the revoked lane never gets the new K.
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaneVault, insecureFileKeyStore } from '@checkpoint-lane/kiosk';
import { canonicalSubjectKey, parseSubjectText, subjectKeyFromDigest } from '@checkpoint-lane/shared';
import { StdinLane } from '../e2e/console-helpers.js';
import { freePort, range, ServerUnderTest } from './lane-helpers.js';

const ADMIN_JS = fileURLToPath(new URL('../../sync-server/dist/cli/checkpoint-admin.js', import.meta.url));
const TOKEN = 'admin-token-for-key-scope-tests-0123';
const F0S = range(4).map((i) => `0010901277${String(10 + i)}`);
const CLEAN = '079201004568';

let dir: string;
let server: ServerUnderTest;
const lanes: Record<'a' | 'b' | 'c', StdinLane> = {} as Record<'a' | 'b' | 'c', StdinLane>;
const laneDir = (name: string) => join(dir, `lane-${name}`);

/** The list key a lane's vault holds now (opened read-only beside the running lane). */
async function vaultKey(name: string): Promise<{ id: number; key: Buffer; sealKey: string | undefined }> {
  const opened = await LaneVault.open(laneDir(name), insecureFileKeyStore(laneDir(name)));
  if (!opened.ok) throw new Error(opened.error.message);
  const c = opened.value.credentials;
  return { id: c.listKeyId ?? 0, key: Buffer.from(c.listKey, 'base64'), sealKey: c.scanSealKey };
}

function keyOf(K: Buffer, id: string): bigint {
  const subject = parseSubjectText(id);
  if (subject === null) throw new Error(`not a subject: ${id}`);
  return subjectKeyFromDigest(createHmac('sha256', K).update(canonicalSubjectKey(subject), 'utf8').digest());
}

/** How many of `ids` a lane's health table holds under key K. */
function listedUnder(name: string, K: Buffer, ids: readonly string[]): number {
  const db = new Database(join(laneDir(name), 'lane.db'), { readonly: true, fileMustExist: true });
  try {
    const has = db.prepare('SELECT 1 FROM health_entries WHERE key = ?').pluck();
    return ids.filter((id) => has.get(keyOf(K, id)) !== undefined).length;
  } finally {
    db.close();
  }
}

function admin(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [ADMIN_JS, ...args], {
    encoding: 'utf8',
    env: { ...process.env, CHECKPOINT_SERVER: server.url, CHECKPOINT_ADMIN_TOKEN: TOKEN },
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting: ${what}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-key-scopes-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), TOKEN);
  await server.start();
  await server.addCheckpoint('HCM-1', 'open', { keyScope: 'HCM', repeatWindowSec: 0 });
  await server.addCheckpoint('HCM-2', 'open', { keyScope: 'HCM' });
  await server.addCheckpoint('HN-1', 'open', { keyScope: 'HN' });
  const rows = F0S.map((id) => `${id},F0,2026-01-01,,,`);
  await server.importCsv('health', `id,status,since,until,name,note\n${rows.join('\n')}\n`);
  lanes.a = await StdinLane.start(server, laneDir('a'), 'lane-a', 'HCM-1');
  lanes.b = await StdinLane.start(server, laneDir('b'), 'lane-b', 'HCM-2');
  lanes.c = await StdinLane.start(server, laneDir('c'), 'lane-c', 'HN-1');
}, 120_000);

afterAll(async () => {
  for (const lane of Object.values(lanes)) await lane.kill();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('list keys scoped per province and rotated', () => {
  it('gives each scope its own K: a K from the other scope opens nothing on a lane', async () => {
    for (const lane of Object.values(lanes)) {
      await expect(lane.scan(F0S[0]!)).resolves.toMatchObject({ decision: 'red' });
    }
    const [a, b, c] = [await vaultKey('a'), await vaultKey('b'), await vaultKey('c')];
    expect(a.id).toBeGreaterThan(0);
    expect(b.id).toBe(a.id);
    expect(b.key.equals(a.key)).toBe(true);
    expect(c.id).not.toBe(a.id);
    expect(c.key.equals(a.key)).toBe(false);
    expect(listedUnder('a', a.key, F0S)).toBe(F0S.length);
    expect(listedUnder('a', c.key, F0S)).toBe(0);
    expect(listedUnder('c', a.key, F0S)).toBe(0);
  });

  it('keeps no key K opens in a lane’s records: subjects are sealed to the server, which still finds them', async () => {
    await lanes.a.scan(CLEAN);
    const db = new Database(join(laneDir('a'), 'lane.db'), { readonly: true, fileMustExist: true });
    let records: { type: string; subjectKey: string | null; subjectSealed: string | null }[];
    try {
      records = (db.prepare('SELECT record FROM outbox').pluck().all() as string[]).map(
        (r) => JSON.parse(r) as (typeof records)[number],
      );
    } finally {
      db.close();
    }
    const scans = records.filter((r) => r.type === 'scan');
    expect(scans.length).toBeGreaterThan(0);
    for (const s of scans) {
      expect(s.subjectKey).toBeNull();
      expect(s.subjectSealed).toMatch(/^[A-Za-z0-9+/]+=*$/);
    }
    // The server opened the seal: its search by ID and its alert check work as before.
    await until('the F0 scan uploaded and found by ID', async () => {
      const found = await server.admin<{ scans: { checkpointId: string }[] }>(
        'GET',
        `/scans?subject=${F0S[0]!}&checkpoint=HCM-1`,
      );
      return found.body.scans.length > 0;
    });
    const alerts = await server.admin<{ alerts: { checkpointId: string }[] }>('GET', '/alerts');
    expect(alerts.body.alerts.map((x) => x.checkpointId)).toContain('HCM-1');
  });

  it('rotates a scope on demand: its lanes take the new K while the old list keeps deciding', async () => {
    const before = await vaultKey('a');
    const hn = await vaultKey('c');
    const rotated = admin('lists', 'rotate-key', '--checkpoint', 'HCM-1');
    expect(rotated.code, rotated.err).toBe(0);
    expect(rotated.out).toMatch(/HCM/);
    expect(rotated.out).toMatch(/HCM-1/);
    expect(rotated.out).toMatch(/HCM-2/);
    // Scanning an F0 all through the rotation: never anything but red.
    const seen: string[] = [];
    await until('lane a and b hold the new key', async () => {
      seen.push(String((await lanes.a.scan(F0S[1]!)).decision));
      const [a, b] = [await vaultKey('a'), await vaultKey('b')];
      return a.id > before.id && b.id === a.id;
    });
    expect(new Set(seen)).toEqual(new Set(['red']));
    const after = await vaultKey('a');
    expect(after.key.equals(before.key)).toBe(false);
    // Swapped whole: every F0 under the new key, none left under the old one.
    await until('lane a re-keyed its list', () =>
      Promise.resolve(listedUnder('a', after.key, F0S) === F0S.length),
    );
    expect(listedUnder('a', before.key, F0S)).toBe(0);
    for (const id of F0S) await expect(lanes.a.scan(id)).resolves.toMatchObject({ decision: 'red' });
    // The other scope is untouched.
    expect((await vaultKey('c')).id).toBe(hn.id);
    const audit = await server.admin<{ records: { action: string }[] }>('GET', '/audit');
    expect(audit.body.records.map((e) => e.action)).toContain('lists.rotate-key');
  });

  it('rotates the scope when one of its lanes is revoked, and the revoked lane never gets the new K', async () => {
    const kiosks = await server.admin<{ kiosks: { id: string; name: string }[] }>('GET', '/kiosks');
    const b = kiosks.body.kiosks.find((k) => k.name === 'lane-b');
    if (b === undefined) throw new Error('lane-b not in the fleet');
    const before = await vaultKey('a');
    const hn = await vaultKey('c');
    const revoked = await server.admin('POST', `/kiosks/${b.id}/revoke`);
    expect(revoked.status).toBeLessThan(300);
    await until('lane a holds the scope’s new key', async () => (await vaultKey('a')).id > before.id);
    await expect(lanes.a.scan(F0S[2]!)).resolves.toMatchObject({ decision: 'red' });
    // Give lane b every chance to ask (its heartbeat and event stream): it is refused.
    await new Promise((r) => setTimeout(r, 2000));
    expect((await vaultKey('b')).id).toBe(before.id);
    expect((await vaultKey('c')).id).toBe(hn.id);
  });
});
