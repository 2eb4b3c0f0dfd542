// `checkpoint-lane` refuses plain http:// to a sync server on another machine, both when it
// enrolls and when its stored (already enrolled) server URL is one, unless `--insecure-http`.
// Loopback http (tests, `npm start`) keeps working. A real server process on 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insecureFileKeyStore, LaneVault } from '@checkpoint-lane/kiosk';
import { freePort, INSECURE_KEY_STORE_ARGS, LANE_JS, ServerUnderTest } from './lane-helpers.js';

// TEST-NET-1 (RFC 5737): never routed, so nothing here can reach a real machine.
const REMOTE = 'http://192.0.2.10:8080';

let dir: string;
let server: ServerUnderTest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lane-tls-'));
  server = new ServerUnderTest(join(dir, 'server'), await freePort(), 'admin-token-for-tls-tests-0123456789');
  await server.start();
  await server.addCheckpoint('TLS-1', 'open');
});

afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function lane(args: string[]) {
  const r = spawnSync(
    process.execPath,
    [LANE_JS, '--scanner', 'stdin', '--json', ...INSECURE_KEY_STORE_ARGS, ...args],
    {
      input: '',
      encoding: 'utf8',
      env: {
        ...process.env,
        CHECKPOINT_LOG_LEVEL: 'warn',
        CHECKPOINT_FIRST_SYNC_MS: '200',
        CHECKPOINT_DRAIN_MS: '200',
      },
      timeout: 60_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('checkpoint-lane and plain http', () => {
  it('refuses to enroll over plain http to another machine, at once and saying why', () => {
    const data = join(dir, 'lane-enroll');
    const started = Date.now();
    const r = lane(['--server', REMOTE, '--enroll', 'ABCD-EFGH', '--data', data]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^checkpoint-lane: --server http:\/\/192\.0\.2\.10:8080 is plain http:\/\/ to another machine: .*--insecure-http/,
    );
    expect(r.stderr).toContain('docs/tls.md');
    // Refused before any connection attempt (an unroutable address would hang for seconds).
    expect(Date.now() - started).toBeLessThan(10_000);
    // Every server of a fleet list is checked.
    const list = lane(['--server', `https://sync.example.vn,${REMOTE}`, '--enroll', 'X', '--data', data]);
    expect(list.code).toBe(2);
    expect(list.stderr).toContain(`--server ${REMOTE} is plain http://`);
  });

  it('enrolls and runs over loopback http without --insecure-http', async () => {
    const code = await server.enrollmentCode('TLS-1');
    const r = lane(['--server', server.url, '--enroll', code, '--data', join(dir, 'lane-loopback')]);
    expect(r.stderr).not.toContain('plain http');
    expect(r.code).toBe(0);
  });

  it('refuses an enrolled lane whose stored server is plain http to another machine, unless --insecure-http', async () => {
    const data = join(dir, 'lane-stored');
    const code = await server.enrollmentCode('TLS-1');
    expect(lane(['--server', server.url, '--enroll', code, '--data', data]).code).toBe(0);
    // A lane enrolled (by an older version, or by hand) against a plain-http server elsewhere.
    const vault = await LaneVault.open(data, insecureFileKeyStore(data));
    if (!vault.ok) throw new Error(`not enrolled: ${vault.error.message}`);
    expect(vault.value.update({ ...vault.value.credentials, serverUrl: REMOTE }).ok).toBe(true);

    const refused = lane(['--data', data]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /^checkpoint-lane: the enrolled server http:\/\/192\.0\.2\.10:8080 is plain http:\/\/ to another machine/,
    );

    // With --insecure-http it starts (offline: TEST-NET is unreachable) and says what it accepted.
    const allowed = lane(['--data', data, '--insecure-http']);
    expect(allowed.stderr).toContain('plain http:// to the sync server (--insecure-http)');
    expect(allowed.stderr).not.toContain('is plain http:// to another machine');
    expect(allowed.code).toBe(0);
  });
});
