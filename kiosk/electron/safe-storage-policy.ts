// The safe-storage helper's rules, as plain functions with no Electron in them: the request and
// answer lines it exchanges with the lane agent, which keyrings it accepts behind Electron's
// `safeStorage`, and how it answers a request given a safeStorage. `safe-storage-helper.ts` only
// wires these to Electron, so everything that decides something here is unit-tested without an
// Electron binary. The agent's side of the same protocol is kiosk/src/secrets/safe-storage-key-store.ts.

/** Marks the helper's answer line among anything else Electron prints on stdout. */
export const HELPER_TAG = 'checkpoint-safe-storage';

/**
 * The command-line switch that marks a helper run. A packaged Electron runs its own entry whatever
 * script the command line names, so entry.ts picks the helper by this switch.
 */
export const SAFE_STORAGE_HELPER_SWITCH = '--checkpoint-safe-storage-helper';

/**
 * The application name the helper runs under. Electron names its keyring entry after it (Linux
 * Secret Service / KWallet, macOS Keychain "<name> Safe Storage"), so it never changes.
 */
export const SAFE_STORAGE_APP_NAME = 'checkpoint-lane';

/** The helper's environment: where Electron keeps its profile, and an optional keyring choice. */
export const HELPER_ENV = {
  /** Electron's userData folder; on Windows it holds the DPAPI-protected key, so it stays put. */
  profile: 'CHECKPOINT_SAFE_STORAGE_PROFILE',
  /** Linux: Chromium's `--password-store` (a keyring the desktop session does not announce). */
  passwordStore: 'CHECKPOINT_PASSWORD_STORE',
} as const;

/** Largest request line the helper reads (a sealed 32-byte key is a few hundred bytes). */
export const MAX_REQUEST_BYTES = 16 * 1024;

/** Bytes of the wrapping key the helper seals. */
export const SEALED_KEY_BYTES = 32;

/** Linux backends of `safeStorage.getSelectedStorageBackend()` that are real OS keyrings. */
export const ACCEPTED_LINUX_BACKENDS: readonly string[] = [
  'gnome_libsecret',
  'kwallet',
  'kwallet5',
  'kwallet6',
];

/** `--password-store` values the helper passes to Chromium (never `basic`, the plain-text store). */
export const PASSWORD_STORES: readonly string[] = ['gnome-libsecret', 'kwallet', 'kwallet5', 'kwallet6'];

/** Why the helper could not do what it was asked (the agent's KeyStoreProblem codes). */
export type HelperProblemCode = 'unavailable' | 'refused' | 'corrupt';

/** One answer line: a sealed blob, an opened key, or a problem. Bytes travel as base64. */
export type HelperAnswer =
  | { readonly ok: true; readonly op: 'seal'; readonly sealed: string; readonly backend: string }
  | { readonly ok: true; readonly op: 'unseal'; readonly key: string }
  | { readonly ok: false; readonly code: HelperProblemCode; readonly message: string };

/** A parsed request: seal this key, or open this sealed blob. */
export type HelperRequest =
  { readonly op: 'seal'; readonly key: Buffer } | { readonly op: 'unseal'; readonly sealed: Buffer };

/** The part of Electron's `safeStorage` the helper uses (the synchronous calls; see answerRequest). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  getSelectedStorageBackend(): string;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/** What the helper was started with. */
export interface HelperConfig {
  readonly profileDir: string;
  readonly passwordStore: string | null;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes canonical base64 only (Buffer.from skips bad characters silently). */
export function strictBase64(text: string): Buffer | null {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

/** Reads the helper's environment; a missing profile or a plain-text keyring choice is refused. */
export function parseHelperConfig(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; config: HelperConfig } | { ok: false; message: string } {
  const profileDir = env[HELPER_ENV.profile];
  if (profileDir === undefined || profileDir === '')
    return { ok: false, message: `${HELPER_ENV.profile} is not set` };
  const store = env[HELPER_ENV.passwordStore];
  if (store === undefined || store === '') return { ok: true, config: { profileDir, passwordStore: null } };
  if (!PASSWORD_STORES.includes(store))
    return {
      ok: false,
      message: `${HELPER_ENV.passwordStore}=${store} is not a keyring (one of ${PASSWORD_STORES.join(', ')})`,
    };
  return { ok: true, config: { profileDir, passwordStore: store } };
}

/** Parses one request line: `{"op":"seal","key":B64}` (32 bytes) or `{"op":"unseal","sealed":B64}`. */
export function parseHelperRequest(
  text: string,
): { ok: true; request: HelperRequest } | { ok: false; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'the request is not JSON' };
  }
  if (typeof value !== 'object' || value === null)
    return { ok: false, message: 'the request is not an object' };
  const fields = value as Record<string, unknown>;
  if (fields['op'] === 'seal') {
    const key = typeof fields['key'] === 'string' ? strictBase64(fields['key']) : null;
    if (key?.length !== SEALED_KEY_BYTES)
      return {
        ok: false,
        message: `a seal request carries a ${String(SEALED_KEY_BYTES)}-byte key in base64`,
      };
    return { ok: true, request: { op: 'seal', key } };
  }
  if (fields['op'] === 'unseal') {
    const sealed = typeof fields['sealed'] === 'string' ? strictBase64(fields['sealed']) : null;
    if (sealed === null || sealed.length === 0)
      return { ok: false, message: 'an unseal request carries the sealed blob in base64' };
    return { ok: true, request: { op: 'unseal', sealed } };
  }
  return { ok: false, message: 'the request op is neither seal nor unseal' };
}

/**
 * Whether safeStorage is backed by a real keyring here. Windows (DPAPI) and macOS (Keychain):
 * availability suffices. Linux: the selected backend must be a Secret Service or KWallet keyring;
 * `basic_text` (Chromium's plain-text fallback, a fixed key in its source) is refused, as is any
 * name not known to be a keyring. `linuxBackend` is ignored elsewhere.
 */
export function keyringVerdict(
  platform: NodeJS.Platform,
  encryptionAvailable: boolean,
  linuxBackend: string,
): { ok: true; backend: string } | { ok: false; code: HelperProblemCode; message: string } {
  if (platform === 'win32' || platform === 'darwin') {
    const backend = platform === 'win32' ? 'dpapi' : 'keychain';
    return encryptionAvailable
      ? { ok: true, backend }
      : { ok: false, code: 'unavailable', message: `Electron safeStorage (${backend}) is not available` };
  }
  if (platform !== 'linux')
    return {
      ok: false,
      code: 'unavailable',
      message: `Electron safeStorage is not supported on ${platform}`,
    };
  if (linuxBackend === 'basic_text')
    return {
      ok: false,
      code: 'refused',
      message:
        'Electron safeStorage found no OS keyring (backend basic_text, a plain-text fallback); refused. ' +
        `Run the lane in a desktop session with a keyring, or set ${HELPER_ENV.passwordStore}=gnome-libsecret`,
    };
  if (linuxBackend === 'unknown')
    return {
      ok: false,
      code: 'unavailable',
      message: 'Electron safeStorage did not say which keyring it uses',
    };
  if (!ACCEPTED_LINUX_BACKENDS.includes(linuxBackend))
    return {
      ok: false,
      code: 'refused',
      message: `Electron safeStorage backend ${linuxBackend} is not a keyring this lane accepts`,
    };
  return encryptionAvailable
    ? { ok: true, backend: linuxBackend }
    : {
        ok: false,
        code: 'unavailable',
        message: `the ${linuxBackend} keyring does not answer (is it running and unlocked?)`,
      };
}

/**
 * Answers one request line with a safeStorage. The synchronous calls are used on purpose:
 * `getSelectedStorageBackend()` names the backend of the synchronous encryptor, so the keyring
 * that was checked is the one that seals.
 */
export function answerRequest(
  text: string,
  storage: SafeStorageLike,
  platform: NodeJS.Platform,
): HelperAnswer {
  const parsed = parseHelperRequest(text);
  if (!parsed.ok) return { ok: false, code: 'corrupt', message: `bad request: ${parsed.message}` };
  const verdict = keyringVerdict(
    platform,
    storage.isEncryptionAvailable(),
    platform === 'linux' ? storage.getSelectedStorageBackend() : '',
  );
  if (!verdict.ok) return verdict;
  const request = parsed.request;
  if (request.op === 'seal') {
    let sealed: Buffer;
    try {
      sealed = storage.encryptString(request.key.toString('base64'));
    } catch (error) {
      return { ok: false, code: 'unavailable', message: `safeStorage could not seal: ${errorText(error)}` };
    } finally {
      request.key.fill(0);
    }
    return { ok: true, op: 'seal', sealed: sealed.toString('base64'), backend: verdict.backend };
  }
  let opened: string;
  try {
    opened = storage.decryptString(request.sealed);
  } catch {
    return {
      ok: false,
      code: 'refused',
      message: `the ${verdict.backend} keyring would not open this seal (sealed by another user or machine, or the keyring was reset)`,
    };
  }
  const key = strictBase64(opened);
  if (key?.length !== SEALED_KEY_BYTES)
    return { ok: false, code: 'corrupt', message: 'the seal opened but does not hold a wrapping key' };
  const answer: HelperAnswer = { ok: true, op: 'unseal', key: key.toString('base64') };
  key.fill(0);
  return answer;
}

/** The answer as the one line the helper writes on stdout. */
export function answerLine(answer: HelperAnswer): string {
  return `${JSON.stringify({ helper: HELPER_TAG, ...answer })}\n`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
