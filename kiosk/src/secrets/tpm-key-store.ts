// The lane's wrapping key sealed by its TPM 2.0, through tpm2-tools run as child processes. The
// key goes to `tpm2_create` on stdin and comes back from `tpm2_unseal` on stdout: it is never in
// a file. The seal (its public and TPM-encrypted private blob) lives in DATA/lane-key.tpm.json;
// it opens only on the TPM that made it, under a primary key derived from that TPM's owner seed
// (re-created at each use, never persisted), and, by default, only while PCR 7 (Secure Boot
// state) holds the value it had when sealed. The tools' context files go to a private temp
// folder removed after each operation; every transient object and session is flushed at once
// (a TPM has few slots).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail, ok, type Result } from '@checkpoint-lane/shared';
import { writePrivateFileAtomic } from '../util/private-file.js';
import { WRAPPING_KEY_BYTES, type KeyStore, type KeyStoreProblem, errorText } from './key-store.js';

/** The file holding the TPM seal of the wrapping key. */
export const TPM_SEAL_FILE = 'lane-key.tpm.json';

/** The PCRs (sha256 bank) a seal is bound to by default: 7, the Secure Boot policy. */
export const DEFAULT_TPM_PCRS: readonly number[] = [7];

/** The primary key's template: deterministic for one TPM (same owner seed → same key). */
const PRIMARY = ['-C', 'o', '-g', 'sha256', '-G', 'ecc256:aes128cfb'];
const PRIMARY_NAME = 'ecc256:aes128cfb';
/** TPM devices tried, in order, when `TPM2TOOLS_TCTI` is not set (the kernel's resource manager first). */
const TPM_DEVICES = ['/dev/tpmrm0', '/dev/tpm0'];

/** How a TPM key store reaches its TPM and what it binds the seal to. */
export interface TpmKeyStoreOptions {
  /** PCRs of the sha256 bank the seal is bound to; empty: no PCR policy. Default: [7]. */
  readonly pcrs?: readonly number[];
  /** The TCTI the tools use; default: `TPM2TOOLS_TCTI` of `env`, else the first TPM device present. */
  readonly tcti?: string;
  /** The tools' environment (PATH to find them); default: this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Longest any one tool may run (a hardware TPM takes up to ~1 s for an ECC primary). */
  readonly toolTimeoutMs?: number;
  /**
   * Longest one seal or unseal may take in all, its tools and flushes together (default 20 s):
   * past it the running tool is killed and the store answers `unavailable`, so a hung TPM holds
   * a lane's start no longer than this.
   */
  readonly deadlineMs?: number;
}

/** Default of `TpmKeyStoreOptions.deadlineMs`. */
export const DEFAULT_TPM_DEADLINE_MS = 20_000;

/** The sealed file's content. */
interface TpmSeal {
  readonly version: 1;
  readonly primary: string;
  /** The sha256 PCRs the seal's policy binds; empty: none. */
  readonly pcrs: number[];
  readonly public: string;
  readonly private: string;
}

/** Reads `--tpm-pcrs`: `none`, or PCR numbers 0–23 separated by commas (`7`, `0,7`). */
export function parseTpmPcrs(text: string): Result<number[], string> {
  const t = text.trim();
  if (t === 'none') return ok([]);
  const parts = t.split(',').map((p) => p.trim());
  const pcrs: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,2}$/.test(p) || Number(p) > 23) {
      return fail(`--tpm-pcrs takes PCR numbers 0-23 separated by commas (7, 0,7) or none; got "${text}"`);
    }
    if (!pcrs.includes(Number(p))) pcrs.push(Number(p));
  }
  return ok(pcrs.sort((a, b) => a - b));
}

/** A tool's exit: its code, stdout bytes and stderr text; or that it could not be started. */
type ToolRun =
  | { readonly started: true; readonly code: number | null; readonly stdout: Buffer; readonly stderr: string }
  | { readonly started: false; readonly reason: string; readonly missing: boolean }
  | { readonly started: 'timed-out' };

/** The wrapping key sealed by this machine's TPM 2.0 (tpm2-tools). */
export class TpmKeyStore implements KeyStore {
  readonly kind = 'tpm' as const;
  readonly #file: string;
  readonly #pcrs: readonly number[];
  readonly #o: TpmKeyStoreOptions;

  constructor(dataDir: string, options: TpmKeyStoreOptions = {}) {
    this.#file = join(dataDir, TPM_SEAL_FILE);
    this.#pcrs = options.pcrs ?? DEFAULT_TPM_PCRS;
    this.#o = options;
  }

  /** The PCRs a new seal binds (sha256 bank); empty: none. */
  get pcrs(): readonly number[] {
    return this.#pcrs;
  }

  exists(): boolean {
    return existsSync(this.#file);
  }

  async seal(wrappingKey: Uint8Array): Promise<Result<void, KeyStoreProblem>> {
    if (wrappingKey.length !== WRAPPING_KEY_BYTES) {
      return fail({ code: 'corrupt', message: `a wrapping key has ${String(WRAPPING_KEY_BYTES)} bytes` });
    }
    return this.#inTempDir(async (dir, tools) => {
      const primary = await tools.run('tpm2_createprimary', ['-Q', ...PRIMARY, '-c', 'prim.ctx']);
      if (!primary.ok) return primary;
      const policy: string[] = [];
      if (this.#pcrs.length > 0) {
        const made = await tools.run(
          'tpm2_createpolicy',
          ['-Q', '--policy-pcr', '-l', pcrSelection(this.#pcrs), '-L', 'pcr.policy'],
          { sessions: true },
        );
        if (!made.ok) return made;
        policy.push('-L', 'pcr.policy');
      }
      const created = await tools.run(
        'tpm2_create',
        ['-Q', '-C', 'prim.ctx', ...policy, '-i', '-', '-u', 'seal.pub', '-r', 'seal.priv'],
        { input: Buffer.from(wrappingKey) },
      );
      if (!created.ok) return created;
      const seal: TpmSeal = {
        version: 1,
        primary: PRIMARY_NAME,
        pcrs: [...this.#pcrs],
        public: readFileSync(join(dir, 'seal.pub')).toString('base64'),
        private: readFileSync(join(dir, 'seal.priv')).toString('base64'),
      };
      try {
        writePrivateFileAtomic(this.#file, `${JSON.stringify(seal, null, 2)}\n`);
      } catch (error) {
        return fail({ code: 'unavailable', message: `cannot write ${this.#file}: ${errorText(error)}` });
      }
      return ok(undefined);
    });
  }

  async unseal(): Promise<Result<Buffer, KeyStoreProblem>> {
    const seal = this.#readSeal();
    if (!seal.ok) return seal;
    const { pcrs } = seal.value;
    return this.#inTempDir(async (dir, tools) => {
      writeFileSync(join(dir, 'seal.pub'), Buffer.from(seal.value.public, 'base64'), { mode: 0o600 });
      writeFileSync(join(dir, 'seal.priv'), Buffer.from(seal.value.private, 'base64'), { mode: 0o600 });
      const primary = await tools.run('tpm2_createprimary', ['-Q', ...PRIMARY, '-c', 'prim.ctx']);
      if (!primary.ok) return primary;
      const loaded = await tools.run('tpm2_load', [
        '-Q',
        ...['-C', 'prim.ctx', '-u', 'seal.pub', '-r', 'seal.priv', '-c', 'seal.ctx'],
      ]);
      if (!loaded.ok) return loaded;
      const auth = pcrs.length > 0 ? ['-p', `pcr:${pcrSelection(pcrs)}`] : [];
      const opened = await tools.run('tpm2_unseal', ['-c', 'seal.ctx', ...auth], {
        sessions: pcrs.length > 0,
      });
      if (!opened.ok) {
        return opened.error.code === 'refused' && pcrs.length > 0 && /policy/i.test(opened.error.message)
          ? fail({
              code: 'refused',
              message:
                `the TPM refuses the seal: the machine's boot state changed since it was sealed ` +
                `(PCR ${pcrSelection(pcrs)} differs: firmware, Secure Boot keys or boot loader)`,
            })
          : opened;
      }
      const key = opened.value;
      if (key.length !== WRAPPING_KEY_BYTES) {
        key.fill(0);
        return fail({ code: 'corrupt', message: `the TPM seal in ${this.#file} holds no wrapping key` });
      }
      return ok(key);
    });
  }

  #readSeal(): Result<TpmSeal, KeyStoreProblem> {
    if (!this.exists()) return fail({ code: 'missing', message: `${this.#file} does not exist` });
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(this.#file, 'utf8'));
    } catch (error) {
      return fail({ code: 'corrupt', message: `${this.#file} is unreadable: ${errorText(error)}` });
    }
    if (!isSeal(value)) {
      return fail({ code: 'corrupt', message: `${this.#file} is not a TPM seal of this lane's format` });
    }
    return ok(value);
  }

  /** Resolves the TCTI: the option, `TPM2TOOLS_TCTI`, else the first TPM device present. */
  #tcti(): Result<string, KeyStoreProblem> {
    const env = this.#o.env ?? process.env;
    const chosen = this.#o.tcti ?? env['TPM2TOOLS_TCTI'];
    if (chosen !== undefined && chosen !== '') return ok(chosen);
    const device = TPM_DEVICES.find((d) => existsSync(d));
    if (device === undefined) {
      return fail({
        code: 'unavailable',
        message: `no TPM on this machine (${TPM_DEVICES.join(', ')} absent) and TPM2TOOLS_TCTI is not set`,
      });
    }
    return ok(`device:${device}`);
  }

  /** Runs `work` with tools bound to a private temp folder, removed afterwards whatever happens. */
  async #inTempDir<T>(
    work: (dir: string, tools: TpmTools) => Promise<Result<T, KeyStoreProblem>>,
  ): Promise<Result<T, KeyStoreProblem>> {
    const tcti = this.#tcti();
    if (!tcti.ok) return tcti;
    const dir = mkdtempSync(join(tmpdir(), 'lane-tpm-'));
    try {
      const tools = new TpmTools(
        dir,
        tcti.value,
        this.#o.env ?? process.env,
        this.#o.toolTimeoutMs ?? 30_000,
        this.#o.deadlineMs ?? DEFAULT_TPM_DEADLINE_MS,
      );
      return await work(dir, tools);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/**
 * tpm2-tools bound to one working folder and TCTI, under one deadline for all their runs; each
 * run is followed by flushes.
 */
class TpmTools {
  readonly #deadline: number;

  constructor(
    readonly dir: string,
    readonly tcti: string,
    readonly env: NodeJS.ProcessEnv,
    readonly timeoutMs: number,
    readonly deadlineMs: number,
  ) {
    this.#deadline = performance.now() + deadlineMs;
  }

  /**
   * Runs one tool (then flushes transient objects, and sessions when it made some), answering
   * its stdout or a problem read from its exit.
   */
  async run(
    tool: string,
    args: readonly string[],
    options: { input?: Buffer; sessions?: boolean } = {},
  ): Promise<Result<Buffer, KeyStoreProblem>> {
    const r = await this.#exec(tool, args, options.input);
    if (r.started === 'timed-out') {
      return fail({
        code: 'unavailable',
        message: `the TPM did not answer within ${String(this.deadlineMs)} ms (${tool} was stopped)`,
      });
    }
    if (r.started) {
      await this.#exec('tpm2_flushcontext', ['-t']);
      if (options.sessions === true) {
        // A policy session stays loaded after the tool exits (`-l`); `-s` takes saved ones.
        await this.#exec('tpm2_flushcontext', ['-l']);
        await this.#exec('tpm2_flushcontext', ['-s']);
      }
    }
    if (!r.started) {
      return fail({
        code: 'unavailable',
        message: r.missing
          ? `${tool} not found: tpm2-tools is not installed (Debian package tpm2-tools)`
          : `${tool} could not run: ${r.reason}`,
      });
    }
    if (r.code === 0) return ok(r.stdout);
    r.stdout.fill(0);
    return fail(problemOf(tool, r.code, r.stderr, this.tcti));
  }

  /**
   * Runs one tool for at most its own timeout and what is left of the deadline; past the
   * deadline it is killed (SIGKILL) and answered as timed out without waiting for its pipes.
   */
  #exec(tool: string, args: readonly string[], input?: Buffer): Promise<ToolRun> {
    const left = Math.floor(this.#deadline - performance.now());
    if (left <= 0) return Promise.resolve({ started: 'timed-out' });
    return new Promise((resolve) => {
      const child = spawn(tool, args, {
        cwd: this.dir,
        env: { ...this.env, TPM2TOOLS_TCTI: this.tcti },
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: this.timeoutMs,
      });
      const deadline = setTimeout(() => {
        child.kill('SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({ started: 'timed-out' });
      }, left);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.stdin.on('error', () => undefined);
      child.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(deadline);
        resolve({ started: false, reason: error.message, missing: error.code === 'ENOENT' });
      });
      child.once('close', (code, signal) => {
        clearTimeout(deadline);
        const stdout = Buffer.concat(out);
        for (const chunk of out) chunk.fill(0);
        const stderr = Buffer.concat(err).toString('utf8');
        resolve({
          started: true,
          code: signal === null ? code : null,
          stdout,
          stderr:
            signal === null
              ? stderr
              : `${stderr}\nkilled by ${signal} (timeout ${String(this.timeoutMs)} ms)`,
        });
      });
      child.stdin.end(input);
    });
  }
}

/** What a tool's failure means, from its stderr (the tools print TPM response codes in words). */
function problemOf(tool: string, code: number | null, stderr: string, tcti: string): KeyStoreProblem {
  const said = lastErrorLine(stderr);
  if (/Could not load tcti|Failed to instantiate TCTI|No standard TCTI/i.test(stderr)) {
    return { code: 'unavailable', message: `no TPM reachable through TCTI ${tcti} (${tool}: ${said})` };
  }
  if (/policy check failed|0x0*99d/i.test(stderr)) {
    return { code: 'refused', message: `the TPM refuses the seal's policy (${tool}: ${said})` };
  }
  if (/integrity check failed|0x0*1df/i.test(stderr)) {
    return {
      code: 'refused',
      message:
        `the TPM cannot open this seal: it was made by another TPM, or this TPM was cleared ` +
        `since (or the seal file is damaged) (${tool}: ${said})`,
    };
  }
  if (/deserializ|needs to be a valid|wrong size|unmarshal/i.test(stderr)) {
    return { code: 'corrupt', message: `the TPM seal file is damaged (${tool}: ${said})` };
  }
  if (/PCR|pcr/.test(stderr) && tool === 'tpm2_createpolicy') {
    return {
      code: 'unavailable',
      message: `the TPM cannot bind to these PCRs (${said}); choose others with --tpm-pcrs, or none`,
    };
  }
  return { code: 'unavailable', message: `${tool} failed (exit ${String(code)}): ${said}` };
}

/** The last `ERROR:` line a tool printed (its most specific), else its last line. */
function lastErrorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const errors = lines.filter((l) => l.startsWith('ERROR: ') && !/Unable to run/.test(l));
  const line = errors.at(-1) ?? lines.at(-1) ?? 'no message';
  return line.replace(/^ERROR:\s*/, '').slice(0, 300);
}

function pcrSelection(pcrs: readonly number[]): string {
  return `sha256:${pcrs.join(',')}`;
}

function isSeal(value: unknown): value is TpmSeal {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    v['version'] === 1 &&
    v['primary'] === PRIMARY_NAME &&
    Array.isArray(v['pcrs']) &&
    v['pcrs'].every((p) => Number.isInteger(p) && (p as number) >= 0 && (p as number) <= 23) &&
    typeof v['public'] === 'string' &&
    typeof v['private'] === 'string' &&
    /^[A-Za-z0-9+/]+=*$/.test(v['public']) &&
    /^[A-Za-z0-9+/]+=*$/.test(v['private'])
  );
}
