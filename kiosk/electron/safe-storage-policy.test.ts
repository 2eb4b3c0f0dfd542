// The safe-storage helper's rules. Electron cannot run here (its binary cannot be downloaded on
// these machines), so safeStorage is replaced by a small stand-in: an AES-GCM box under a key of
// its own, which fails to open a blob sealed by another box as a real keyring would.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ACCEPTED_LINUX_BACKENDS,
  HELPER_ENV,
  HELPER_TAG,
  answerLine,
  answerRequest,
  keyringVerdict,
  parseHelperConfig,
  parseHelperRequest,
  strictBase64,
  type HelperAnswer,
  type SafeStorageLike,
} from './safe-storage-policy.js';

class StandInStorage implements SafeStorageLike {
  readonly #key = randomBytes(32);
  readonly encrypted: string[] = [];
  constructor(
    readonly available = true,
    readonly backend = 'gnome_libsecret',
  ) {}
  isEncryptionAvailable(): boolean {
    return this.available;
  }
  getSelectedStorageBackend(): string {
    return this.backend;
  }
  encryptString(plainText: string): Buffer {
    this.encrypted.push(plainText);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plainText, 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from('v11'), iv, cipher.getAuthTag(), body]);
  }
  decryptString(encrypted: Buffer): string {
    const iv = encrypted.subarray(3, 15);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
    decipher.setAuthTag(encrypted.subarray(15, 31));
    return Buffer.concat([decipher.update(encrypted.subarray(31)), decipher.final()]).toString('utf8');
  }
}

const KEY = randomBytes(32);
const sealRequest = (key: Buffer = KEY): string =>
  JSON.stringify({ op: 'seal', key: key.toString('base64') });
const unsealRequest = (sealed: string): string => JSON.stringify({ op: 'unseal', sealed });

function sealWith(storage: SafeStorageLike, platform: NodeJS.Platform = 'linux'): string {
  const answer = answerRequest(sealRequest(), storage, platform);
  if (!answer.ok || answer.op !== 'seal') throw new Error(`seal failed: ${JSON.stringify(answer)}`);
  return answer.sealed;
}

describe('keyringVerdict', () => {
  it.each(ACCEPTED_LINUX_BACKENDS)('accepts the Linux keyring %s when it is available', (backend) => {
    expect(keyringVerdict('linux', true, backend)).toEqual({ ok: true, backend });
  });

  it('refuses the plain-text fallback basic_text, available or not, naming it', () => {
    for (const available of [true, false]) {
      const verdict = keyringVerdict('linux', available, 'basic_text');
      expect(verdict).toMatchObject({ ok: false, code: 'refused' });
      expect(verdict.ok ? '' : verdict.message).toMatch(/basic_text.*plain-text/);
    }
  });

  it('refuses a Linux backend it does not know to be a keyring', () => {
    expect(keyringVerdict('linux', true, 'some_future_store')).toMatchObject({ ok: false, code: 'refused' });
  });

  it('reports an unknown backend or an unreachable keyring as unavailable', () => {
    expect(keyringVerdict('linux', true, 'unknown')).toMatchObject({ ok: false, code: 'unavailable' });
    expect(keyringVerdict('linux', false, 'kwallet5')).toMatchObject({ ok: false, code: 'unavailable' });
  });

  it('on Windows and macOS takes availability alone (the Linux backend is not asked)', () => {
    expect(keyringVerdict('win32', true, 'basic_text')).toEqual({ ok: true, backend: 'dpapi' });
    expect(keyringVerdict('darwin', true, '')).toEqual({ ok: true, backend: 'keychain' });
    expect(keyringVerdict('win32', false, '')).toMatchObject({ ok: false, code: 'unavailable' });
    expect(keyringVerdict('darwin', false, '')).toMatchObject({ ok: false, code: 'unavailable' });
  });

  it('reports other platforms as unavailable', () => {
    expect(keyringVerdict('freebsd', true, 'gnome_libsecret')).toMatchObject({
      ok: false,
      code: 'unavailable',
    });
  });
});

describe('parseHelperConfig', () => {
  it('needs a profile folder', () => {
    expect(parseHelperConfig({})).toMatchObject({ ok: false });
    expect(parseHelperConfig({ [HELPER_ENV.profile]: '' })).toMatchObject({ ok: false });
    expect(parseHelperConfig({ [HELPER_ENV.profile]: '/data/p' })).toEqual({
      ok: true,
      config: { profileDir: '/data/p', passwordStore: null },
    });
  });

  it('passes a keyring choice and refuses basic (the plain-text store)', () => {
    expect(
      parseHelperConfig({ [HELPER_ENV.profile]: '/p', [HELPER_ENV.passwordStore]: 'gnome-libsecret' }),
    ).toEqual({ ok: true, config: { profileDir: '/p', passwordStore: 'gnome-libsecret' } });
    expect(
      parseHelperConfig({ [HELPER_ENV.profile]: '/p', [HELPER_ENV.passwordStore]: 'basic' }),
    ).toMatchObject({
      ok: false,
    });
  });
});

describe('parseHelperRequest', () => {
  it('reads a seal request with a 32-byte key and an unseal request with a blob', () => {
    const seal = parseHelperRequest(sealRequest());
    expect(seal.ok && seal.request.op === 'seal' && seal.request.key.equals(KEY)).toBe(true);
    const unseal = parseHelperRequest(unsealRequest('AAEC'));
    expect(
      unseal.ok && unseal.request.op === 'unseal' && unseal.request.sealed.equals(Buffer.from([0, 1, 2])),
    ).toBe(true);
  });

  it.each([
    ['not JSON', 'seal me'],
    ['not an object', '42'],
    ['another op', JSON.stringify({ op: 'export', key: KEY.toString('base64') })],
    ['a short key', JSON.stringify({ op: 'seal', key: randomBytes(31).toString('base64') })],
    [
      'a key that is not base64',
      JSON.stringify({ op: 'seal', key: `${KEY.toString('base64').slice(0, 40)}!!!!` }),
    ],
    ['an empty blob', unsealRequest('')],
    ['a blob that is not base64', unsealRequest('v11 sealed')],
  ])('refuses %s', (_name, line) => {
    expect(parseHelperRequest(line).ok).toBe(false);
  });
});

describe('strictBase64', () => {
  it('decodes canonical base64 only', () => {
    expect(strictBase64('AAEC')).toEqual(Buffer.from([0, 1, 2]));
    expect(strictBase64('AAE=')).toEqual(Buffer.from([0, 1]));
    expect(strictBase64('AAE')).toBeNull();
    expect(strictBase64('A A=')).toBeNull();
  });
});

describe('answerRequest', () => {
  it('seals with safeStorage and opens the seal back to the same key', () => {
    const storage = new StandInStorage();
    const sealed = sealWith(storage);
    expect(Buffer.from(sealed, 'base64').includes(KEY)).toBe(false);
    expect(answerRequest(unsealRequest(sealed), storage, 'linux')).toEqual({
      ok: true,
      op: 'unseal',
      key: KEY.toString('base64'),
    });
  });

  it('names the keyring that sealed', () => {
    const answer = answerRequest(sealRequest(), new StandInStorage(true, 'kwallet6'), 'linux');
    expect(answer).toMatchObject({ ok: true, op: 'seal', backend: 'kwallet6' });
  });

  it('never seals or opens with the plain-text fallback', () => {
    const plain = new StandInStorage(true, 'basic_text');
    expect(answerRequest(sealRequest(), plain, 'linux')).toMatchObject({ ok: false, code: 'refused' });
    expect(plain.encrypted).toEqual([]);
    const sealed = sealWith(plain, 'win32');
    expect(answerRequest(unsealRequest(sealed), plain, 'linux')).toMatchObject({
      ok: false,
      code: 'refused',
    });
  });

  it('refuses a seal another keyring made', () => {
    const sealed = sealWith(new StandInStorage());
    const answer = answerRequest(unsealRequest(sealed), new StandInStorage(), 'linux');
    expect(answer).toMatchObject({ ok: false, code: 'refused' });
  });

  it('reports a seal that opens to something other than a key as corrupt', () => {
    const storage = new StandInStorage();
    const sealed = storage.encryptString('not a key').toString('base64');
    expect(answerRequest(unsealRequest(sealed), storage, 'linux')).toMatchObject({
      ok: false,
      code: 'corrupt',
    });
  });

  it('reports a bad request as corrupt without touching safeStorage', () => {
    const storage = new StandInStorage();
    expect(answerRequest('{"op":"seal"}', storage, 'linux')).toMatchObject({ ok: false, code: 'corrupt' });
    expect(storage.encrypted).toEqual([]);
  });

  it('reports safeStorage failing to seal as unavailable', () => {
    const storage = new StandInStorage();
    storage.encryptString = () => {
      throw new Error('Error while encrypting the text provided to safeStorage.encryptString.');
    };
    expect(answerRequest(sealRequest(), storage, 'darwin')).toMatchObject({ ok: false, code: 'unavailable' });
  });
});

describe('answerLine', () => {
  it('is one tagged JSON line', () => {
    const answer: HelperAnswer = { ok: false, code: 'refused', message: 'no' };
    const line = answerLine(answer);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trimEnd().includes('\n')).toBe(false);
    expect(JSON.parse(line)).toEqual({ helper: HELPER_TAG, ...answer });
  });
});
