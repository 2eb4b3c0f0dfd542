// `checkpoint-admin trace` against a real server process: lanes enrolled and their scans uploaded
// through the kiosk API, then the built CLI starts a trace, follows its progress on stderr and
// prints the contacts as a table, writes them as CSV, and refuses bad subjects and flags.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// A test kit is not part of the server's public entry (it would ship): imported by path.
// eslint-disable-next-line boundaries/no-cross-package-relative
import {
  STORY_FROM,
  STORY_LANES,
  STORY_TO,
  storyRecords,
  traceStory,
  WHO,
} from '../../sync-server/src/tracing/trace-story.testkit.js';
import { call, startServerProcess, type ServerProcess } from './sync-server-helpers.js';

const ADMIN = 'trace-cli-admin-token-0123456789ab';
const BIN = fileURLToPath(new URL('../../sync-server/dist/cli/checkpoint-admin.js', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'cl-trace-cli-'));
let server: ServerProcess;

/** Runs the built CLI; answers its exit code, stdout and stderr. */
async function admin(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, CHECKPOINT_SERVER: server.url, CHECKPOINT_ADMIN_TOKEN: ADMIN };
  try {
    const r = await run(process.execPath, [BIN, ...args], { env });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  server = await startServerProcess(join(dir, 'data'), ADMIN);
  const api = `${server.url}/api/v1`;
  for (const cp of new Set(Object.values(STORY_LANES))) {
    const r = await call(`${api}/admin/checkpoints`, {
      token: ADMIN,
      body: { id: cp, name: cp, mode: 'open' },
    });
    expect(r.status).toBeLessThan(300);
  }
  const tokens = new Map<string, string>();
  let sealKey = '';
  for (const [lane, cp] of Object.entries(STORY_LANES)) {
    const code = await call<{ code: string }>(`${api}/admin/enrollments`, {
      token: ADMIN,
      body: { checkpointId: cp },
    });
    const enrolled = await call<{ token: string; scanSealKey: string }>(`${api}/kiosk/enroll`, {
      body: { code: code.body.code, name: lane },
    });
    expect(enrolled.status).toBe(201);
    tokens.set(lane, enrolled.body.token);
    sealKey = enrolled.body.scanSealKey;
  }
  for (const [lane, records] of storyRecords(traceStory(), sealKey)) {
    const r = await call(`${api}/kiosk/scans`, { token: tokens.get(lane) as string, body: { records } });
    expect(r.status).toBe(200);
  }
}, 60_000);

afterAll(async () => {
  server.child.kill('SIGTERM');
  await server.exited;
  rmSync(dir, { recursive: true, force: true });
});

const period = ['--from', new Date(STORY_FROM).toISOString(), '--to', new Date(STORY_TO).toISOString()];

describe('checkpoint-admin trace', () => {
  it('prints the contacts as a table, with the progress on stderr', async () => {
    const r = await admin('trace', WHO.f0a, '079-000-000-002', ...period, '--hops', '2', '--window', '15');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Mã truy vết \(trace id\): [0-9a-f-]{36} — 2 người nguồn/);
    expect(r.stderr).toMatch(/Đang truy vết \(tracing\)… 100%/);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^subject\s+hop\s+via\s+checkpoint\s+lane\s+at\s+index\s+indexAt\s+evidence$/);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^${WHO.near}\\s+1\\s+lane\\s+CP1\\s+\\S+\\s+\\S+\\s+${WHO.f0a}\\s`),
        ),
        expect.stringMatching(new RegExp(`^${WHO.passenger}\\s+1\\s+vehicle\\s`)),
        expect.stringMatching(new RegExp(`^${WHO.hop2}\\s+2\\s+lane\\s+CP2\\s`)),
      ]),
    );
    // Not hop-1 contacts (hop 2 may reach them through the random scans' subjects).
    for (const who of [WHO.hourLater, WHO.otherCheckpoint, WHO.beforePeriod])
      expect(lines.some((l) => new RegExp(`^${who}\\s+1\\s`).test(l))).toBe(false);
    expect(r.stderr).toMatch(new RegExp(`${lines.length - 1} người tiếp xúc`));
  }, 60_000);

  it('writes CSV with --csv and answers JSON with --json', async () => {
    const file = join(dir, 'contacts.csv');
    const r = await admin('trace', WHO.f0a, ...period, '--csv', file);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Đã ghi \d+ người tiếp xúc vào/);
    const csv = readFileSync(file, 'utf8')
      .replace(/^\uFEFF/, '')
      .split('\r\n');
    expect(csv[0]).toBe('subject,subject_key,hop,via,checkpoint,lane,at,index_subject,index_at,vehicle_id');
    expect(csv.some((l) => l.startsWith(`${WHO.near},`) && l.includes(`,${WHO.f0a},`))).toBe(true);
    const j = await admin('--json', 'trace', WHO.f0b, ...period);
    expect(j.code).toBe(0);
    const body = JSON.parse(j.stdout) as { status: string; contacts: { subject: string; via: string }[] };
    expect(body.status).toBe('done');
    expect(body.contacts.find((c) => c.subject === WHO.plate)?.via).toBe('vehicle');
  }, 60_000);

  it('refuses bad subjects (exit 1, named) and bad flags (exit 2)', async () => {
    const bad = await admin('trace', WHO.f0a, 'nobody');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/answered 400/);
    expect(bad.stderr).toMatch(/có mã không đọc được/);
    expect(bad.stderr).toMatch(/#2 nobody \(bad_subjects\)/);
    expect((await admin('trace', WHO.f0a, '--hops', '3')).code).toBe(2);
    expect((await admin('trace', WHO.f0a, '--window', 'ten')).code).toBe(2);
    expect((await admin('trace')).code).toBe(2);
    const badTime = await admin('trace', WHO.f0a, '--from', 'hôm qua');
    expect(badTime.code).toBe(1);
    expect(badTime.stderr).toMatch(/bad_time/);
  }, 60_000);
});
