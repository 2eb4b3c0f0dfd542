import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { backoffDelay } from '../util/backoff.js';

/** Where Debian's Chromium lives. */
export const CHROMIUM_PATH = process.env['CHECKPOINT_CHROMIUM'] ?? '/usr/bin/chromium';

/** The flags a lane window runs with: an app window, no background traffic, sound without a tap. */
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

/**
 * Shows the lane display in system Chromium (app/kiosk mode) and relaunches it with back-off
 * if it crashes or is closed: the lane keeps deciding whatever the window does.
 */
export class ChromiumDisplay {
  readonly #urls: readonly string[];
  readonly #profileDir: string;
  readonly #log: Logger;
  readonly #kiosk: boolean;
  #children: ChildProcess[] = [];
  #stopped = false;
  #attempt = 0;

  constructor(urls: readonly string[], profileDir: string, logger: Logger, kiosk = false) {
    this.#urls = urls;
    this.#profileDir = profileDir;
    this.#log = logger.child({ module: 'chromium-display' });
    this.#kiosk = kiosk;
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
    this.#urls.forEach((url, i) => {
      this.#launch(url, `${this.#profileDir}-${i}`);
    });
  }

  #launch(url: string, profileDir: string): void {
    if (this.#stopped) return;
    const child = spawn(
      CHROMIUM_PATH,
      chromiumArgs(url, profileDir, { kiosk: this.#kiosk, headless: false }),
      {
        stdio: 'ignore',
      },
    );
    this.#children.push(child);
    const started = Date.now();
    this.#log.info({ pid: child.pid }, 'display window started');
    child.once('exit', (code, signal) => {
      this.#children = this.#children.filter((c) => c !== child);
      if (this.#stopped) return;
      if (Date.now() - started > 60_000) this.#attempt = 0;
      const delay = backoffDelay(this.#attempt++, { baseMs: 1000, capMs: 30_000 });
      this.#log.warn({ code, signal, retryInMs: delay }, 'display window exited; relaunching');
      setTimeout(() => {
        this.#launch(url, profileDir);
      }, delay);
    });
  }

  stop(): void {
    this.#stopped = true;
    for (const child of this.#children) child.kill('SIGTERM');
    this.#children = [];
  }
}
