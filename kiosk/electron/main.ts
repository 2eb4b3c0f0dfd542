// The Electron kiosk shell: kiosk windows showing the lane display that the lane agent serves on
// 127.0.0.1. The agent starts this with one-time page links in its environment (see SHELL_ENV)
// and relaunches it, with fresh links, if it exits. Every rule is a plain function in policies.ts; this file only wires
// them to Electron. It has no preload: the pages get no Node and no bridge, only the web APIs.
import { app, BrowserWindow, Menu, powerSaveBlocker, screen, session, type WebContents } from 'electron';
import {
  HANG_GRACE_MS,
  HIDE_CURSOR_CSS,
  LANE_PARTITIONS,
  LINK_REFUSED_EXIT,
  leaveForFreshLinks,
  pageUrlOf,
  isAllowedNavigation,
  isAllowedRequest,
  parseShellConfig,
  permissionDecision,
  recoveryAfterCrash,
  windowOpenDecision,
  windowOptions,
  windowPlan,
  withCsp,
  type PlannedWindow,
  type ShellConfig,
  type WindowRole,
} from './policies.js';

/** One JSON line on stderr per state change; the lane agent logs them. No page content. */
function log(event: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ shell: event, ...fields })}\n`);
}

const parsed = parseShellConfig(process.env);
if (!parsed.ok) {
  log('bad configuration', { message: parsed.message });
  process.exit(2);
}
const config: ShellConfig = parsed.config;

if (config.userDataDir !== null) app.setPath('userData', config.userDataDir);
// Sandbox every renderer, whatever a window's options say.
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  log('another shell is running; leaving');
  app.exit(0);
}

const windows = new Map<WindowRole, BrowserWindow>();
const crashes = new Map<WindowRole, number[]>();
/** Roles whose one-time link was loaded: later loads use the page URL (the code is spent). */
const linkUsed = new Set<WindowRole>();

/** What to load for a role now: its one-time link the first time, its page URL after that. */
function urlToLoad(planned: PlannedWindow): string {
  if (linkUsed.has(planned.role)) return pageUrlOf(planned.url);
  linkUsed.add(planned.role);
  return planned.url;
}

function openWindow(planned: PlannedWindow): BrowserWindow {
  const win = new BrowserWindow(windowOptions(planned, config));
  windows.set(planned.role, win);
  const contents = win.webContents;
  win.once('ready-to-show', () => {
    win.show();
  });
  contents.on('did-finish-load', () => {
    if (config.hideCursor) void contents.insertCSS(HIDE_CURSOR_CSS);
  });
  contents.on('render-process-gone', (_event, details) => {
    recover(planned, win, details.reason);
  });
  contents.on('did-navigate', (_event, url, httpResponseCode) => {
    if (!leaveForFreshLinks(url, httpResponseCode, config.laneOrigin)) return;
    log('display refused the page; leaving for fresh links', { role: planned.role });
    app.exit(LINK_REFUSED_EXIT);
  });
  let hang: NodeJS.Timeout | null = null;
  win.on('unresponsive', () => {
    log('renderer unresponsive', { role: planned.role });
    hang ??= setTimeout(() => {
      hang = null;
      log('renderer hung; restarting it', { role: planned.role });
      // Kills the renderer; render-process-gone then reloads the page.
      contents.forcefullyCrashRenderer();
    }, HANG_GRACE_MS);
  });
  win.on('responsive', () => {
    if (hang !== null) clearTimeout(hang);
    hang = null;
  });
  win.on('closed', () => {
    if (hang !== null) clearTimeout(hang);
    if (windows.get(planned.role) === win) windows.delete(planned.role);
  });
  void win.loadURL(urlToLoad(planned));
  log('window opened', { role: planned.role, display: planned.displayId });
  return win;
}

function recover(planned: PlannedWindow, win: BrowserWindow, reason: string): void {
  const now = Date.now();
  const times = [...(crashes.get(planned.role) ?? []), now].slice(-20);
  crashes.set(planned.role, times);
  const next = recoveryAfterCrash(reason, times, now);
  log('renderer gone', { role: planned.role, reason, next: next?.action ?? 'none' });
  if (next === null) return;
  if (next.action === 'exit') {
    app.exit(next.code);
    return;
  }
  setTimeout(() => {
    if (!win.isDestroyed()) void win.loadURL(pageUrlOf(planned.url));
  }, next.delayMs);
}

/** Lays the windows out on the screens now connected (at start and when one comes or goes). */
function applyPlan(): void {
  const plan = windowPlan(
    screen.getAllDisplays().map((d) => ({ id: d.id, bounds: d.bounds })),
    screen.getPrimaryDisplay().id,
    { officer: config.officerUrl, traveller: config.travellerUrl },
  );
  for (const planned of plan) {
    const win = windows.get(planned.role);
    if (win === undefined || win.isDestroyed()) {
      openWindow(planned);
    } else if (planned.bounds !== null && !sameBounds(win.getBounds(), planned.bounds)) {
      // Leave kiosk mode to move: a full-screen window stays on the screen it is on.
      if (config.kiosk) win.setKiosk(false);
      win.setBounds(planned.bounds);
      if (config.kiosk) win.setKiosk(true);
    }
  }
  for (const [role, win] of windows) {
    if (!plan.some((p) => p.role === role)) {
      log('window closed: its screen is gone', { role });
      win.destroy();
    }
  }
}

function sameBounds(a: PlannedWindow['bounds'], b: PlannedWindow['bounds']): boolean {
  return a?.x === b?.x && a?.y === b?.y && a?.width === b?.width && a?.height === b?.height;
}

/** The navigation and new-window lockdown, on every web contents the app ever creates. */
function lockDown(contents: WebContents): void {
  const refuse = (event: { preventDefault(): void }, url: string): void => {
    if (!isAllowedNavigation(url, config.laneOrigin)) {
      event.preventDefault();
      log('navigation blocked', { origin: originOnly(url) });
    }
  };
  contents.on('will-navigate', (event) => {
    refuse(event, event.url);
  });
  contents.on('will-frame-navigate', (event) => {
    refuse(event, event.url);
  });
  contents.on('will-redirect', (event) => {
    refuse(event, event.url);
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    const decision = windowOpenDecision(url, config.laneOrigin);
    if (decision.loadInPlace) void contents.loadURL(url);
    else log('new window blocked', { origin: originOnly(url) });
    return { action: decision.action };
  });
}

/** Where a blocked URL pointed, for the log, never its path or query (a link's code lives there). */
function originOnly(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'unparsable';
  }
}

/** Locks down one window session (each role has its own; see LANE_PARTITIONS). */
function secureSession(partition: string): void {
  const ses = session.fromPartition(partition);
  ses.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const mediaTypes = 'mediaTypes' in details ? details.mediaTypes : undefined;
    const origin =
      ('securityOrigin' in details ? details.securityOrigin : undefined) ?? details.requestingUrl;
    const decision = permissionDecision(permission, origin, config.laneOrigin, mediaTypes);
    if (decision === 'deny') log('permission denied', { permission, origin: originOnly(origin) });
    callback(decision === 'grant');
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) => {
    const mediaTypes = details.mediaType === undefined ? undefined : [details.mediaType];
    return permissionDecision(permission, requestingOrigin, config.laneOrigin, mediaTypes) === 'grant';
  });
  // No WebHID, WebSerial or WebUSB for the pages: the agent owns the devices.
  ses.setDevicePermissionHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedRequest(details.url, config.laneOrigin);
    if (!allowed) log('request blocked', { origin: originOnly(details.url) });
    callback({ cancel: !allowed });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withCsp(details.responseHeaders, config.laneOrigin) });
  });
}

app.on('web-contents-created', (_event, contents) => {
  lockDown(contents);
});
app.on('second-instance', () => {
  const officer = windows.get('officer');
  if (officer !== undefined && !officer.isDestroyed()) officer.focus();
});
// Leaving is the lane agent's decision: it relaunches the shell when it exits.
app.on('window-all-closed', () => {
  app.quit();
});
process.on('SIGTERM', () => {
  app.quit();
});

app
  .whenReady()
  .then(() => {
    Menu.setApplicationMenu(null);
    for (const partition of Object.values(LANE_PARTITIONS)) secureSession(partition);
    const blocker = powerSaveBlocker.start('prevent-display-sleep');
    log('started', { kiosk: config.kiosk, keepScreenOn: powerSaveBlocker.isStarted(blocker) });
    applyPlan();
    screen.on('display-added', applyPlan);
    screen.on('display-removed', applyPlan);
    screen.on('display-metrics-changed', applyPlan);
  })
  .catch((error: unknown) => {
    log('failed to start', { message: error instanceof Error ? error.message : String(error) });
    app.exit(1);
  });
