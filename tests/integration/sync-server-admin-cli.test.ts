import { execFile } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runAdmin } from '@checkpoint-lane/sync-server';
import { describe, expect, it } from 'vitest';
import { useLoopbackServer } from './sync-server-helpers.js';

const ADMIN = 'cli-admin-token-0123456789abcdef';
const server = await useLoopbackServer('cl-admin-cli-', ADMIN, { listKey: Buffer.alloc(32, 2) });
const dir = server.dir;

async function admin(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAdmin(args, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    env: { CHECKPOINT_SERVER: server.url, CHECKPOINT_ADMIN_TOKEN: ADMIN },
  });
  return { code, out, err };
}

describe('checkpoint-admin', () => {
  it('adds checkpoints, makes enrollment codes, lists kiosks and scans', async () => {
    const add = await admin(
      'checkpoints',
      'add',
      '--id',
      'HCM-01',
      '--name',
      'Cầu Sài Gòn',
      '--mode',
      'closed',
      '--freshness-budget',
      '3600',
    );
    expect(add).toMatchObject({ code: 0, err: '' });
    expect(add.out).toMatch(/checkpoint HCM-01 \(closed\): freshness 3600 s/);
    const bad = await admin('checkpoints', 'add', '--id', 'X', '--name', 'X', '--mode', 'half');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/answered 400/);
    const enroll = await admin('--json', 'enroll', 'HCM-01');
    expect(enroll.code).toBe(0);
    const { code } = JSON.parse(enroll.out) as { code: string };
    const res = await fetch(`${server.url}/api/v1/kiosk/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, name: 'Lane 1' }),
    });
    expect(res.status).toBe(201);
    const kiosks = await admin('kiosks');
    expect(kiosks.code).toBe(0);
    expect(kiosks.out).toMatch(/Lane 1\s+HCM-01/);
    expect((await admin('scans', '--checkpoint', 'HCM-01')).out).toBe('(none)\n');
    expect((await admin('scans', '--subject', 'nope')).code).toBe(1);
  });

  it('imports a CSV with a row-level report, exit 1 on any rejection, exit 0 when clean', async () => {
    const good = join(dir, 'good.csv');
    writeFileSync(
      good,
      'id,status,since,until,name,note\n001099012345,F0,2021-09-18,,,\n51F-123.45,F1,,,,\n',
    );
    const ok = await admin('lists', 'import', 'health', good);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.out).toBe('health: 2 row(s) imported, 0 rejected; list version 1\n');
    const badFile = join(dir, 'bad.csv');
    writeFileSync(badFile, 'id,status,since,until,name,note\n001099012346,F0,,,,\n001099012347,F8,,,,\n');
    const bad = await admin('lists', 'import', 'health', badFile);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/nothing imported, 1 row\(s\) rejected/);
    expect(bad.out).toMatch(/line 3: unknown status/);
    const partial = await admin('--json', 'lists', 'import', 'health', badFile, '--partial');
    expect(partial.code).toBe(1);
    expect(JSON.parse(partial.out)).toMatchObject({ version: 2, accepted: 1, rejectedTotal: 1 });
    const header = join(dir, 'header.csv');
    writeFileSync(header, 'id;status\n');
    const h = await admin('lists', 'import', 'health', header);
    expect(h.code).toBe(1);
    expect(h.err).toMatch(/first line must be exactly/);
    expect((await admin('lists', 'import', 'health', join(dir, 'missing.csv'))).code).toBe(2);
  });

  it('streams a 50 MB import', async () => {
    const file = join(dir, 'big.csv');
    const out = createWriteStream(file);
    out.write('id,status,since,until,name,note\n');
    const note = 'x'.repeat(200);
    let bytes = 0;
    let rows = 0;
    while (bytes < 50 * 1024 * 1024) {
      const line = `07909${String(rows).padStart(7, '0')},F2,2021-09-18,2021-10-01,Nguyễn Văn ${rows},${note}\n`;
      if (!out.write(line)) await once(out, 'drain');
      bytes += Buffer.byteLength(line);
      rows++;
    }
    out.end();
    await once(out, 'finish');
    const res = await admin('--json', 'lists', 'import', 'health', file);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toMatchObject({ accepted: rows, rejectedTotal: 0, applied: true });
  }, 120_000);

  it('says clearly when the server is unreachable or the token is missing (real bin)', async () => {
    const bin = fileURLToPath(new URL('../../sync-server/dist/cli/checkpoint-admin.js', import.meta.url));
    const run = promisify(execFile);
    const closed = await run(process.execPath, [
      bin,
      '--server',
      'http://127.0.0.1:1',
      '--token',
      't',
      'kiosks',
    ]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(closed).toMatchObject({ code: 3 });
    expect((closed as { stderr: string }).stderr).toMatch(
      /cannot reach the server at http:\/\/127.0.0.1:1 \(ECONNREFUSED\)/,
    );
    const noToken = await run(process.execPath, [bin, '--server', server.url, 'kiosks'], {
      env: { ...process.env, CHECKPOINT_ADMIN_TOKEN: '' },
    }).catch((e: unknown) => e as { code: number; stderr: string });
    expect(noToken).toMatchObject({ code: 2 });
    const wrong = await run(process.execPath, [
      bin,
      '--server',
      server.url,
      '--token',
      'wrong',
      'kiosks',
    ]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(wrong).toMatchObject({ code: 1 });
    expect((wrong as { stderr: string }).stderr).toMatch(/answered 401/);
  });
});
