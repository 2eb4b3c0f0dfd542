// How safe-storage-helper.ts wires the policy to Electron. Electron itself cannot run here (its
// binary cannot be downloaded on these machines), so `electron` is replaced by a small fake that
// records what the helper asks of it, and stdin/stdout by a stream and a spy. This checks the
// wiring (what is set before `ready`, what goes out on stdout, how the helper exits), not
// Electron's own behaviour; the rules themselves are tested in safe-storage-policy.test.ts.
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HELPER_ENV, HELPER_TAG, MAX_REQUEST_BYTES, SAFE_STORAGE_APP_NAME } from './safe-storage-policy.js';

interface Fake {
  ready: boolean;
  /** Each call to the app, and whether `ready` had fired by then. */
  calls: { call: string; args: unknown[]; afterReady: boolean }[];
  backend: string;
  available: boolean;
  encrypted: string[];
  exitCode: number | null;
}

function makeFake(): Fake {
  return {
    ready: false,
    calls: [],
    backend: 'gnome_libsecret',
    available: true,
    encrypted: [],
    exitCode: null,
  };
}

let fake = makeFake();

function record(call: string, ...args: unknown[]): void {
  fake.calls.push({ call, args, afterReady: fake.ready });
}

vi.mock('electron', () => ({
  app: {
    setName: (name: string) => {
      record('setName', name);
    },
    setPath: (name: string, path: string) => {
      record('setPath', name, path);
    },
    disableHardwareAcceleration: () => {
      record('disableHardwareAcceleration');
    },
    commandLine: {
      appendSwitch: (name: string, value?: string) => {
        record('appendSwitch', name, ...(value === undefined ? [] : [value]));
      },
    },
    dock: undefined,
    whenReady: () =>
      new Promise<void>((resolve) => {
        setTimeout(() => {
          fake.ready = true;
          resolve();
        }, 5);
      }),
    exit: (code: number) => {
      fake.exitCode = code;
    },
  },
  safeStorage: {
    isEncryptionAvailable: () => fake.available,
    getSelectedStorageBackend: () => fake.backend,
    encryptString: (plainText: string) => {
      fake.encrypted.push(plainText);
      return Buffer.concat([Buffer.from('v11'), Buffer.from(plainText).reverse()]);
    },
    decryptString: (encrypted: Buffer) => Buffer.from(encrypted.subarray(3)).reverse().toString(),
  },
}));

const KEY = Buffer.alloc(32, 7);
let savedEnv: NodeJS.ProcessEnv;
let stdoutLines: string[];
const stdinDescriptor = Object.getOwnPropertyDescriptor(process, 'stdin');

/** Runs the helper with this stdin and environment until it exits; its one answer. */
async function runHelper(
  input: string | Buffer,
  env: Record<string, string>,
): Promise<Record<string, unknown>> {
  Object.assign(process.env, env);
  Object.defineProperty(process, 'stdin', { value: Readable.from([Buffer.from(input)]), configurable: true });
  vi.resetModules();
  await import('./safe-storage-helper.js');
  await vi.waitFor(() => {
    expect(fake.exitCode).not.toBeNull();
  });
  expect(stdoutLines).toHaveLength(1);
  return JSON.parse(stdoutLines[0]!) as Record<string, unknown>;
}

const PROFILE = { [HELPER_ENV.profile]: '/data/safe-storage-profile' };
const sealLine = `${JSON.stringify({ op: 'seal', key: KEY.toString('base64') })}\n`;

beforeEach(() => {
  savedEnv = { ...process.env };
  fake = makeFake();
  stdoutLines = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(((line: string, done?: () => void) => {
    stdoutLines.push(line);
    done?.();
    return true;
  }) as typeof process.stdout.write);
});
afterEach(() => {
  vi.restoreAllMocks();
  process.env = savedEnv;
  if (stdinDescriptor !== undefined) Object.defineProperty(process, 'stdin', stdinDescriptor);
});

describe('the safe-storage helper', () => {
  it('configures Electron before ready: fixed name, the given profile, no GPU', async () => {
    await runHelper(sealLine, PROFILE);
    const before = fake.calls
      .filter((entry) => !entry.afterReady)
      .map((entry) => [entry.call, ...entry.args]);
    expect(before).toEqual(
      expect.arrayContaining([
        ['setName', SAFE_STORAGE_APP_NAME],
        ['setPath', 'userData', '/data/safe-storage-profile'],
        ['disableHardwareAcceleration'],
        ['appendSwitch', 'disable-gpu'],
      ]),
    );
    expect(fake.calls.filter((entry) => entry.afterReady)).toEqual([]);
  });

  it('passes a keyring choice to Chromium before ready', async () => {
    await runHelper(sealLine, { ...PROFILE, [HELPER_ENV.passwordStore]: 'kwallet6' });
    expect(fake.calls).toContainEqual({
      call: 'appendSwitch',
      args: ['password-store', 'kwallet6'],
      afterReady: false,
    });
  });

  it('answers a seal request with one tagged line and exits 0', async () => {
    const answer = await runHelper(sealLine, PROFILE);
    if (process.platform === 'linux') {
      expect(answer).toMatchObject({ helper: HELPER_TAG, ok: true, op: 'seal', backend: 'gnome_libsecret' });
      expect(fake.encrypted).toEqual([KEY.toString('base64')]);
    } else {
      expect(answer).toMatchObject({ helper: HELPER_TAG, ok: true, op: 'seal' });
    }
    expect(fake.exitCode).toBe(0);
  });

  it.runIf(process.platform === 'linux')('refuses the plain-text fallback without encrypting', async () => {
    fake.backend = 'basic_text';
    const answer = await runHelper(sealLine, PROFILE);
    expect(answer).toMatchObject({ helper: HELPER_TAG, ok: false, code: 'refused' });
    expect(fake.encrypted).toEqual([]);
  });

  it('answers without starting Electron when its profile folder is not given', async () => {
    const answer = await runHelper(sealLine, { [HELPER_ENV.profile]: '' });
    expect(answer).toMatchObject({ helper: HELPER_TAG, ok: false, code: 'unavailable' });
    expect(fake.calls).toEqual([]);
    expect(fake.exitCode).toBe(2);
  });

  it('refuses a request over the size limit', async () => {
    const answer = await runHelper(Buffer.alloc(MAX_REQUEST_BYTES + 1, 0x61), PROFILE);
    expect(answer).toMatchObject({ helper: HELPER_TAG, ok: false, code: 'unavailable' });
    expect(fake.encrypted).toEqual([]);
    expect(fake.exitCode).toBe(1);
  });
});
