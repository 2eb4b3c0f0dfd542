import { spawn as spawnProcess, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { DisplayView } from '../display-api/display-auth.js';
import { backoffDelay } from '../util/backoff.js';

/** Where Debian's Chromium lives. */
export const CHROMIUM_PATH = process.env['CHECKPOINT_CHROMIUM'] ?? '/usr/bin/chromium';

/**
 * The flags a lane window runs with: an app window, no background traffic, sound without a tap.
 * `url` is a one-time link: any local user can read it in `ps`, but it is worthless once the
 * window has loaded it (and a window that lost the race shows a refusal, never a session).
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
  /** A fresh one-time link to a view: each launch and relaunch gets its own. */
  readonly mintLink: (view: DisplayView) => string;
  /** Window i keeps its profile in `${profileDir}-${i}`. */
  readonly profileDir: string;
  readonly logger: Logger;
  readonly kiosk?: boolean;
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
    const child = spawn(
      CHROMIUM_PATH,
      chromiumArgs(this.#o.mintLink(view), profileDir, { kiosk: this.#o.kiosk ?? false, headless: false }),
      { stdio: 'ignore' },
    );
    this.#children.push(child);
    const started = Date.now();
    this.#log.info({ pid: child.pid, view }, 'display window started');
    child.once('error', (error) => {
      this.#log.error({ err: error.message, view }, 'display window could not start');
    });
    child.once('exit', (code, signal) => {
      this.#children = this.#children.filter((c) => c !== child);
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
