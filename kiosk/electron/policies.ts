// The Electron kiosk shell's rules, as plain functions with no Electron in them: which URLs a
// window may show or fetch, which permissions the display gets, which window goes on which
// screen, what to do when a renderer dies. `main.ts` only wires these to Electron's events, so
// everything that decides something here is unit-tested without an Electron binary.

/** A screen as Electron's `screen` module describes it (only the fields the plan needs). */
export interface ScreenInfo {
  readonly id: number;
  readonly bounds: {
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
  };
}

/** Which lane page a window shows. */
export type WindowRole = 'officer' | 'traveller';

/** One window to open: its role, the URL it loads and the screen it covers. */
export interface PlannedWindow {
  readonly role: WindowRole;
  readonly url: string;
  /** The screen's id, or null when no screen is known (Electron then places the window). */
  readonly displayId: number | null;
  readonly bounds: ScreenInfo['bounds'] | null;
}

/** What the shell was started with (from its environment). */
export interface ShellConfig {
  readonly officerUrl: string;
  readonly travellerUrl: string | null;
  /** `http://127.0.0.1:PORT`: the only origin the windows may show, fetch from or grant to. */
  readonly laneOrigin: string;
  /** Kiosk windows (no frame, no way out); off only for development (`CHECKPOINT_KIOSK=0`). */
  readonly kiosk: boolean;
  /** Hide the mouse pointer (touchscreen lanes): `CHECKPOINT_HIDE_CURSOR=1`. */
  readonly hideCursor: boolean;
  /** Where Electron keeps its own files (GPU cache, crash dumps); null: Electron's default. */
  readonly userDataDir: string | null;
}

/** The environment variables the lane agent sets when it launches the shell. */
export const SHELL_ENV = {
  officerUrl: 'CHECKPOINT_OFFICER_URL',
  travellerUrl: 'CHECKPOINT_TRAVELLER_URL',
  kiosk: 'CHECKPOINT_KIOSK',
  hideCursor: 'CHECKPOINT_HIDE_CURSOR',
  userDataDir: 'CHECKPOINT_SHELL_DATA',
} as const;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The origin of a URL the shell may be pointed at: plain HTTP on a loopback address with an
 * explicit port (the lane agent's display server), else null. The display never comes from
 * anywhere else, so a shell told to load anything else refuses to start.
 */
export function laneOriginOf(url: string): string | null {
  const parsed = parseUrl(url);
  if (parsed === null) return null;
  if (parsed.protocol !== 'http:' || !LOOPBACK_HOSTS.has(parsed.hostname) || parsed.port === '') return null;
  if (parsed.username !== '' || parsed.password !== '') return null;
  return parsed.origin;
}

/** Reads the shell's configuration from its environment; a message instead if it is unusable. */
export function parseShellConfig(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; config: ShellConfig } | { ok: false; message: string } {
  const officerUrl = env[SHELL_ENV.officerUrl];
  if (officerUrl === undefined || officerUrl === '')
    return { ok: false, message: `${SHELL_ENV.officerUrl} is not set (the lane agent sets it)` };
  const laneOrigin = laneOriginOf(officerUrl);
  if (laneOrigin === null)
    return {
      ok: false,
      message: `${SHELL_ENV.officerUrl} must be the lane's display on http://127.0.0.1:PORT`,
    };
  const traveller = env[SHELL_ENV.travellerUrl];
  const travellerUrl = traveller === undefined || traveller === '' ? null : traveller;
  if (travellerUrl !== null && laneOriginOf(travellerUrl) !== laneOrigin)
    return { ok: false, message: `${SHELL_ENV.travellerUrl} must be on the same origin as the officer page` };
  const dataDir = env[SHELL_ENV.userDataDir];
  return {
    ok: true,
    config: {
      officerUrl,
      travellerUrl,
      laneOrigin,
      kiosk: env[SHELL_ENV.kiosk] !== '0',
      hideCursor: env[SHELL_ENV.hideCursor] === '1',
      userDataDir: dataDir === undefined || dataDir === '' ? null : dataDir,
    },
  };
}

/**
 * May a window navigate (or be redirected) to `url`? Only to a page of the lane's own origin;
 * `javascript:`, `data:`, `file:`, other ports, look-alike hosts and user-info tricks are refused.
 */
export function isAllowedNavigation(url: string, laneOrigin: string): boolean {
  const parsed = parseUrl(url);
  return parsed !== null && parsed.protocol === 'http:' && parsed.origin === laneOrigin;
}

/**
 * What to do with `window.open(url)`: never a new window (it could cover the decision on a
 * kiosk screen); a page of the lane's own origin is shown in the same window instead.
 */
export function windowOpenDecision(
  url: string,
  laneOrigin: string,
): { action: 'deny'; loadInPlace: boolean } {
  return { action: 'deny', loadInPlace: isAllowedNavigation(url, laneOrigin) };
}

/**
 * May the session fetch `url` at all (pages, scripts, the WebSocket, workers)? The lane's own
 * origin over HTTP and its WebSocket on the same host and port, plus in-page `blob:` and
 * `data:` URLs (decoder worker, camera frames); nothing on the network.
 */
export function isAllowedRequest(url: string, laneOrigin: string): boolean {
  const parsed = parseUrl(url);
  const lane = parseUrl(laneOrigin);
  if (parsed === null || lane === null) return false;
  if (parsed.protocol === 'blob:' || parsed.protocol === 'data:') return true;
  if (parsed.protocol === 'http:') return parsed.origin === lane.origin;
  if (parsed.protocol === 'ws:') return parsed.host === lane.host;
  return false;
}

/**
 * Grant or deny a permission: only the camera (`media` with video alone) and only to the
 * lane's own origin; the microphone, screen capture, notifications, devices and everything
 * else are denied. `requestingOrigin` may be an origin or a full URL. `mediaTypes` is what a
 * `media` request asks for (`video`, `audio`); absent for permission checks (enumeration).
 */
export function permissionDecision(
  permission: string,
  requestingOrigin: string,
  laneOrigin: string,
  mediaTypes?: readonly string[],
): 'grant' | 'deny' {
  if (permission !== 'media') return 'deny';
  if (!isAllowedNavigation(requestingOrigin, laneOrigin)) return 'deny';
  if (mediaTypes !== undefined && mediaTypes.some((type) => type !== 'video' && type !== 'unknown'))
    return 'deny';
  return 'grant';
}

/**
 * Which window goes where: the officer's page on the primary screen; the traveller's on another
 * screen if there is one (the first other screen as the system lists them), else no traveller
 * window (a traveller page over the officer's would hide the decision and the override).
 */
export function windowPlan(
  screens: readonly ScreenInfo[],
  primaryId: number | null,
  urls: { readonly officer: string; readonly traveller: string | null },
): PlannedWindow[] {
  const primary = screens.find((s) => s.id === primaryId) ?? screens[0];
  const plan: PlannedWindow[] = [
    {
      role: 'officer',
      url: urls.officer,
      displayId: primary?.id ?? null,
      bounds: primary?.bounds ?? null,
    },
  ];
  const second = screens.find((s) => s !== primary);
  if (urls.traveller !== null && second !== undefined) {
    plan.push({ role: 'traveller', url: urls.traveller, displayId: second.id, bounds: second.bounds });
  }
  return plan;
}

/**
 * The window settings every lane window gets. A plain object `main.ts` spreads into
 * `new BrowserWindow(...)`: the renderer is isolated and sandboxed with no Node and no preload.
 */
export function windowOptions(planned: PlannedWindow, config: Pick<ShellConfig, 'kiosk'>) {
  return {
    ...(planned.bounds === null ? {} : planned.bounds),
    show: false,
    kiosk: config.kiosk,
    fullscreen: config.kiosk,
    frame: !config.kiosk,
    autoHideMenuBar: true,
    backgroundColor: '#000000',
    title: planned.role === 'officer' ? 'Làn kiểm soát' : 'Làn kiểm soát — hành khách',
    webPreferences: {
      partition: LANE_PARTITIONS[planned.role],
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: !config.kiosk,
      // The lane plays its decision sounds without a tap first; timers keep running unfocused.
      autoplayPolicy: 'no-user-gesture-required' as const,
      backgroundThrottling: false,
    },
  };
}

/**
 * Each window's session: in memory only, so no page or session cookie reaches the disk, and one
 * per role, so the traveller window's cookie jar never holds the officer's session (a traveller
 * window sent to `/` would otherwise show the officer's page).
 */
export const LANE_PARTITIONS: Readonly<Record<WindowRole, string>> = {
  officer: 'lane-officer',
  traveller: 'lane-traveller',
};

/**
 * The Content-Security-Policy the shell adds to every response (as a second policy beside the
 * display server's own, so the stricter of the two applies). Same directives as the server's,
 * with the WebSocket narrowed to the lane's own port.
 */
export function cspHeader(laneOrigin: string): string {
  const lane = parseUrl(laneOrigin);
  const port = lane?.port ?? '';
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob: mediastream:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * The response headers with the shell's CSP added as one more value of the CSP header (found
 * case-insensitively): a policy the server sent stays, and the browser enforces both.
 */
export function withCsp(
  headers: Readonly<Record<string, readonly string[]>> | undefined,
  laneOrigin: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers ?? {})) out[name] = [...values];
  const key =
    Object.keys(out).find((name) => name.toLowerCase() === 'content-security-policy') ??
    'Content-Security-Policy';
  out[key] = [...(out[key] ?? []), cspHeader(laneOrigin)];
  return out;
}

/** CSS that hides the pointer on every element (touchscreen lanes). */
export const HIDE_CURSOR_CSS = '*, *::before, *::after { cursor: none !important; }';

/** How long a renderer may stay unresponsive before the shell kills and reloads it. */
export const HANG_GRACE_MS = 10_000;

/** What to do after a renderer crashed or hung, given the times of the recent ones. */
export type Recovery = { action: 'reload'; delayMs: number } | { action: 'exit'; code: number };

/** Options of {@link recoveryAfterCrash}. */
export interface RecoveryOptions {
  /** Crashes counted within this window (ms). */
  readonly windowMs: number;
  /** More than this many crashes in the window: give up and let the lane relaunch the shell. */
  readonly maxCrashes: number;
  readonly baseDelayMs: number;
  readonly capDelayMs: number;
}

/** The shell's defaults: 5 crashes a minute, reload after 0.5 s doubling up to 15 s. */
export const RECOVERY_DEFAULTS: RecoveryOptions = {
  windowMs: 60_000,
  maxCrashes: 5,
  baseDelayMs: 500,
  capDelayMs: 15_000,
};

/**
 * After a renderer is gone: reload the page after a delay that doubles with each recent crash;
 * in a crash loop, exit with a non-zero code so the lane agent relaunches the whole shell with
 * its own back-off. `crashTimes` are the recent crashes' times (ms) including this one.
 * A clean exit of the renderer (the window is closing) needs nothing.
 */
export function recoveryAfterCrash(
  reason: string,
  crashTimes: readonly number[],
  now: number,
  options: RecoveryOptions = RECOVERY_DEFAULTS,
): Recovery | null {
  if (reason === 'clean-exit') return null;
  const recent = crashTimes.filter((t) => now - t <= options.windowMs && t <= now).length;
  if (recent > options.maxCrashes) return { action: 'exit', code: 3 };
  const attempt = Math.max(0, recent - 1);
  return {
    action: 'reload',
    delayMs: Math.min(options.capDelayMs, options.baseDelayMs * 2 ** Math.min(attempt, 20)),
  };
}

/**
 * The page a window loads after its first load (a crash reload, a window reopened for a screen
 * that came back): its one-time link without the code. The code is spent on the first load; the
 * session cookie it bought lives in the window's session for as long as the shell runs.
 */
export function pageUrlOf(link: string): string {
  const parsed = parseUrl(link);
  if (parsed === null) return link;
  parsed.searchParams.delete('code');
  return parsed.toString();
}

/** The shell's exit code when the display refused a page: the lane agent relaunches it with fresh links. */
export const LINK_REFUSED_EXIT = 4;

/**
 * Should the shell leave because the lane display refused a page it loaded (HTTP 403: a spent
 * or unknown link, or a session the agent no longer knows after its restart)? Only the agent
 * can mint new links, and it does when it relaunches the shell.
 */
export function leaveForFreshLinks(url: string, httpStatus: number, laneOrigin: string): boolean {
  return httpStatus === 403 && isAllowedNavigation(url, laneOrigin);
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}
