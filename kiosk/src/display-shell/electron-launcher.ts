import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { backoffDelay } from '../util/backoff.js';

/** The compiled shell (kiosk/electron/main.ts → kiosk/dist/electron/main.js). */
export const ELECTRON_SHELL_MAIN = fileURLToPath(new URL('../electron/main.js', import.meta.url));

/** Where the Electron binary is, or why there is none. */
export type ElectronBinary = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Finds the Electron binary without downloading it: `CHECKPOINT_ELECTRON` if set; this process's
 * own executable when the lane runs inside Electron as Node (a packaged lane); else the binary
 * the `electron` npm package points at (its `path.txt`, honouring ELECTRON_OVERRIDE_DIST_PATH).
 * Not `require('electron')`: since Electron 42 that tries to download a missing binary.
 */
export function findElectronBinary(
  env: Readonly<Record<string, string | undefined>> = process.env,
  resolvePackage: () => string = () => createRequire(import.meta.url).resolve('electron/package.json'),
  versions: Readonly<Record<string, string | undefined>> = process.versions,
): ElectronBinary {
  const explicit = env['CHECKPOINT_ELECTRON'];
  if (explicit !== undefined && explicit !== '')
    return existsSync(explicit)
      ? { ok: true, path: explicit }
      : { ok: false, reason: `CHECKPOINT_ELECTRON=${explicit} does not exist` };
  if (versions['electron'] !== undefined) return { ok: true, path: process.execPath };
  let dir: string;
  try {
    dir = dirname(resolvePackage());
  } catch {
    return { ok: false, reason: 'the electron package is not installed (npm ci installs it)' };
  }
  let relative = 'electron';
  try {
    relative = readFileSync(join(dir, 'path.txt'), 'utf8').trim();
  } catch {
    if (env['ELECTRON_OVERRIDE_DIST_PATH'] === undefined)
      return {
        ok: false,
        reason:
          'the Electron binary is not downloaded (with network access and Node >= 22.12: `npx install-electron --no`)',
      };
  }
  const path = join(env['ELECTRON_OVERRIDE_DIST_PATH'] ?? join(dir, 'dist'), relative);
  return existsSync(path)
    ? { ok: true, path }
    : { ok: false, reason: `the Electron binary ${path} is missing` };
}

/** Finds the binary and checks that it runs (`electron --version`). */
export function probeElectron(binary: ElectronBinary = findElectronBinary()): ElectronBinary {
  if (!binary.ok) return binary;
  const run = spawnSync(binary.path, ['--version'], {
    encoding: 'utf8',
    timeout: 15_000,
    env: shellEnv(process.env, {}),
  });
  if (run.status !== 0 || !/^v?\d+\.\d+/.test(run.stdout.trim()))
    return {
      ok: false,
      reason: `the Electron binary ${binary.path} does not run (${run.error?.message ?? `exit ${String(run.status)}`})`,
    };
  return binary;
}

/** The pages one launch of the shell opens: one-time links, fresh for every launch. */
export interface ShellLinks {
  readonly officerUrl: string;
  readonly travellerUrl: string | null;
}

/** The lane pages and options the shell is started with. */
export interface ElectronShellOptions {
  /** Mints the links for a launch: a relaunched shell cannot reuse the ones its predecessor used. */
  readonly links: () => ShellLinks;
  /** Where Electron keeps its own files (GPU cache, crash dumps). */
  readonly dataDir: string;
  readonly hideCursor?: boolean;
  /** false: ordinary framed windows (development). */
  readonly kiosk?: boolean;
}

/**
 * The shell's environment: the page links travel here rather than on the command line, where any
 * local user could read them in `ps` (they are one-time links anyway, worthless once loaded).
 * ELECTRON_RUN_AS_NODE is dropped: inherited from a lane running inside Electron as Node, it
 * would start the shell as plain Node.
 */
export function shellEnv(
  base: Readonly<Record<string, string | undefined>>,
  options: Partial<ShellLinks & Omit<ElectronShellOptions, 'links'>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  delete env['ELECTRON_RUN_AS_NODE'];
  if (options.officerUrl !== undefined) env['CHECKPOINT_OFFICER_URL'] = options.officerUrl;
  if (options.travellerUrl != null) env['CHECKPOINT_TRAVELLER_URL'] = options.travellerUrl;
  else delete env['CHECKPOINT_TRAVELLER_URL'];
  if (options.dataDir !== undefined) env['CHECKPOINT_SHELL_DATA'] = options.dataDir;
  if (options.hideCursor !== undefined) env['CHECKPOINT_HIDE_CURSOR'] = options.hideCursor ? '1' : '0';
  if (options.kiosk !== undefined) env['CHECKPOINT_KIOSK'] = options.kiosk ? '1' : '0';
  return env;
}

/**
 * Shows the lane display in the Electron kiosk shell and relaunches the shell with back-off when
 * it exits (it exits by itself in a renderer crash loop): the lane keeps deciding whatever the
 * window does. The shell's JSON lines on stderr become log lines here.
 */
export class ElectronDisplay {
  readonly #binary: string;
  readonly #options: ElectronShellOptions;
  readonly #shellMain: string;
  readonly #log: Logger;
  #child: ChildProcess | null = null;
  #stopped = false;
  #attempt = 0;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    binary: string,
    options: ElectronShellOptions,
    logger: Logger,
    shellMain = ELECTRON_SHELL_MAIN,
  ) {
    this.#binary = binary;
    this.#options = options;
    this.#shellMain = shellMain;
    this.#log = logger.child({ module: 'electron-display' });
  }

  /**
   * Is there a screen to show it on, as a user it can run as? (The binary is checked by
   * {@link probeElectron}.) Electron's sandbox refuses root, and the shell never disables it.
   */
  static screenAvailable(
    env: Readonly<Record<string, string | undefined>> = process.env,
    uid: number | null = process.getuid?.() ?? null,
  ): { ok: true } | { ok: false; reason: string } {
    if (!env['DISPLAY'] && !env['WAYLAND_DISPLAY'])
      return { ok: false, reason: 'no graphical display (DISPLAY is not set)' };
    if (uid === 0)
      return { ok: false, reason: 'Electron does not run as root with its sandbox; run the lane as a user' };
    return { ok: true };
  }

  start(): void {
    this.#stopped = false;
    this.#launch();
  }

  #launch(): void {
    if (this.#stopped) return;
    const { links, ...options } = this.#options;
    const child = spawn(this.#binary, [this.#shellMain], {
      env: shellEnv(process.env, { ...options, ...links() }),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#child = child;
    const started = Date.now();
    this.#log.info({ pid: child.pid }, 'display shell started');
    let pending = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) this.#relay(line);
    });
    child.once('error', (error) => {
      this.#log.error({ err: error.message }, 'display shell could not start');
    });
    child.once('close', (code, signal) => {
      if (this.#child === child) this.#child = null;
      if (this.#stopped) return;
      if (Date.now() - started > 60_000) this.#attempt = 0;
      const delay = backoffDelay(this.#attempt++, { baseMs: 1000, capMs: 30_000 });
      this.#log.warn({ code, signal, retryInMs: delay }, 'display shell exited; relaunching');
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#launch();
      }, delay);
    });
  }

  /** The shell's own lines at info, Chromium's chatter at debug. */
  #relay(line: string): void {
    if (line.trim() === '') return;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === 'object' && parsed !== null && 'shell' in parsed) {
        const { shell, ...fields } = parsed as { shell: unknown } & Record<string, unknown>;
        this.#log.info(fields, `shell: ${String(shell)}`);
        return;
      }
    } catch {
      // not one of the shell's lines
    }
    this.#log.debug({ line: line.slice(0, 500) }, 'electron output');
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#child?.kill('SIGTERM');
  }

  /** Resolves once no shell process is running (after {@link stop}, when it has exited). */
  async whenStopped(): Promise<void> {
    const child = this.#child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) =>
      child.once('close', () => {
        resolve();
      }),
    );
  }
}
