// `checkpoint-lane` as users run it: the `--json` line contract and plain start-up errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, INSECURE_KEY_STORE_ARGS, LANE_JS, ServerUnderTest } from './lane-helpers.js';

let dir: string;
let server: ServerUnderTest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-cli-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), 'admin-token-for-cli-tests-0123456789');
  await server.start();
  await server.addCheckpoint('CLI-1', 'open');
  await server.importCsv('health', 'id,status,since,until,name,note\n001090123456,F0,2026-01-01,,A,\n');
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function lane(args: string[], input = '') {
  const r = spawnSync(process.execPath, [LANE_JS, ...INSECURE_KEY_STORE_ARGS, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, CHECKPOINT_LOG_LEVEL: 'warn', CHECKPOINT_DRAIN_MS: '10000' },
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('checkpoint-lane', () => {
  it('prints one JSON line per decision with --json, subject masked', async () => {
    const data = join(dir, 'lane-json');
    const code = await server.enrollmentCode('CLI-1');
    const r = lane(
      ['--server', server.url, '--enroll', code, '--data', data, '--scanner', 'stdin', '--json'],
      '001090123456\nxyz\n',
    );
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      decision: 'red',
      reasons: ['health_blocked'],
      subject: { kind: 'personal_id', masked: '••••••••3456' },
    });
    expect(lines[0]!['scanId']).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines[1]).toMatchObject({ decision: 'amber', reasons: ['payload_unknown_format'], subject: null });
    expect(r.stdout + r.stderr).not.toContain('001090123456');
  });

  it('says plainly why it cannot start', () => {
    const data = join(dir, 'lane-errors');
    expect(lane(['--data', data]).stderr).toMatch(/not enrolled: start it once with --enroll CODE/);
    expect(lane(['--data', data, '--server', 'http://127.0.0.1:9', '--enroll', 'ABCD-EFGH']).stderr).toMatch(
      /cannot reach the sync server at http:\/\/127\.0\.0\.1:9/,
    );
    expect(lane(['--data', data, '--server', server.url, '--enroll', 'ZZZZ-ZZZZ']).stderr).toMatch(
      /enrollment refused/,
    );
    const profile = join(dir, 'bad-profile.json');
    writeFileSync(
      profile,
      JSON.stringify({
        id: 'x1',
        name: 'n',
        kind: 'serial',
        serial: { baudRate: 0, framing: { suffix: 'CR' } },
      }),
    );
    const bad = lane(['--data', data, '--profile', profile]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad profile .*\/serial\/baudRate/);
    expect(lane(['--scanner', 'usb']).stderr).toMatch(/--scanner must be/);
  });

  it('refuses a relay set up wrong in Vietnamese / English, naming the field, and waits for a missing relay port', () => {
    const data = join(dir, 'lane-relay');
    const profiles = fileURLToPath(new URL('../../hardware-profiles/', import.meta.url));
    const lcus = join(profiles, 'lcus-1-relay.json');
    const refused = (args: string[], line: RegExp): void => {
      const r = lane(['--data', data, ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(line);
    };
    refused(
      ['--relay', 'simulated'],
      /^checkpoint-lane: --relay cần --relay-profile FILE .* \/ --relay needs --relay-profile FILE/m,
    );
    refused(
      ['--relay', 'usb', '--relay-profile', lcus],
      /^checkpoint-lane: --relay phải là serial:PATH, hid hoặc simulated \/ --relay must be serial:PATH, hid or simulated$/m,
    );
    refused(
      ['--relay-profile', lcus],
      /^checkpoint-lane: --relay-profile cần đi cùng --relay .* \/ --relay-profile goes with --relay/m,
    );
    const short = join(dir, 'short-open.json');
    const shipped = JSON.parse(readFileSync(lcus, 'utf8')) as { relay: object };
    writeFileSync(short, JSON.stringify({ ...shipped, relay: { ...shipped.relay, openMs: 100 } }));
    refused(
      ['--relay', 'simulated', '--relay-profile', short],
      /^checkpoint-lane: cấu hình rơ-le \S+short-open\.json sai ở trường \/relay\/openMs \/ bad relay profile \S+short-open\.json: \/relay\/openMs must be >= 500$/m,
    );
    // A scanner profile where a relay profile goes, and a relay profile where a scanner's goes.
    refused(
      ['--relay', 'simulated', '--relay-profile', join(profiles, 'generic-serial-cr.json')],
      /^checkpoint-lane: \S+ không phải cấu hình rơ-le: trường \/kind .* \/ bad relay profile \S+: \/kind must be "relay" \(it is "serial"\)/m,
    );
    refused(
      ['--profile', join(profiles, 'lcus-4-tower-light.json')],
      /^checkpoint-lane: --profile \S+lcus-4-tower-light\.json: đây là cấu hình rơ-le: dùng --relay-profile .* \/ this is a relay profile: use --relay-profile/m,
    );
    refused(
      ['--relay', 'hid', '--relay-profile', lcus],
      /^checkpoint-lane: cấu hình rơ-le lcus-1-relay dành cho bảng nối tiếp, .* \/ relay profile lcus-1-relay is for a serial board, not --relay hid: use --relay serial:/m,
    );
    // A relay port not there (yet): not a refusal; one plain line, then the lane goes on (this
    // one stops next, not enrolled).
    const missing = join(dir, 'no-relay-tty');
    const waiting = lane(['--data', data, '--relay', `serial:${missing}`, '--relay-profile', lcus]);
    expect(waiting.stderr).toContain(
      `checkpoint-lane: cổng nối tiếp của rơ-le ${missing} chưa có; cổng vẫn đóng, đang chờ rơ-le / ` +
        `relay port ${missing} does not exist (yet); the gate stays shut, waiting for it\n`,
    );
    expect(waiting.stderr).toMatch(/not enrolled/);
  });

  it('chooses where its secrets are sealed: file only with --insecure-key-file, then says so at every start', async () => {
    const bare = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [LANE_JS, ...args], {
        input: '',
        encoding: 'utf8',
        env: { ...process.env, CHECKPOINT_LOG_LEVEL: 'warn', ...env },
        timeout: 60_000,
      });
    const data = join(dir, 'lane-key-store');
    const help = bare(['--help']).stdout;
    for (const flag of [
      '--key-store tpm|safe-storage|file',
      '--tpm-pcrs 7|0,7|none',
      '--insecure-key-file',
    ]) {
      expect(help).toContain(flag);
    }
    for (const refused of [
      bare(['--data', data, '--key-store', 'file']),
      bare(['--data', data], { CHECKPOINT_KEY_STORE: 'file' }),
    ]) {
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(
        /^checkpoint-lane: --key-store file .*for development only and needs --insecure-key-file/,
      );
    }
    expect(bare(['--data', data, '--key-store', 'vault']).stderr).toMatch(
      /--key-store must be tpm, safe-storage, file/,
    );
    expect(bare(['--data', data, '--tpm-pcrs', '7,25']).stderr).toMatch(/--tpm-pcrs takes PCR numbers 0-23/);
    // The default is the TPM: this machine has none reachable, and the code is not spent.
    const code = await server.enrollmentCode('CLI-1');
    const noTpm = bare(['--data', data, '--server', server.url, '--enroll', code], {
      TPM2TOOLS_TCTI: `swtpm:path=${join(dir, 'no-tpm-here')}`,
    });
    expect(noTpm.status).toBe(2);
    expect(noTpm.stderr).toMatch(
      /cannot seal the lane's secrets with the tpm key store \(unavailable\).*the enrollment code was not used/,
    );
    const enrolled = lane(
      ['--data', data, '--server', server.url, '--enroll', code, '--scanner', 'stdin'],
      '',
    );
    expect(enrolled.code).toBe(0);
    for (const run of [enrolled, lane(['--data', data, '--scanner', 'stdin'], '')]) {
      expect(run.stderr).toMatch(
        /^checkpoint-lane: KHÔNG AN TOÀN: --key-store file .* \/ INSECURE: --key-store file/m,
      );
    }
  });
});
