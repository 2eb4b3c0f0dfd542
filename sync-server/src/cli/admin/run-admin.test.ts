import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addCheckpoint,
  buildTestApp,
  enrollKiosk,
  importCsv,
  scanRecord,
  signIn,
  type TestApp,
} from '../../testing/build-test-app.js';
import { progressBar, runAdmin, table } from './run-admin.js';

describe('checkpoint-admin helpers', () => {
  it('draws a progress bar and plain tables', () => {
    expect(progressBar(0, 2 * 1048576, 10)).toBe('[..........]   0% 0.0/2.0 MB');
    expect(progressBar(1048576, 2 * 1048576, 10)).toBe('[#####.....]  50% 1.0/2.0 MB');
    expect(progressBar(5, 0, 4)).toBe('[....]   0% 0.0/0.0 MB');
    expect(
      table(
        [
          { a: 1, b: null },
          { a: 'long value', b: { x: 1 } },
        ],
        ['a', 'b'],
      ),
    ).toBe('a           b\n1           -\nlong value  {"x":1}');
    expect(table([], ['a'])).toBe('(none)');
  });

  it('explains usage errors with exit code 2', async () => {
    let err = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, env: {} };
    expect(await runAdmin(['--bogus'], io)).toBe(2);
    expect(err).toMatch(/Unknown option '--bogus'/);
    expect(
      await runAdmin(['--server', 'http://x', '--token', 't', 'lists', 'import', 'people', 'f.csv'], io),
    ).toBe(2);
    expect(await runAdmin(['--server', 'http://x', '--token', 't', 'enroll'], io)).toBe(2);
    expect(await runAdmin(['--server', 'http://x', '--token', 't', 'alerts', '--limit', 'x'], io)).toBe(2);
    err = '';
    // An unknown command is named before any complaint about the missing server.
    expect(await runAdmin(['tracer'], io)).toBe(2);
    expect(err).toMatch(/unknown command: tracer/);
    expect(err).not.toMatch(/no server/);
  });
});

describe('checkpoint-admin and plain http', () => {
  it('warns, without refusing, when the admin token would cross a network unencrypted', async () => {
    const errOf = async (server: string): Promise<{ code: number; err: string }> => {
      let err = '';
      const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, env: {} };
      // `enroll` without a checkpoint stops at usage, after the server check and before any request.
      return { code: await runAdmin(['--server', server, '--token', 't', 'enroll'], io), err };
    };
    const remote = await errOf('http://10.0.0.5:8080');
    expect(remote.code).toBe(2);
    expect(remote.err).toMatch(
      /^checkpoint-admin: warning: http:\/\/10\.0\.0\.5:8080 is plain http:\/\/ to another machine: the admin token .*docs\/tls\.md\)\n/,
    );
    for (const quiet of ['https://sync.example.vn', 'http://127.0.0.1:8080', 'http://localhost:8080'])
      expect((await errOf(quiet)).err, quiet).not.toContain('warning');
    const bad = await errOf('ftp://sync.example.vn');
    expect(bad.err).toContain('--server ftp://sync.example.vn is not an http(s) URL');
  });
});

/** Runs `checkpoint-admin` against a test server (listening on 127.0.0.1 from its first use). */
async function runAgainst(
  t: TestApp | undefined,
  args: string[],
  env: Record<string, string>,
  stdinText: string | undefined,
): Promise<{ code: number; out: string; err: string }> {
  if (t === undefined) throw new Error('no server');
  if (!t.app.server.listening) await t.app.listen({ port: 0, host: '127.0.0.1' });
  const server = `http://127.0.0.1:${String((t.app.server.address() as AddressInfo).port)}`;
  let out = '';
  let err = '';
  const io = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env,
    ...(stdinText !== undefined && { stdin: Readable.from([stdinText]) }),
  };
  const code = await runAdmin(['--server', server, '--token', t.adminToken, ...args], io);
  return { code, out, err };
}

describe('checkpoint-admin accounts', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const run = (args: string[], env: Record<string, string> = {}, stdinText?: string) =>
    runAgainst(t, args, env, stdinText);

  it('adds accounts with the password from the environment or stdin, lists and changes them', async () => {
    t = await buildTestApp();
    const added = await run(['accounts', 'add', 'Lan', '--role', 'admin', '--display-name', 'Nguyễn Lan'], {
      CHECKPOINT_ACCOUNT_PASSWORD: 'password from env',
    });
    expect(added).toEqual({ code: 0, out: 'account lan (admin) created\n', err: '' });
    const piped = await run(
      ['--json', 'accounts', 'add', 'xem', '--role', 'viewer'],
      {},
      'piped password\nrest\n',
    );
    expect(piped.code, piped.err).toBe(0);
    expect(JSON.parse(piped.out)).toMatchObject({ username: 'xem', displayName: 'xem', role: 'viewer' });
    await signIn(t, 'lan', 'password from env');
    await signIn(t, 'xem', 'piped password');

    const list = await run(['accounts', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^username\s+displayName\s+role\s+province\s+state\s+lastLoginAt\n/);
    expect(list.out).toMatch(/\nlan\s+Nguyễn Lan\s+admin\s+-\s+active\s+\d{4}-\d\d-\d\dT/);
    expect(list.out).toMatch(/\nxem\s+xem\s+viewer\s+-\s+active/);

    const set = await run(['accounts', 'set', 'xem', '--disable', '--password'], {}, 'another password\n');
    expect(set.code).toBe(0);
    expect(set.out).toMatch(/xem\s+xem\s+viewer\s+-\s+disabled/);
    expect((await t.app.services.accounts.get('xem'))?.disabledAt).not.toBeNull();
    await run(['accounts', 'set', 'xem', '--enable']);
    await signIn(t, 'xem', 'another password');
  });

  it('refuses bad usage and reports the server’s refusals', async () => {
    t = await buildTestApp();
    expect((await run(['accounts', 'add', 'lan'])).code).toBe(2);
    expect((await run(['accounts', 'add', 'lan', '--role', 'root'])).code).toBe(2);
    expect((await run(['accounts', 'set', 'lan'])).code).toBe(2);
    expect((await run(['accounts', 'set', 'lan', '--enable', '--disable'])).code).toBe(2);
    expect((await run(['accounts', 'add', 'lan', '--role', 'admin'], {}, '')).code).toBe(2);
    const short = await run(['accounts', 'add', 'lan', '--role', 'admin'], {
      CHECKPOINT_ACCOUNT_PASSWORD: 'short',
    });
    expect(short.code, short.err).toBe(1);
    expect(short.err).toMatch(/the server answered 400/);
    const env = { CHECKPOINT_ACCOUNT_PASSWORD: 'long enough password' };
    expect((await run(['accounts', 'add', 'lan', '--role', 'admin'], env)).code).toBe(0);
    const dup = await run(['--json', 'accounts', 'add', 'LAN', '--role', 'viewer'], env);
    expect(dup.code).toBe(1);
    expect(JSON.parse(dup.out)).toMatchObject({ status: 409, error: 'username_taken' });
  });
});

describe('checkpoint-admin checkpoint locations and account provinces (issue 16)', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const run = (args: string[], env: Record<string, string> = {}, stdinText?: string) =>
    runAgainst(t, args, env, stdinText);

  it('sets a checkpoint location with --location LAT,LON, removes it with none, refuses bad ones', async () => {
    t = await buildTestApp();
    const add = ['checkpoints', 'add', '--id', 'HN-01', '--name', 'Hà Nội 1', '--mode', 'open'];
    const set = await run([...add, '--location', '21.0285, 105.8542']);
    expect(set.code, set.err).toBe(0);
    expect(set.out).toMatch(/location 21\.0285,105\.8542\n$/);
    const json = await run(['--json', 'checkpoints', 'list']);
    expect(JSON.parse(json.out)).toMatchObject({
      checkpoints: [{ id: 'HN-01', location: { lat: 21.0285, lon: 105.8542 } }],
    });
    for (const bad of ['91,0', '0,181', '21.0', 'north,east', '21,105,3'])
      expect((await run([...add, '--location', bad])).code, bad).toBe(2);
    expect((await run([...add, '--location', 'none'])).code).toBe(0);
    expect((await t.app.services.checkpoints.view('HN-01'))?.location).toBeNull();
  });

  it('limits an account to a province with --province and lifts it with none', async () => {
    t = await buildTestApp();
    const env = { CHECKPOINT_ACCOUNT_PASSWORD: 'long enough password' };
    expect((await run(['accounts', 'add', 'ca-hcm', '--role', 'viewer', '--province', '79'], env)).code).toBe(
      0,
    );
    expect((await t.app.services.accounts.get('ca-hcm'))?.province).toBe(79);
    expect((await run(['accounts', 'add', 'x-y', '--role', 'viewer', '--province', '100'], env)).code).toBe(
      2,
    );
    const lifted = await run(['accounts', 'set', 'ca-hcm', '--province', 'none']);
    expect(lifted.code, lifted.err).toBe(0);
    expect((await t.app.services.accounts.get('ca-hcm'))?.province).toBeNull();
  });
});

describe('checkpoint-admin officers', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const run = (args: string[], env: Record<string, string> = {}, stdinText?: string) =>
    runAgainst(t, args, env, stdinText);

  it('sets officers with the PIN from the environment or stdin, lists, disables and enables them', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'CP-A');
    await addCheckpoint(t, 'CP-B');
    const created = await run(
      [
        'officers',
        'set',
        'o-lan',
        '--name',
        'Nguyễn Lan',
        '--role',
        'officer',
        '--checkpoints',
        'CP-A, CP-B',
        '--pin-from-env',
      ],
      { CHECKPOINT_OFFICER_PIN: '246801' },
    );
    expect(created.code, created.err).toBe(0);
    expect(created.out).toMatch(/o-lan\s+Nguyễn Lan\s+officer\s+CP-A,CP-B\s+active/);
    expect(created.out).toMatch(/roster version 1\n$/);
    const piped = await run(
      ['--json', 'officers', 'set', 's-minh', '--name', 'Minh', '--role', 'supervisor', '--pin'],
      {},
      '135791\nrest\n',
    );
    expect(piped.code, piped.err).toBe(0);
    expect(JSON.parse(piped.out)).toEqual({
      version: 2,
      officer: {
        id: 's-minh',
        name: 'Minh',
        role: 'supervisor',
        checkpoints: null,
        disabled: false,
        updatedAt: expect.any(Number) as unknown,
      },
    });
    const pins = t.app.services.officers;
    const hashBefore = (await pins.get('s-minh'))?.pinHash;
    // Unset name and role keep their values; no PIN flag keeps the PIN.
    const moved = await run(['officers', 'set', 's-minh', '--checkpoints', 'CP-B']);
    expect(moved.code).toBe(0);
    expect(await pins.get('s-minh')).toMatchObject({
      name: 'Minh',
      role: 'supervisor',
      checkpoints: ['CP-B'],
    });
    expect((await pins.get('s-minh'))?.pinHash).toBe(hashBefore);
    expect((await run(['officers', 'set', 's-minh', '--all-checkpoints'])).code).toBe(0);
    expect((await pins.get('s-minh'))?.checkpoints).toBeNull();

    expect((await run(['officers', 'disable', 'o-lan'])).out).toMatch(/o-lan.*disabled/);
    const list = await run(['officers', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(
      /^roster version 5; new PINs: 6–8 digits\nid\s+name\s+role\s+checkpoints\s+state\s+updatedAt\n/,
    );
    expect(list.out).toMatch(/\no-lan\s+Nguyễn Lan\s+officer\s+CP-A,CP-B\s+disabled/);
    expect(list.out).toMatch(/\ns-minh\s+Minh\s+supervisor\s+\(all\)\s+active/);
    expect((await run(['--json', 'officers', 'enable', 'o-lan'])).out).toMatch(/"disabled":false/);
    expect(list.out + created.out + piped.out).not.toMatch(/246801|135791|scrypt/);
  });

  it('refuses bad usage and reports the server’s refusals', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'CP-A');
    const env = { CHECKPOINT_OFFICER_PIN: '123456' };
    expect((await run(['officers', 'set'])).code).toBe(2);
    expect(
      (await run(['officers', 'set', 'o1', '--name', 'x', '--role', 'chief', '--pin-from-env'], env)).code,
    ).toBe(2);
    // A new officer needs --name and --role.
    expect((await run(['officers', 'set', 'o1', '--pin-from-env'], env)).code).toBe(2);
    // --pin-from-env never falls back to stdin; --pin with neither is a usage error.
    expect(
      (
        await run(
          ['officers', 'set', 'o1', '--name', 'x', '--role', 'officer', '--pin-from-env'],
          {},
          '1234\n',
        )
      ).code,
    ).toBe(2);
    expect(
      (await run(['officers', 'set', 'o1', '--name', 'x', '--role', 'officer', '--pin'], {}, '')).code,
    ).toBe(2);
    expect(
      (
        await run(
          [
            'officers',
            'set',
            'o1',
            '--name',
            'x',
            '--role',
            'officer',
            '--checkpoints',
            'CP-A',
            '--all-checkpoints',
          ],
          env,
        )
      ).code,
    ).toBe(2);
    // The PIN is never taken from argv: a --pin value is refused by the parser.
    expect(
      (await run(['officers', 'set', 'o1', '--name', 'x', '--role', 'officer', '--pin=1234'])).code,
    ).toBe(2);
    const noPin = await run(['--json', 'officers', 'set', 'o1', '--name', 'x', '--role', 'officer']);
    expect(noPin.code).toBe(1);
    expect(JSON.parse(noPin.out)).toMatchObject({ status: 400, error: 'pin_required' });
    const shortPin = await run(
      ['officers', 'set', 'o1', '--name', 'x', '--role', 'officer', '--pin-from-env'],
      {
        CHECKPOINT_OFFICER_PIN: '12',
      },
    );
    expect(shortPin.code).toBe(1);
    expect(shortPin.err).toMatch(
      /the server answered 400: a new PIN needs 6 to 8 digits \(this server's minimum, checkpoint-server --officer-pin-min-digits\).*\(pin_too_short\)\n$/,
    );
    expect(shortPin.err).not.toContain('12 ');
    // A 4- or 5-digit PIN is refused the same way under the default minimum, with --json too.
    const fiveDigits = await run(
      ['--json', 'officers', 'set', 'o1', '--name', 'x', '--role', 'officer', '--pin-from-env'],
      { CHECKPOINT_OFFICER_PIN: '97531' },
    );
    expect(fiveDigits.code).toBe(1);
    expect(JSON.parse(fiveDigits.out)).toMatchObject({ status: 400, error: 'pin_too_short' });
    expect(fiveDigits.out + fiveDigits.err).not.toContain('97531');
    expect(
      (
        await run(
          [
            'officers',
            'set',
            'o1',
            '--name',
            'x',
            '--role',
            'officer',
            '--checkpoints',
            'CP-A',
            '--pin-from-env',
          ],
          env,
        )
      ).code,
    ).toBe(0);
    const clash = await run(
      ['--json', 'officers', 'set', 'o2', '--name', 'y', '--role', 'officer', '--pin-from-env'],
      env,
    );
    expect(clash.code).toBe(1);
    expect(JSON.parse(clash.out)).toMatchObject({ status: 409, error: 'pin_in_use' });
    expect((await run(['officers', 'disable', 'nobody'])).code).toBe(1);
  });
});

describe('checkpoint-admin alerts', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('lists alerts with their kind, lane, masked subject, what happened at the lane and why one is distrusted', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'HCM-01');
    await addCheckpoint(t, 'HN-02');
    await importCsv(t, 'health', 'id,status,since,until,name,note\n001099012345,F0,,,Nguyễn Văn A,\n');
    const hcm = await enrollKiosk(t, 'HCM-01', 'Làn HCM');
    const hn = await enrollKiosk(t, 'HN-02', 'Làn HN');
    const upload = (k: { auth: { authorization: string } }, records: Record<string, unknown>[]) =>
      t?.app.inject({ method: 'POST', url: '/api/v1/kiosk/scans', headers: k.auth, payload: { records } });
    const red = scanRecord(1, {
      subjectKey: '52d2d0ef9befd516',
      decision: 'red',
      reasons: ['health_blocked'],
      alert: true,
    });
    await upload(hcm, [red]);
    await upload(hn, [
      {
        type: 'override',
        seq: 1,
        id: '01890a5d-ac96-7000-8000-00000000f001',
        at: 1_700_000_000_500,
        scanId: red['id'],
        originalDecision: 'red',
        decision: 'green',
        officerId: 'o1',
        supervisorId: 'chief',
        reason: 'other',
        note: '',
      },
    ]);
    const r = await runAgainst(t, ['alerts'], {}, undefined);
    expect(r.code).toBe(0);
    const [header, overrideRow, healthRow] = r.out.trim().split('\n');
    expect(header).toMatch(
      /^id\s+at\s+kind\s+checkpointId\s+kioskName\s+status\s+subjectMasked\s+atLane\s+issues$/,
    );
    expect(overrideRow).toMatch(
      /override\s+HN-02\s+Làn HN\s+F0\s+••••••••2345\s+pending\s+scan_other_lane no_roster$/,
    );
    expect(healthRow).toMatch(/health\s+HCM-01\s+Làn HCM\s+F0\s+••••••••2345\s+pending$/);
    expect(r.out).not.toContain('001099012345');
  });
});
