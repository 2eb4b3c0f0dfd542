// The safe-storage key store: the wrapping key sealed by Electron's `safeStorage` (the OS keyring:
// Secret Service or KWallet on Linux, DPAPI on Windows, Keychain on macOS). safeStorage exists
// only inside an Electron main process, so each seal or unseal runs the Electron binary once with
// the helper entry kiosk/electron/safe-storage-helper.ts: one JSON request line on its stdin, one
// JSON answer line on its stdout (the protocol is defined in kiosk/electron/safe-storage-policy.ts;
// the names below are the same). The helper refuses Linux's plain-text fallback. The plain key
// travels only through the pipes; the data folder gets the sealed blob alone.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, ok, type Result } from '@checkpoint-lane/shared';
import { findElectronBinary, shellEnv, type ElectronBinary } from '../display-shell/electron-launcher.js';
import { writePrivateFileAtomic } from '../util/private-file.js';
import { WRAPPING_KEY_BYTES, type KeyStore, type KeyStoreProblem, errorText } from './key-store.js';

/** The file holding the sealed wrapping key in the data folder. */
export const SAFE_STORAGE_FILE = 'lane-key.safe-storage';

/** Electron's profile folder for the helper, in the data folder (on Windows it holds the DPAPI key). */
export const SAFE_STORAGE_PROFILE_DIR = 'safe-storage-profile';

/** The compiled helper (kiosk/electron/safe-storage-helper.ts → kiosk/dist/electron/safe-storage-helper.js). */
export const SAFE_STORAGE_HELPER_MAIN = fileURLToPath(
  new URL('../electron/safe-storage-helper.js', import.meta.url),
);

/** How long one helper run may take by default (a keyring may be slow to answer). */
export const SAFE_STORAGE_TIMEOUT_MS = 30_000;

/** The helper's answer line carries this tag (HELPER_TAG in safe-storage-policy.ts). */
const HELPER_TAG = 'checkpoint-safe-storage';
/** The helper's profile folder setting (HELPER_ENV.profile in safe-storage-policy.ts). */
const PROFILE_ENV = 'CHECKPOINT_SAFE_STORAGE_PROFILE';
/** Marks a helper run for the packaged entry (SAFE_STORAGE_HELPER_SWITCH in safe-storage-policy.ts). */
const HELPER_SWITCH = '--checkpoint-safe-storage-helper';
/** The sealed file's format version. */
const FILE_VERSION = 1;
const MAX_STDOUT_BYTES = 64 * 1024;
const STDERR_TAIL_BYTES = 2048;

/** How the store finds and runs the helper. */
export interface SafeStorageKeyStoreOptions {
  /** The Electron binary or why there is none; default {@link findElectronBinary}. */
  readonly electron?: () => ElectronBinary;
  /** The entry Electron runs; default {@link SAFE_STORAGE_HELPER_MAIN}. */
  readonly helperMain?: string;
  /** How long one helper run may take; default {@link SAFE_STORAGE_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** What the helper answered, checked. */
type Answer =
  | { readonly op: 'seal'; readonly sealed: Buffer; readonly backend: string }
  | { readonly op: 'unseal'; readonly key: Buffer };

/** The wrapping key sealed by Electron's safeStorage behind a real OS keyring. */
export class SafeStorageKeyStore implements KeyStore {
  readonly kind = 'safe-storage' as const;
  readonly #file: string;
  readonly #profileDir: string;
  readonly #electron: () => ElectronBinary;
  readonly #helperMain: string;
  readonly #timeoutMs: number;
  /** Runs one operation at a time: two seals never race on the file. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(dataDir: string, options: SafeStorageKeyStoreOptions = {}) {
    this.#file = join(dataDir, SAFE_STORAGE_FILE);
    this.#profileDir = join(dataDir, SAFE_STORAGE_PROFILE_DIR);
    this.#electron = options.electron ?? (() => findElectronBinary());
    this.#helperMain = options.helperMain ?? SAFE_STORAGE_HELPER_MAIN;
    this.#timeoutMs = options.timeoutMs ?? SAFE_STORAGE_TIMEOUT_MS;
  }

  exists(): boolean {
    return existsSync(this.#file);
  }

  seal(wrappingKey: Uint8Array): Promise<Result<void, KeyStoreProblem>> {
    return this.#serial(() => this.#seal(wrappingKey));
  }

  unseal(): Promise<Result<Buffer, KeyStoreProblem>> {
    return this.#serial(() => this.#unseal());
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #seal(wrappingKey: Uint8Array): Promise<Result<void, KeyStoreProblem>> {
    if (wrappingKey.length !== WRAPPING_KEY_BYTES)
      return fail({ code: 'corrupt', message: `a wrapping key has ${String(WRAPPING_KEY_BYTES)} bytes` });
    const key = Buffer.from(wrappingKey);
    const encoded = key.toString('base64');
    let answer: Result<Answer, KeyStoreProblem>;
    try {
      answer = await this.#run({ op: 'seal', key: encoded });
      // A helper that hands the key back as it came has sealed nothing: nothing is written.
      if (answer.ok && answer.value.op === 'seal') {
        const sealed = answer.value.sealed;
        if (sealed.includes(key) || sealed.includes(Buffer.from(encoded)))
          return fail({ code: 'refused', message: 'the safe-storage helper returned the key unsealed' });
      }
    } finally {
      key.fill(0);
    }
    if (!answer.ok) return answer;
    if (answer.value.op !== 'seal') return fail(malformed('a seal'));
    const { sealed, backend } = answer.value;
    const text = `${JSON.stringify({
      version: FILE_VERSION,
      platform: process.platform,
      backend,
      sealed: sealed.toString('base64'),
    })}\n`;
    try {
      writePrivateFileAtomic(this.#file, text);
    } catch (error) {
      return fail({ code: 'unavailable', message: `cannot write ${this.#file}: ${errorText(error)}` });
    }
    return ok(undefined);
  }

  async #unseal(): Promise<Result<Buffer, KeyStoreProblem>> {
    const stored = this.#read();
    if (!stored.ok) return stored;
    if (stored.value.platform !== process.platform)
      return fail({
        code: 'refused',
        message: `${this.#file} was sealed on ${stored.value.platform}, this is ${process.platform}`,
      });
    const answer = await this.#run({ op: 'unseal', sealed: stored.value.sealed });
    if (!answer.ok) return answer;
    if (answer.value.op !== 'unseal') return fail(malformed('an unseal'));
    return ok(answer.value.key);
  }

  #read(): Result<{ platform: string; sealed: string }, KeyStoreProblem> {
    if (!this.exists()) return fail({ code: 'missing', message: `${this.#file} does not exist` });
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(this.#file, 'utf8'));
    } catch (error) {
      return fail({ code: 'corrupt', message: `${this.#file} is unreadable: ${errorText(error)}` });
    }
    const fields = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    const { version, platform, sealed } = fields;
    if (
      version !== FILE_VERSION ||
      typeof platform !== 'string' ||
      typeof sealed !== 'string' ||
      decodeBase64(sealed) === null
    )
      return fail({ code: 'corrupt', message: `${this.#file} holds no safe-storage seal` });
    return ok({ platform, sealed });
  }

  /** Runs the helper once with one request; its answer, or why there is none. */
  async #run(request: Record<string, string>): Promise<Result<Answer, KeyStoreProblem>> {
    const binary = this.#electron();
    if (!binary.ok)
      return fail({ code: 'unavailable', message: `Electron is needed for safe-storage: ${binary.reason}` });
    if (!existsSync(this.#helperMain))
      return fail({
        code: 'unavailable',
        message: `the safe-storage helper ${this.#helperMain} is not built (npm run build)`,
      });
    try {
      mkdirSync(this.#profileDir, { recursive: true, mode: 0o700 });
    } catch (error) {
      return fail({ code: 'unavailable', message: `cannot create ${this.#profileDir}: ${errorText(error)}` });
    }
    const outcome = await runOnce(
      binary.path,
      helperArgs(this.#helperMain),
      { ...shellEnv(process.env, {}), [PROFILE_ENV]: this.#profileDir },
      `${JSON.stringify(request)}\n`,
      this.#timeoutMs,
    );
    if (outcome.spawnError !== null)
      return fail({
        code: 'unavailable',
        message: `Electron (${binary.path}) could not start: ${outcome.spawnError}`,
      });
    if (outcome.timedOut)
      return fail({
        code: 'unavailable',
        message: `the safe-storage helper did not answer within ${String(this.#timeoutMs)} ms (a locked keyring?)`,
      });
    return parseAnswer(outcome);
  }
}

/**
 * Arguments for the helper. Chromium reads switches anywhere on the command line. A development
 * Electron runs the named entry; a packaged one runs its own entry, which picks the helper by
 * HELPER_SWITCH. On Linux the helper runs on Ozone's headless platform: it opens no window, so it
 * needs no display.
 */
function helperArgs(helperMain: string): string[] {
  return [
    helperMain,
    HELPER_SWITCH,
    ...(process.platform === 'linux' ? ['--ozone-platform=headless'] : []),
    '--disable-gpu',
  ];
}

interface RunOutcome {
  readonly stdout: string;
  readonly stderrTail: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly spawnError: string | null;
}

/** Runs a process with `input` on its stdin; its stdout (capped), the tail of its stderr, and how it ended. */
function runOnce(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  input: string,
  timeoutMs: number,
): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let spawnError: string | null = null;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (stdout.length < MAX_STDOUT_BYTES) stdout += chunk;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    // A helper that dies before reading its request closes the pipe: its exit says why.
    child.stdin.on('error', () => undefined);
    child.once('error', (error) => {
      spawnError = error.message;
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderrTail: stderr, code, signal, timedOut, spawnError });
    });
    child.stdin.end(input);
  });
}

/** The helper's tagged answer line (the last one), checked; a crash or garbage is `unavailable`. */
function parseAnswer(outcome: RunOutcome): Result<Answer, KeyStoreProblem> {
  let fields: Record<string, unknown> | null = null;
  for (const line of outcome.stdout.split('\n').reverse()) {
    try {
      const value: unknown = JSON.parse(line);
      if (
        typeof value === 'object' &&
        value !== null &&
        (value as Record<string, unknown>)['helper'] === HELPER_TAG
      ) {
        fields = value as Record<string, unknown>;
        break;
      }
    } catch {
      // not the answer line
    }
  }
  if (fields === null) {
    const how = outcome.signal !== null ? `signal ${outcome.signal}` : `code ${String(outcome.code)}`;
    const said = lastLine(outcome.stderrTail);
    return fail({
      code: 'unavailable',
      message: `the safe-storage helper exited (${how}) without an answer${said === '' ? '' : `: ${said}`}`,
    });
  }
  if (fields['ok'] === false) {
    const code = fields['code'];
    const message =
      typeof fields['message'] === 'string' ? fields['message'].slice(0, 500) : 'no reason given';
    if (code === 'unavailable' || code === 'refused' || code === 'corrupt') return fail({ code, message });
    return fail(malformed('a failure'));
  }
  if (fields['ok'] === true && fields['op'] === 'seal') {
    const sealed = typeof fields['sealed'] === 'string' ? decodeBase64(fields['sealed']) : null;
    const backend = fields['backend'];
    if (sealed === null || sealed.length === 0 || typeof backend !== 'string')
      return fail(malformed('a seal'));
    return ok({ op: 'seal', sealed, backend });
  }
  if (fields['ok'] === true && fields['op'] === 'unseal') {
    const key = typeof fields['key'] === 'string' ? decodeBase64(fields['key']) : null;
    if (key?.length !== WRAPPING_KEY_BYTES) return fail(malformed('an unseal'));
    return ok({ op: 'unseal', key });
  }
  return fail(malformed('an'));
}

function malformed(what: string): KeyStoreProblem {
  return {
    code: 'unavailable',
    message: `the safe-storage helper gave ${what} answer this lane cannot read`,
  };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes canonical base64 only (Buffer.from skips bad characters silently). */
function decodeBase64(text: string): Buffer | null {
  return BASE64.test(text) ? Buffer.from(text, 'base64') : null;
}

/** The last non-empty line of a text, cut short (Chromium's reason for not starting, usually). */
function lastLine(text: string): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return (lines.at(-1) ?? '').trim().slice(0, 300);
}
