// The safe-storage key store against a stand-in helper. The real helper is the Electron binary
// running kiosk/electron/safe-storage-helper.ts, and that binary cannot be downloaded or run on
// these machines; so a tiny Node script stands in for it, speaking the same protocol (one JSON
// request line on stdin, one tagged JSON answer line on stdout). Its "keyring" is an AES-GCM key
// in a file outside the lane's data folder, as an OS keyring is. The helper's own rules (which
// keyrings it accepts) are tested in kiosk/electron/safe-storage-policy.test.ts.
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findElectronBinary } from '../display-shell/electron-launcher.js';
import {
  SAFE_STORAGE_FILE,
  SAFE_STORAGE_PROFILE_DIR,
  SafeStorageKeyStore,
  type SafeStorageKeyStoreOptions,
} from './safe-storage-key-store.js';

const STAND_IN = String.raw`
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const control = JSON.parse(readFileSync(join(here, 'control.json'), 'utf8'));
writeFileSync(join(here, 'record.json'), JSON.stringify({
  argv: process.argv.slice(2),
  profile: process.env.CHECKPOINT_SAFE_STORAGE_PROFILE ?? null,
  runAsNode: process.env.ELECTRON_RUN_AS_NODE ?? null,
}));
const answer = (fields) => {
  process.stdout.write(JSON.stringify({ helper: 'checkpoint-safe-storage', ...fields }) + '\n');
};
const keyringKey = () => {
  if (!existsSync(control.keyring)) writeFileSync(control.keyring, randomBytes(32));
  return readFileSync(control.keyring);
};

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const request = JSON.parse(input);
  switch (control.mode) {
    case 'keyring': {
      process.stdout.write('[1:2:ERROR:chromium_chatter.cc(1)] not an answer\n');
      if (request.op === 'seal') {
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', keyringKey(), iv);
        const body = Buffer.concat([cipher.update(request.key, 'utf8'), cipher.final()]);
        const sealed = Buffer.concat([Buffer.from('v11'), iv, cipher.getAuthTag(), body]);
        answer({ ok: true, op: 'seal', sealed: sealed.toString('base64'), backend: 'gnome_libsecret' });
      } else {
        const sealed = Buffer.from(request.sealed, 'base64');
        try {
          const decipher = createDecipheriv('aes-256-gcm', keyringKey(), sealed.subarray(3, 15));
          decipher.setAuthTag(sealed.subarray(15, 31));
          const key = Buffer.concat([decipher.update(sealed.subarray(31)), decipher.final()]).toString('utf8');
          answer({ ok: true, op: 'unseal', key });
        } catch {
          answer({ ok: false, code: 'refused', message: 'the gnome_libsecret keyring would not open this seal' });
        }
      }
      return;
    }
    case 'basic_text':
      answer({ ok: false, code: 'refused', message: 'Electron safeStorage found no OS keyring (backend basic_text, a plain-text fallback); refused.' });
      return;
    case 'echo':
      answer({ ok: true, op: 'seal', sealed: request.key, backend: 'gnome_libsecret' });
      return;
    case 'short-key':
      answer({ ok: true, op: 'unseal', key: randomBytes(31).toString('base64') });
      return;
    case 'crash':
      process.stderr.write('Running as root without --no-sandbox is not supported.\n');
      process.exit(1);
    case 'signal':
      process.kill(process.pid, 'SIGKILL');
      return;
    case 'garbage':
      process.stdout.write('hello\n{"helper":"checkpoint-safe-storage"\n');
      return;
    case 'hang':
      setInterval(() => {}, 1000);
      return;
  }
});
`;

type Mode = 'keyring' | 'basic_text' | 'echo' | 'short-key' | 'crash' | 'signal' | 'garbage' | 'hang';

let root: string;
let dataDir: string;
let helperDir: string;
let keyringFile: string;

function useMode(mode: Mode): void {
  writeFileSync(join(helperDir, 'control.json'), JSON.stringify({ mode, keyring: keyringFile }));
}

function store(options: SafeStorageKeyStoreOptions = {}): SafeStorageKeyStore {
  return new SafeStorageKeyStore(dataDir, {
    electron: () => ({ ok: true, path: process.execPath }),
    helperMain: join(helperDir, 'stand-in.mjs'),
    ...options,
  });
}

function record(): { argv: string[]; profile: string | null; runAsNode: string | null } {
  return JSON.parse(readFileSync(join(helperDir, 'record.json'), 'utf8')) as ReturnType<typeof record>;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Every form of the key a careless write would leave: raw bytes, base64, base64url, hex. */
function keyFoundIn(dir: string, key: Buffer): string[] {
  const forms = [
    key,
    Buffer.from(key.toString('base64')),
    Buffer.from(key.toString('base64url')),
    Buffer.from(key.toString('hex')),
  ];
  return filesUnder(dir).filter((file) => {
    const bytes = readFileSync(file);
    return forms.some((form) => bytes.includes(form));
  });
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'safe-storage-'));
  dataDir = join(root, 'data');
  helperDir = join(root, 'helper');
  keyringFile = join(root, 'keyring.bin');
  mkdirSync(dataDir);
  mkdirSync(helperDir);
  writeFileSync(join(helperDir, 'stand-in.mjs'), STAND_IN);
  useMode('keyring');
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('SafeStorageKeyStore with a keyring behind the helper', () => {
  it('seals a key and opens it again, in a fresh store as after a restart', async () => {
    const key = randomBytes(32);
    expect(store().exists()).toBe(false);
    expect(await store().seal(key)).toEqual({ ok: true, value: undefined });
    expect(store().exists()).toBe(true);
    const opened = await store().unseal();
    expect(opened.ok && opened.value.equals(key)).toBe(true);
  });

  it('writes the seal 0600 with no temp file left, and never the key in any form', async () => {
    const key = randomBytes(32);
    await store().seal(key);
    await store().unseal();
    const file = join(dataDir, SAFE_STORAGE_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dataDir).sort()).toEqual([SAFE_STORAGE_FILE, SAFE_STORAGE_PROFILE_DIR].sort());
    expect(keyFoundIn(dataDir, key)).toEqual([]);
    expect(keyFoundIn(helperDir, key)).toEqual([]);
  });

  it('replaces an older seal', async () => {
    const first = randomBytes(32);
    const second = randomBytes(32);
    await store().seal(first);
    await store().seal(second);
    const opened = await store().unseal();
    expect(opened.ok && opened.value.equals(second)).toBe(true);
  });

  it('runs two seals at once one after the other, ending with a readable seal', async () => {
    const one = store();
    const keys = [randomBytes(32), randomBytes(32)];
    const results = await Promise.all(keys.map((key) => one.seal(key)));
    expect(results.every((result) => result.ok)).toBe(true);
    const opened = await one.unseal();
    expect(opened.ok && opened.value.equals(keys[1]!)).toBe(true);
  });

  it('passes the profile folder and a headless display to the helper, and the key on stdin only', async () => {
    const key = randomBytes(32);
    process.env['ELECTRON_RUN_AS_NODE'] = '1';
    try {
      await store().seal(key);
    } finally {
      delete process.env['ELECTRON_RUN_AS_NODE'];
    }
    const seen = record();
    expect(seen.profile).toBe(join(dataDir, SAFE_STORAGE_PROFILE_DIR));
    expect(seen.runAsNode).toBeNull();
    if (process.platform === 'linux') expect(seen.argv).toContain('--ozone-platform=headless');
    expect(seen.argv).toContain('--disable-gpu');
    expect(seen.argv).toContain('--checkpoint-safe-storage-helper');
    expect(JSON.stringify(seen)).not.toContain(key.toString('base64'));
    expect(statSync(join(dataDir, SAFE_STORAGE_PROFILE_DIR)).mode & 0o777).toBe(0o700);
  });

  it('reports a keyring that lost its key as refused', async () => {
    await store().seal(randomBytes(32));
    rmSync(keyringFile);
    const opened = await store().unseal();
    expect(opened).toMatchObject({ ok: false, error: { code: 'refused' } });
  });
});

describe('SafeStorageKeyStore refusing', () => {
  it('passes on the plain-text keyring refusal and writes nothing', async () => {
    useMode('basic_text');
    const result = await store().seal(randomBytes(32));
    expect(result).toMatchObject({ ok: false, error: { code: 'refused' } });
    expect(result.ok ? '' : result.error.message).toMatch(/basic_text/);
    expect(store().exists()).toBe(false);
  });

  it('writes nothing when the helper hands the key back unsealed', async () => {
    useMode('echo');
    const key = randomBytes(32);
    expect(await store().seal(key)).toMatchObject({ ok: false, error: { code: 'refused' } });
    expect(store().exists()).toBe(false);
    expect(keyFoundIn(dataDir, key)).toEqual([]);
  });

  it('refuses a key that is not 32 bytes without running the helper', async () => {
    expect(await store().seal(randomBytes(16))).toMatchObject({ ok: false, error: { code: 'corrupt' } });
    expect(existsSync(join(helperDir, 'record.json'))).toBe(false);
  });
});

describe('SafeStorageKeyStore without a working helper', () => {
  it('says Electron is missing, with the reason, when its binary is absent', async () => {
    const absent = store({
      electron: () => findElectronBinary({ CHECKPOINT_ELECTRON: join(root, 'no-electron') }),
    });
    const result = await absent.seal(randomBytes(32));
    expect(result).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(result.ok ? '' : result.error.message).toMatch(
      /Electron is needed for safe-storage: .*does not exist/,
    );
    const notInstalled = store({
      electron: () =>
        findElectronBinary(
          {},
          () => {
            throw new Error('Cannot find module');
          },
          {},
        ),
    });
    expect(await notInstalled.seal(randomBytes(32))).toMatchObject({
      ok: false,
      error: { code: 'unavailable', message: expect.stringMatching(/not installed/) as unknown },
    });
  });

  it('says so when the binary cannot be started', async () => {
    const result = await store({ electron: () => ({ ok: true, path: join(root, 'gone') }) }).seal(
      randomBytes(32),
    );
    expect(result).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(result.ok ? '' : result.error.message).toMatch(/could not start/);
  });

  it('says so when the helper is not built', async () => {
    const result = await store({ helperMain: join(root, 'missing.js') }).seal(randomBytes(32));
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'unavailable', message: expect.stringMatching(/not built/) as unknown },
    });
  });

  it.each([
    ['crashes with a reason on stderr', 'crash', /exited \(code 1\) without an answer: Running as root/],
    ['is killed', 'signal', /exited \(signal SIGKILL\) without an answer/],
    ['prints garbage', 'garbage', /without an answer/],
  ] as const)('reports a helper that %s as unavailable, writing nothing', async (_name, mode, message) => {
    useMode(mode);
    const result = await store().seal(randomBytes(32));
    expect(result).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(result.ok ? '' : result.error.message).toMatch(message);
    expect(store().exists()).toBe(false);
  });

  it('gives up on a helper that does not answer in time', async () => {
    useMode('hang');
    const started = Date.now();
    const result = await store({ timeoutMs: 500 }).seal(randomBytes(32));
    expect(result).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(result.ok ? '' : result.error.message).toMatch(/did not answer within 500 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports an opened key of the wrong size as an unreadable answer', async () => {
    await store().seal(randomBytes(32));
    useMode('short-key');
    expect(await store().unseal()).toMatchObject({ ok: false, error: { code: 'unavailable' } });
  });
});

describe('SafeStorageKeyStore reading its file', () => {
  it('reports nothing sealed as missing', async () => {
    expect(await store().unseal()).toMatchObject({ ok: false, error: { code: 'missing' } });
  });

  it.each([
    ['not JSON', 'v11garbage'],
    ['another version', JSON.stringify({ version: 2, platform: process.platform, sealed: 'AAAA' })],
    ['no blob', JSON.stringify({ version: 1, platform: process.platform })],
    [
      'a blob that is not base64',
      JSON.stringify({ version: 1, platform: process.platform, sealed: 'v11 x' }),
    ],
  ])('reports a file with %s as corrupt without running the helper', async (_name, text) => {
    writeFileSync(join(dataDir, SAFE_STORAGE_FILE), text);
    expect(await store().unseal()).toMatchObject({ ok: false, error: { code: 'corrupt' } });
    expect(existsSync(join(helperDir, 'record.json'))).toBe(false);
  });

  it('refuses a seal made on another platform', async () => {
    const other = process.platform === 'win32' ? 'linux' : 'win32';
    writeFileSync(
      join(dataDir, SAFE_STORAGE_FILE),
      JSON.stringify({ version: 1, platform: other, backend: 'dpapi', sealed: 'AAAA' }),
    );
    expect(await store().unseal()).toMatchObject({ ok: false, error: { code: 'refused' } });
  });
});

/**
 * The helper's own code (kiosk/electron/safe-storage-helper.ts and its policy), bundled with
 * esbuild and run by Node, with only the `electron` module replaced: a fake `app` and a fake
 * `safeStorage` whose keyring is an AES-GCM key in a file outside the data folder, and whose
 * backend the test chooses. This checks that the store and the real helper speak one protocol.
 */
const FAKE_ELECTRON = String.raw`
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const control = () => JSON.parse(readFileSync(process.env.FAKE_ELECTRON_CONTROL, 'utf8'));
const keyringKey = () => {
  const file = control().keyring;
  if (!existsSync(file)) writeFileSync(file, randomBytes(32));
  return readFileSync(file);
};
export const app = {
  setName() {},
  setPath() {},
  disableHardwareAcceleration() {},
  commandLine: { appendSwitch() {} },
  dock: undefined,
  whenReady: () => Promise.resolve(),
  exit: (code) => process.exit(code),
};
export const safeStorage = {
  isEncryptionAvailable: () => control().backend !== 'basic_text',
  getSelectedStorageBackend: () => control().backend,
  encryptString(plainText) {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', keyringKey(), iv);
    const body = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from('v11'), iv, cipher.getAuthTag(), body]);
  },
  decryptString(sealed) {
    const decipher = createDecipheriv('aes-256-gcm', keyringKey(), sealed.subarray(3, 15));
    decipher.setAuthTag(sealed.subarray(15, 31));
    return Buffer.concat([decipher.update(sealed.subarray(31)), decipher.final()]).toString('utf8');
  },
};
`;

describe.runIf(process.platform === 'linux')('SafeStorageKeyStore with the real helper code', () => {
  let helper: string;
  let controlFile: string;

  function useBackend(backend: string): void {
    writeFileSync(controlFile, JSON.stringify({ backend, keyring: keyringFile }));
  }

  beforeEach(async () => {
    const fakeElectron = join(root, 'fake-electron.mjs');
    writeFileSync(fakeElectron, FAKE_ELECTRON);
    controlFile = join(root, 'fake-electron.json');
    helper = join(root, 'safe-storage-helper.mjs');
    await build({
      entryPoints: [fileURLToPath(new URL('../../electron/safe-storage-helper.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: helper,
      logLevel: 'silent',
      plugins: [
        {
          name: 'fake-electron',
          setup(builder) {
            builder.onResolve({ filter: /^electron$/ }, () => ({ path: fakeElectron, external: true }));
          },
        },
      ],
    });
    process.env['FAKE_ELECTRON_CONTROL'] = controlFile;
  });

  afterEach(() => {
    delete process.env['FAKE_ELECTRON_CONTROL'];
  });

  it('seals and opens a key through the helper, leaving no form of it in the data folder', async () => {
    useBackend('kwallet5');
    const key = randomBytes(32);
    const real = store({ helperMain: helper });
    expect(await real.seal(key)).toEqual({ ok: true, value: undefined });
    const opened = await store({ helperMain: helper }).unseal();
    expect(opened.ok && opened.value.equals(key)).toBe(true);
    const file = JSON.parse(readFileSync(join(dataDir, SAFE_STORAGE_FILE), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(file['backend']).toBe('kwallet5');
    expect(keyFoundIn(dataDir, key)).toEqual([]);
  });

  it("gets the helper's refusal of the plain-text fallback and writes nothing", async () => {
    useBackend('basic_text');
    const result = await store({ helperMain: helper }).seal(randomBytes(32));
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'refused', message: expect.stringMatching(/basic_text/) as unknown },
    });
    expect(store().exists()).toBe(false);
  });

  it("gets the helper's refusal of a seal the keyring cannot open", async () => {
    useBackend('gnome_libsecret');
    await store({ helperMain: helper }).seal(randomBytes(32));
    rmSync(keyringFile);
    expect(await store({ helperMain: helper }).unseal()).toMatchObject({
      ok: false,
      error: { code: 'refused' },
    });
  });
});
