import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseStaffCard } from '@checkpoint-lane/shared';
import QRCode from 'qrcode';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addCheckpoint, buildTestApp, enrollKiosk, type TestApp } from '../../testing/build-test-app.js';
import { runAdmin } from './run-admin.js';

// A real server and scrypt PINs: slow on a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

let t: TestApp;
let dir = '';
afterEach(async () => {
  await t.close();
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/** Runs `checkpoint-admin` against the test server on 127.0.0.1. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  if (!t.app.server.listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
  const server = `http://127.0.0.1:${String((t.app.server.address() as AddressInfo).port)}`;
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: { CHECKPOINT_OFFICER_PIN: '482913' },
  };
  const code = await runAdmin(['--server', server, '--token', t.adminToken, ...args], io);
  return { code, out, err };
}

describe('checkpoint-admin officers card', () => {
  it('prints a staff card and writes its QR as SVG; refusals and bad usage exit 1 and 2', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'MALL');
    await addCheckpoint(t, 'STATION');
    dir = await mkdtemp(join(tmpdir(), 'officer-card-'));
    const set = await run(
      'officers',
      'set',
      'o-7',
      '--name',
      'Trần Bình',
      '--role',
      'officer',
      '--checkpoints',
      'MALL',
      '--pin-from-env',
    );
    expect(set.code, set.err).toBe(0);

    const svgFile = join(dir, 'card.svg');
    const card = await run(
      'officers',
      'card',
      'o-7',
      '--checkpoint',
      'MALL',
      '--days',
      '7',
      '--svg',
      svgFile,
    );
    expect(card.code, card.err).toBe(0);
    const [text = '', about = '', written = ''] = card.out.trim().split('\n');
    const parsed = parseStaffCard(text);
    expect(parsed?.card).toMatchObject({ checkpointId: 'MALL', officerId: 'o-7' });
    expect((parsed?.card.expiresAt ?? 0) - (parsed?.card.issuedAt ?? 0)).toBe(7 * 86_400);
    expect(about).toMatch(/^staff card \S+ for officer o-7 at MALL, valid until \d{4}-\d\d-\d\dT.*Z$/);
    expect(written).toBe(`QR written to ${svgFile}`);
    // The file is the QR of exactly the printed text (level M), private to its owner.
    const svg = await readFile(svgFile, 'utf8');
    expect(svg).toBe(await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 }));
    expect((await stat(svgFile)).mode & 0o777).toBe(0o600);

    const json = await run('--json', 'officers', 'card', 'o-7', '--checkpoint', 'MALL');
    expect(json.code).toBe(0);
    const answer = JSON.parse(json.out) as { text: string; expiresAt: number; issuedAt: number };
    expect(answer.expiresAt - answer.issuedAt).toBe(30 * 86_400_000);
    expect(parseStaffCard(answer.text)).not.toBeNull();

    const elsewhere = await run('officers', 'card', 'o-7', '--checkpoint', 'STATION');
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.err).toContain('officer_not_here');
    expect((await run('officers', 'card', 'o-7')).code).toBe(2);
    expect((await run('officers', 'card', 'o-7', '--checkpoint', 'MALL', '--days', '91')).code).toBe(2);
    expect((await run('officers', 'card', 'o-7', '--checkpoint', 'MALL', '--days', 'soon')).code).toBe(2);
  });

  it('shows a lane’s gate in `kiosks`', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'MALL');
    const lane = await enrollKiosk(t, 'MALL', 'Cổng 1');
    const beat = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/heartbeat',
      headers: lane.auth,
      payload: {
        listVersions: { health: 0, whitelist: 0 },
        backlog: 0,
        devices: [],
        clock: Date.now(),
        gate: {
          unattended: true,
          relay: null,
          state: 'fault',
          faults: ['relay_lost', 'display_lost'],
          counts: {
            opens: 0,
            shuts: 1,
            reds: 0,
            ambers: 0,
            repeats: 0,
            faults: 1,
            writeFailures: 0,
            unlocks: 0,
          },
        },
      },
    });
    expect(beat.statusCode).toBe(200);
    const out = (await run('kiosks')).out;
    expect(out.split('\n')[0]).toMatch(/\bgate$/);
    expect(out).toContain('unattended fault relay_lost display_lost');
  });
});
