// Signed lane passes end to end (issue 16): passes issued by the real sync server's public
// declaration route, fed as text to a real lane (`checkpoint-lane --scanner stdin --json`) at a
// closed checkpoint: a valid pass is green (its holder is on no whitelist), one changed character
// amber, a pass revoked centrally red once the lane has the pass directory the server pushed, and
// a holder put on the health list after the pass was issued red (the health list wins). The lane
// prints and logs no ID and no route.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePass } from '@checkpoint-lane/shared';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ServerUnderTest, stdinLaneArgs } from './lane-helpers.js';

const HOLDER = '079201004568';
const REVOKED_HOLDER = '001090123457';
const LATER_F0 = '001090123456';

let dir: string;
let server: ServerUnderTest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-passes-'));
  server = new ServerUnderTest(
    join(dir, 'server'),
    await freePort(),
    'admin-token-for-pass-tests-0123456789',
  );
  await server.start();
  await server.addCheckpoint('PASS-1', 'closed');
  await server.importCsv('health', 'id,status,since,until,name,note\n001090123458,F0,2026-01-01,,X,\n');
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A declaration through the public route; answers its pass text. */
async function declare(personalId: string): Promise<string> {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date());
  const res = await fetch(`${server.url}/api/v1/public/declarations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      personalId,
      fullName: 'Nguyễn Văn Bình',
      phone: '0901234567',
      from: { province: 1 },
      to: { province: 79, district: 760, ward: 26734 },
      plate: '51F-123.45',
      purpose: 'Công tác',
      travelDate: today,
    }),
  });
  const body = (await res.json()) as { qr: string | null };
  if (res.status !== 201 || body.qr === null)
    throw new Error(`declaration: ${res.status} ${JSON.stringify(body)}`);
  return body.qr;
}

/** The pass text with one signature character changed, still readable as a pass. */
function oneCharChanged(text: string): string {
  for (const c of ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
    const t = `${text.slice(0, -8)}${c}${text.slice(-7)}`;
    if (t !== text && parsePass(t).ok) return t;
  }
  throw new Error('no readable one-character change');
}

const passIdOf = (text: string): string => {
  const p = parsePass(text);
  if (!p.ok) throw new Error('not a pass');
  return p.value.body.passId;
};

interface Line {
  decision: string;
  reasons: string[];
  scanId: string | null;
}

describe('lane passes on a real lane', () => {
  let child: ChildProcessWithoutNullStreams;
  let stdout = '';
  let stderr = '';
  const lines = (): Line[] =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Line);
  /** Scans `text` and answers the decision line it printed. */
  async function scan(text: string): Promise<Line> {
    const before = lines().length;
    child.stdin.write(`${text}\n`);
    await expect.poll(() => lines().length, { timeout: 10_000 }).toBe(before + 1);
    return lines()[before]!;
  }
  const applied = (): number => stderr.split('\n').filter((l) => l.includes('pass directory applied')).length;

  it('decides passes offline by their signature, revocation and the health list', async () => {
    const valid = await declare(HOLDER);
    const toRevoke = await declare(REVOKED_HOLDER);
    const laterF0 = await declare(LATER_F0);
    const laneDir = join(dir, 'lane');
    child = spawn(
      process.execPath,
      stdinLaneArgs(server.url, await server.enrollmentCode('PASS-1'), 'pass-lane', laneDir),
      { env: { ...process.env, CHECKPOINT_LOG_LEVEL: 'info' }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      // Lists (a fresh health list is needed for a green) and the pass directory.
      await expect.poll(() => stderr, { timeout: 20_000 }).toMatch(/"list":"health"[^\n]*snapshot applied/);
      await expect.poll(applied, { timeout: 20_000 }).toBe(1);

      expect(await scan(valid)).toMatchObject({ decision: 'green', reasons: ['pass_valid'] });
      // The holder's ID alone is not whitelisted at this closed checkpoint.
      expect(await scan(HOLDER)).toMatchObject({ decision: 'red', reasons: ['not_whitelisted'] });
      expect(await scan(oneCharChanged(valid))).toMatchObject({
        decision: 'amber',
        reasons: ['pass_signature_invalid'],
      });

      // Revoked centrally: the server pushes `passes`, the lane fetches the signed directory.
      const revoked = await server.admin('POST', `/passes/${passIdOf(toRevoke)}/revoke`, {});
      expect(revoked.status).toBe(200);
      await expect.poll(applied, { timeout: 10_000 }).toBe(2);
      expect(await scan(toRevoke)).toMatchObject({ decision: 'red', reasons: ['pass_revoked'] });

      // Put on the health list after the pass was issued: the health list wins.
      await server.importCsv('health', `id,status,since,until,name,note\n${LATER_F0},F0,2026-01-01,,X,\n`);
      await expect
        .poll(() => stderr, { timeout: 10_000 })
        .toMatch(/urgent health changes applied|delta applied/);
      expect(await scan(laterF0)).toMatchObject({ decision: 'red', reasons: ['health_blocked'] });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    // The lane's records name each genuine pass by its id (for the centre's replay check), the forged one by none.
    const db = new Database(join(laneDir, 'lane.db'), { readonly: true, fileMustExist: true });
    try {
      const records = (db.prepare('SELECT record FROM outbox ORDER BY seq').pluck().all() as string[]).map(
        (r) => JSON.parse(r) as { format: string | null; passId?: string; reasons: string[] },
      );
      expect(records.map((r) => [r.format, r.reasons[0], r.passId ?? null])).toEqual([
        ['lane_pass', 'pass_valid', passIdOf(valid)],
        ['personal_id', 'not_whitelisted', null],
        ['lane_pass', 'pass_signature_invalid', null],
        ['lane_pass', 'pass_revoked', passIdOf(toRevoke)],
        ['lane_pass', 'health_blocked', passIdOf(laterF0)],
      ]);
    } finally {
      db.close();
    }
    for (const secret of [
      HOLDER,
      REVOKED_HOLDER,
      LATER_F0,
      'Hà Nội',
      'Hồ Chí Minh',
      '51F',
      passIdOf(valid),
    ]) {
      expect(stdout).not.toContain(secret);
      expect(stderr).not.toContain(secret);
    }
  });
});
