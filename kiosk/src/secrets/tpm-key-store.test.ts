// The TPM key store against a real software TPM (swtpm) started here.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Swtpm, swtpmMissing } from './swtpm.testkit.js';
import { parseTpmPcrs, TPM_SEAL_FILE, TpmKeyStore } from './tpm-key-store.js';

const missing = swtpmMissing();
if (missing !== null) console.warn(missing);

describe('parseTpmPcrs', () => {
  it('reads 7, 0,7 and none; refuses anything else', () => {
    expect(parseTpmPcrs('7')).toEqual({ ok: true, value: [7] });
    expect(parseTpmPcrs('7,0,7')).toEqual({ ok: true, value: [0, 7] });
    expect(parseTpmPcrs('none')).toEqual({ ok: true, value: [] });
    for (const bad of ['', '24', '7;0', 'x', '-1', '0,,7']) expect(parseTpmPcrs(bad).ok).toBe(false);
  });
});

describe('TpmKeyStore without a TPM', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tpm-none-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is unavailable when tpm2-tools is not installed', async () => {
    const store = new TpmKeyStore(dir, { tcti: 'swtpm:path=/nonexistent', env: { PATH: dir } });
    const r = await store.seal(randomBytes(32));
    expect(r).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    if (!r.ok) expect(r.error.message).toMatch(/tpm2-tools is not installed/);
  });

  it.skipIf(missing !== null)('is unavailable when no TPM answers', async () => {
    const store = new TpmKeyStore(dir, { tcti: `swtpm:path=${join(dir, 'no-socket')}` });
    const r = await store.seal(randomBytes(32));
    expect(r).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    if (!r.ok) expect(r.error.message).toMatch(/no TPM reachable through TCTI swtpm:path=/);
  });

  it('is unavailable with no TCTI and no TPM device', async () => {
    const store = new TpmKeyStore(dir, { env: { PATH: process.env['PATH'] } });
    const r = await store.seal(randomBytes(32));
    // This machine has no /dev/tpmrm0 (a CI container); a machine with one seals instead.
    if (!r.ok) expect(r.error).toMatchObject({ code: 'unavailable', message: /no TPM on this machine/ });
  });

  it('answers unavailable once its overall deadline passes, killing a tool that hangs', async () => {
    // A stand-in for a hung TPM: swtpm cannot be made to hang on demand, so a fake
    // tpm2_createprimary that never returns stands in for the first tool an unseal runs.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const pidFile = join(dir, 'tool.pid');
    writeFileSync(join(bin, 'tpm2_createprimary'), `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 60\n`, {
      mode: 0o755,
    });
    writeFileSync(
      join(dir, TPM_SEAL_FILE),
      JSON.stringify({ version: 1, primary: 'ecc256:aes128cfb', pcrs: [], public: 'AAAA', private: 'AAAA' }),
    );
    const store = new TpmKeyStore(dir, {
      tcti: 'swtpm:path=/nonexistent',
      env: { PATH: `${bin}:${process.env['PATH'] ?? ''}` },
      toolTimeoutMs: 60_000,
      deadlineMs: 700,
    });
    const started = performance.now();
    const r = await store.unseal();
    const ms = performance.now() - started;
    expect(r).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    if (!r.ok)
      expect(r.error.message).toMatch(
        /the TPM did not answer within 700 ms \(tpm2_createprimary was stopped\)/,
      );
    expect(ms).toBeGreaterThanOrEqual(650);
    expect(ms).toBeLessThan(5_000);
    // The hung tool is gone (killed, not left running).
    expect(existsSync(pidFile)).toBe(true);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      try {
        process.kill(pid, 0);
        await new Promise((resolve) => setTimeout(resolve, 20));
      } catch {
        alive = false;
      }
    }
    expect(alive).toBe(false);
  });

  it('says missing when nothing is sealed', async () => {
    const r = await new TpmKeyStore(dir, { tcti: 'swtpm:path=/nonexistent' }).unseal();
    expect(r).toMatchObject({ ok: false, error: { code: 'missing' } });
  });
});

describe.skipIf(missing !== null)('TpmKeyStore with swtpm', () => {
  let tpm: Swtpm;
  let dir: string;

  beforeAll(async () => {
    tpm = await Swtpm.start();
  });
  afterAll(async () => {
    await tpm.destroy();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tpm-store-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('seals and unseals a wrapping key, bound to PCR 7 by default; the key is in no file', async () => {
    const store = new TpmKeyStore(dir, { tcti: tpm.tcti });
    const key = randomBytes(32);
    expect(store.exists()).toBe(false);
    expect(await store.seal(key)).toEqual({ ok: true, value: undefined });
    expect(store.exists()).toBe(true);
    const file = join(dir, TPM_SEAL_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const sealed = readFileSync(file);
    expect(sealed.includes(key)).toBe(false);
    expect(sealed.includes(Buffer.from(key.toString('base64')))).toBe(false);
    expect(JSON.parse(sealed.toString('utf8'))).toMatchObject({ version: 1, pcrs: [7] });

    const started = performance.now();
    const opened = await store.unseal();
    const ms = performance.now() - started;
    expect(opened.ok && opened.value.equals(key)).toBe(true);
    console.info(`TPM unseal (swtpm, PCR 7 policy): ${ms.toFixed(0)} ms`);
    // A store opened later (a restart) needs no PCR option to open what was sealed.
    const again = await new TpmKeyStore(dir, { tcti: tpm.tcti, pcrs: [] }).unseal();
    expect(again.ok && again.value.equals(key)).toBe(true);
  });

  it('seals with no PCR policy (--tpm-pcrs none) and with 0,7', async () => {
    for (const pcrs of [[], [0, 7]]) {
      const store = new TpmKeyStore(dir, { tcti: tpm.tcti, pcrs });
      const key = randomBytes(32);
      expect((await store.seal(key)).ok).toBe(true);
      const opened = await store.unseal();
      expect(opened.ok && opened.value.equals(key)).toBe(true);
    }
  });

  it('a new seal replaces the old one', async () => {
    const store = new TpmKeyStore(dir, { tcti: tpm.tcti });
    await store.seal(randomBytes(32));
    const second = randomBytes(32);
    await store.seal(second);
    const opened = await store.unseal();
    expect(opened.ok && opened.value.equals(second)).toBe(true);
  });

  it('refuses when PCR 7 changed since sealing (another boot state)', async () => {
    const own = await Swtpm.start();
    try {
      const store = new TpmKeyStore(dir, { tcti: own.tcti });
      await store.seal(randomBytes(32));
      own.extendPcr(7);
      const r = await store.unseal();
      expect(r).toMatchObject({ ok: false, error: { code: 'refused' } });
      if (!r.ok) expect(r.error.message).toMatch(/boot state changed .*PCR sha256:7/);
    } finally {
      await own.destroy();
    }
  });

  it('refuses a seal made by another TPM (a fresh TPM state)', async () => {
    const store = new TpmKeyStore(dir, { tcti: tpm.tcti });
    await store.seal(randomBytes(32));
    const other = await Swtpm.start();
    try {
      const r = await new TpmKeyStore(dir, { tcti: other.tcti }).unseal();
      expect(r).toMatchObject({ ok: false, error: { code: 'refused' } });
      if (!r.ok) expect(r.error.message).toMatch(/another TPM/);
    } finally {
      await other.destroy();
    }
  });

  it('the same TPM stopped and started again still opens its seal', async () => {
    const own = await Swtpm.start();
    try {
      const store = new TpmKeyStore(dir, { tcti: own.tcti });
      const key = randomBytes(32);
      await store.seal(key);
      await own.stop();
      expect((await store.unseal()).ok).toBe(false);
      await own.restart();
      const opened = await store.unseal();
      expect(opened.ok && opened.value.equals(key)).toBe(true);
    } finally {
      await own.destroy();
    }
  });

  it('says corrupt for a damaged seal file', async () => {
    const store = new TpmKeyStore(dir, { tcti: tpm.tcti });
    await store.seal(randomBytes(32));
    const file = join(dir, TPM_SEAL_FILE);
    const good = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const cases: string[] = [
      '{not json',
      JSON.stringify({ ...good, version: 2 }),
      JSON.stringify({ ...good, private: 'not base64!' }),
      JSON.stringify({ ...good, private: Buffer.from('short').toString('base64') }),
    ];
    for (const text of cases) {
      writeFileSync(file, text);
      expect(await store.unseal()).toMatchObject({ ok: false, error: { code: 'corrupt' } });
    }
  });

  it('leaves no transient object in the TPM (it has three slots)', async () => {
    const store = new TpmKeyStore(dir, { tcti: tpm.tcti });
    await store.seal(randomBytes(32));
    for (let i = 0; i < 5; i++) expect((await store.unseal()).ok).toBe(true);
    for (const handles of ['handles-transient', 'handles-loaded-session', 'handles-saved-session']) {
      expect(tpm.tool('tpm2_getcap', [handles])).toEqual({ status: 0, stdout: '', stderr: '' });
    }
  });
});
