import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { DisplayView } from '../display-api/display-auth.js';
import type { LinkWatch } from '../display-api/display-server.js';
import { backoffDelay } from '../util/backoff.js';

/** Launch pages are named `launch-<random>.html` in the window's profile folder. */
const LAUNCH_FILE = /^launch-[\w-]+\.html$/;

/** How long a launch page lives unused (its link's lifetime) by default. */
const DEFAULT_LINK_TTL_MS = 60_000;

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Writes a window's launch page: a script-free meta refresh to its one-time link, 0600 in the
 * window's 0700 profile folder, so only the lane's user can read the code. Answers its path.
 */
export function writeLaunchPage(profileDir: string, link: string): string {
  mkdirSync(profileDir, { recursive: true, mode: 0o700 });
  chmodSync(profileDir, 0o700); // a folder made earlier with a looser mode is closed too
  // A crashed lane leaves its pages behind; their links died with it.
  for (const name of readdirSync(profileDir))
    if (LAUNCH_FILE.test(name)) rmSync(join(profileDir, name), { force: true });
  const file = join(profileDir, `launch-${randomBytes(12).toString('base64url')}.html`);
  const page =
    '<!doctype html><html lang="vi"><head><meta charset="utf-8">' +
    '<meta name="referrer" content="no-referrer">' +
    `<meta http-equiv="refresh" content="0;url=${escapeHtml(link)}">` +
    '<title>Đang mở màn hình làn / Opening the lane display</title></head><body></body></html>';
  writeFileSync(file, page, { mode: 0o600, flag: 'wx' });
  return file;
}

/** Where Debian's Chromium lives. */
export const CHROMIUM_PATH = process.env['CHECKPOINT_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * The flags a lane window runs with: an app window, no background traffic, sound without a tap.
 * `url` is the window's launch page (a file:// URL): any local user can read the command line
 * in /proc/PID/cmdline, so the one-time link itself never goes there.
 */
export function chromiumArgs(
  url: string,
  profileDir: string,
  options: { kiosk: boolean; headless: boolean },
): string[] {
  return [
    `--app=${url}`,
    `--user-data-dir=${profileDir}`,
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--disable-translate',
    '--autoplay-policy=no-user-gesture-required',
    ...(options.kiosk ? ['--kiosk'] : []),
    ...(options.headless ? ['--headless', '--disable-gpu', '--no-sandbox'] : []),
  ];
}

/** How a Chromium window is started (node's `spawn`; a stand-in in tests). */
export type SpawnChromium = (command: string, args: string[], options: { stdio: 'ignore' }) => ChildProcess;

/** What the Chromium display shows and how. */
export interface ChromiumDisplayOptions {
  /** One window per view, in this order. */
  readonly views: readonly DisplayView[];
  /**
   * A fresh one-time link to a view: each launch and relaunch gets its own. `watch` hears when
   * it is used (the launch page goes) and when it is presented again (the window was refused).
   */
  readonly mintLink: (view: DisplayView, watch: LinkWatch) => string;
  /** How long a link lives unused; the window is relaunched with a fresh one after it. Default 60 s. */
  readonly linkTtlMs?: number;
  /** Window i keeps its profile in `${profileDir}-${i}`. */
  readonly profileDir: string;
  readonly logger: Logger;
  readonly kiosk?: boolean;
  /** Headless Chromium (tests). */
  readonly headless?: boolean;
  readonly spawn?: SpawnChromium;
}

/**
 * Shows the lane display in system Chromium (app/kiosk mode) and relaunches it with back-off
 * if it crashes or is closed, with a fresh one-time link: the lane keeps deciding whatever the
 * window does.
 */
export class ChromiumDisplay {
  readonly #o: ChromiumDisplayOptions;
  readonly #log: Logger;
  #children: ChildProcess[] = [];
  #stopped = false;
  #attempt = 0;

  constructor(options: ChromiumDisplayOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'chromium-display' });
  }

  /** Is there a Chromium and a screen to show it on? */
  static available(): { ok: true } | { ok: false; reason: string } {
    if (!existsSync(CHROMIUM_PATH))
      return { ok: false, reason: `no Chromium at ${CHROMIUM_PATH} (npm run setup:debian)` };
    if (!process.env['DISPLAY'] && !process.env['WAYLAND_DISPLAY'])
      return { ok: false, reason: 'no graphical display (DISPLAY is not set)' };
    return { ok: true };
  }

  start(): void {
    this.#stopped = false;
    this.#o.views.forEach((view, i) => {
      this.#launch(view, `${this.#o.profileDir}-${String(i)}`);
    });
  }

  #launch(view: DisplayView, profileDir: string): void {
    if (this.#stopped) return;
    const spawn = this.#o.spawn ?? spawnProcess;
    // The link goes into a private launch page, never onto the command line.
    let child: ChildProcess | null = null;
    let used = false;
    let file: string | null = null;
    const removeFile = (): void => {
      if (file !== null) rmSync(file, { force: true });
      file = null;
    };
    const relaunch = (): void => {
      clearTimeout(expiry);
      removeFile();
      child?.kill('SIGTERM'); // its exit relaunches it with a fresh link
    };
    const link = this.#o.mintLink(view, {
      used: () => {
        used = true;
        clearTimeout(expiry);
        removeFile();
      },
      replayed: () => {
        this.#log.warn({ view }, 'a display window link was used by someone else; relaunching the window');
        relaunch();
      },
    });
    try {
      file = writeLaunchPage(profileDir, link);
    } catch (error) {
      this.#log.error(
        { err: error instanceof Error ? error.message : String(error), view },
        'could not write the display window launch page',
      );
      return;
    }
    const expiry = setTimeout(() => {
      if (used) return;
      this.#log.warn({ view }, 'a display window did not use its link in time; relaunching the window');
      relaunch();
    }, this.#o.linkTtlMs ?? DEFAULT_LINK_TTL_MS);
    expiry.unref();
    child = spawn(
      CHROMIUM_PATH,
      chromiumArgs(pathToFileURL(file).href, profileDir, {
        kiosk: this.#o.kiosk ?? false,
        headless: this.#o.headless ?? false,
      }),
      { stdio: 'ignore' },
    );
    const spawned = child;
    this.#children.push(spawned);
    const started = Date.now();
    this.#log.info({ pid: spawned.pid, view }, 'display window started');
    spawned.once('error', (error) => {
      this.#log.error({ err: error.message, view }, 'display window could not start');
    });
    spawned.once('exit', (code, signal) => {
      clearTimeout(expiry);
      removeFile();
      this.#children = this.#children.filter((c) => c !== spawned);
      if (this.#stopped) return;
      if (Date.now() - started > 60_000) this.#attempt = 0;
      const delay = backoffDelay(this.#attempt++, { baseMs: 1000, capMs: 30_000 });
      this.#log.warn({ code, signal, retryInMs: delay }, 'display window exited; relaunching');
      setTimeout(() => {
        this.#launch(view, profileDir);
      }, delay);
    });
  }

  stop(): void {
    this.#stopped = true;
    for (const child of this.#children) child.kill('SIGTERM');
    this.#children = [];
  }
}
