// A stolen lane gives nothing away. A real sync server on 127.0.0.1, a real software TPM (swtpm),
// and a real `checkpoint-lane --key-store tpm` enrolled and synced with a health list of F0s.
// The thief, given only the lane's data folder, tries every 32-byte window and every decoded
// token of every file as the list key and recovers no listed ID; the same lane restarted (same
// TPM) still decides those F0s red; with the TPM's state gone the lane starts, says it cannot
// unseal, and decides amber (never green) for them.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LaneVault, TpmKeyStore } from '@checkpoint-lane/kiosk';
// A test kit is not part of the lane's public entry (it would ship): imported by path.
// eslint-disable-next-line boundaries/no-cross-package-relative
import { Swtpm, swtpmMissing } from '../../kiosk/src/secrets/swtpm.testkit.js';
import { freePort, LANE_JS, range, ServerUnderTest } from './lane-helpers.js';

const THIEF = 'tests/integration/lane-thief.ts';
const missing = swtpmMissing();
if (missing !== null) console.warn(missing);

/** Listed F0s, F1s, and IDs nobody listed. */
const F0S = range(6).map((i) => `0010901234${String(50 + i)}`);
const F1S = range(4).map((i) => `0020901234${String(60 + i)}`);
const CLEAN = ['079201004568', '079201004569'];

interface Decision {
  decision: string;
  reasons: string[];
}

let dir: string;
let server: ServerUnderTest;
let tpm: Swtpm;
let laneDir: string;

/** Runs the lane to the end of `ids` on stdin, with the TPM reached through `tcti`. */
function runLane(args: string[], ids: readonly string[], tcti: string) {
  const r = spawnSync(
    process.execPath,
    [LANE_JS, '--data', laneDir, '--scanner', 'stdin', '--json', '--key-store', 'tpm', ...args],
    {
      input: ids.map((id) => `${id}\n`).join(''),
      encoding: 'utf8',
      env: {
        ...process.env,
        TPM2TOOLS_TCTI: tcti,
        CHECKPOINT_LOG_LEVEL: 'info',
        CHECKPOINT_FIRST_SYNC_MS: '15000',
        CHECKPOINT_DRAIN_MS: '5000',
      },
      timeout: 60_000,
    },
  );
  const decisions = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Decision);
  return { code: r.status, decisions, stderr: r.stderr };
}

/** The thief: a process of its own, given the data folder and the IDs it hopes to find. */
function thief(folder: string, ids: readonly string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', THIEF, folder, ...ids], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`thief failed (${String(r.status)}): ${r.stderr}`);
  return JSON.parse(r.stdout) as {
    files: string[];
    bytes: number;
    tokens: number;
    candidates: number;
    listed: number;
    keysHit: number;
    recovered: number;
    hitFiles: string[];
  };
}

describe.skipIf(missing !== null)('a stolen lane (sealed with a TPM)', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lane-thief-'));
    laneDir = join(dir, 'lane');
    server = new ServerUnderTest(
      join(dir, 'server'),
      await freePort(),
      'admin-token-for-thief-tests-0123456789',
    );
    await server.start();
    await server.addCheckpoint('THIEF-1', 'open');
    const rows = [...F0S.map((id) => `${id},F0,2026-01-01,,,`), ...F1S.map((id) => `${id},F1,2026-01-01,,,`)];
    await server.importCsv('health', `id,status,since,until,name,note\n${rows.join('\n')}\n`);
    tpm = await Swtpm.start(join(dir, 'tpm'));
  });

  afterAll(async () => {
    await tpm.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrolls sealed by the TPM and decides the listed F0s red', async () => {
    const code = await server.enrollmentCode('THIEF-1');
    const r = runLane(
      ['--server', server.url, '--enroll', code, '--name', 'thief-lane'],
      [...F0S, ...CLEAN],
      tpm.tcti,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.decisions.map((d) => d.decision)).toEqual([...F0S.map(() => 'red'), 'green', 'green']);
    const files = readdirSync(laneDir);
    expect(files).toEqual(
      expect.arrayContaining(['lane.db', 'lane-secrets.enc', 'lane-key.tpm.json', 'lane-identity.json']),
    );
    expect(files).not.toContain('lane-credentials.json');
  });

  it('the thief with only the data folder recovers no listed ID', () => {
    const everyListed = [...F0S, ...F1S];
    const stolen = thief(laneDir, everyListed);
    console.info(
      `thief: ${String(stolen.files.length)} files (${stolen.files.join(', ')}), ${String(stolen.bytes)} bytes, ` +
        `${String(stolen.tokens)} decoded tokens, ${String(stolen.candidates)} candidate keys, 0 of ${String(stolen.listed)} listed recovered`,
    );
    expect(stolen.listed).toBe(everyListed.length);
    expect(stolen.files).toEqual(
      expect.arrayContaining(['lane.db', 'lane-secrets.enc', 'lane-key.tpm.json']),
    );
    // Every window of every byte was tried: the search is as wide as the folder.
    expect(stolen.candidates).toBeGreaterThan(stolen.bytes - 32 * stolen.files.length);
    expect(stolen).toMatchObject({ keysHit: 0, recovered: 0, hitFiles: [] });
  });

  it('the thief works: with K written anywhere in the folder it recovers every listed ID', async () => {
    // The test (holding the TPM) opens the vault to learn K, then plants it in a copy.
    const vault = await LaneVault.open(laneDir, new TpmKeyStore(laneDir, { tcti: tpm.tcti }));
    if (!vault.ok) throw new Error(vault.error.message);
    const K = Buffer.from(vault.value.credentials.listKey, 'base64');
    const forms: Record<string, string> = {
      'raw.bin': K.toString('latin1'),
      'b64.json': JSON.stringify({ listKey: K.toString('base64') }),
      'b64url.txt': `key=${K.toString('base64url')}`,
      'hex.txt': `x${K.toString('hex')}y`,
    };
    const copy = join(dir, 'planted');
    cpSync(laneDir, copy, { recursive: true });
    for (const [name, text] of Object.entries(forms)) {
      writeFileSync(join(copy, name), text, name === 'raw.bin' ? 'latin1' : 'utf8');
    }
    const found = thief(copy, [...F0S, ...F1S]);
    expect(found.recovered).toBe(F0S.length + F1S.length);
    // Found in each planted form, and nowhere else.
    expect(found.hitFiles).toEqual(Object.keys(forms).sort());
  });

  it('the same lane restarted on the same TPM still decides those F0s red', () => {
    const r = runLane([], [...F0S, CLEAN[0]!], tpm.tcti);
    expect(r.code, r.stderr).toBe(0);
    expect(r.decisions).toEqual([
      ...F0S.map(() => expect.objectContaining({ decision: 'red', reasons: ['health_blocked'] }) as unknown),
      expect.objectContaining({ decision: 'green' }),
    ]);
    const unsealed = /"unsealMs":(\d+)[^\n]*lane secrets unsealed/.exec(r.stderr);
    expect(unsealed).not.toBeNull();
    console.info(`unseal at start (swtpm, tpm2-tools, PCR 7 policy): ${unsealed?.[1] ?? '?'} ms`);
  });

  it('with the TPM state gone the lane starts, says it cannot unseal, and decides amber (never green)', async () => {
    const fresh = await Swtpm.start();
    try {
      const r = runLane([], [...F0S, ...CLEAN], fresh.tcti);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/checkpoint-lane: KHOÁ LÀN: không mở được khoá bí mật của làn \(refused\)/);
      expect(r.stderr).toMatch(
        /LANE LOCKED: cannot unseal the lane's secrets \(refused\): the TPM cannot open this seal: it was made by another TPM/,
      );
      expect(r.decisions).toHaveLength(F0S.length + CLEAN.length);
      for (const d of r.decisions) expect(d).toMatchObject({ decision: 'amber', reasons: ['lane_locked'] });
    } finally {
      await fresh.destroy();
    }
    // No TPM at all answers: the same.
    const none = runLane([], [F0S[0]!, CLEAN[0]!], `swtpm:path=${join(dir, 'no-tpm')}`);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stderr).toMatch(
      /LANE LOCKED: cannot unseal the lane's secrets \(unavailable\): no TPM reachable/,
    );
    expect(none.decisions.map((d) => [d.decision, d.reasons])).toEqual([
      ['amber', ['lane_locked']],
      ['amber', ['lane_locked']],
    ]);
    // Its own TPM back: the lane opens again; the amber scans it recorded were kept for upload.
    const back = runLane([], [F0S[1]!], tpm.tcti);
    expect(back.decisions).toEqual([expect.objectContaining({ decision: 'red' })]);
    expect(existsSync(join(laneDir, 'lane-credentials.json'))).toBe(false);
  });
});
