// How main.ts wires the policies to Electron. Electron itself cannot run here (its binary cannot
// be downloaded on these machines), so `electron` is replaced by a small fake that records what
// the shell asks of it and lets the test fire Electron's events. This checks the wiring (which
// handler is installed where, what each event leads to), not Electron's own behaviour; the
// rules themselves are tested in policies.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HANG_GRACE_MS, HIDE_CURSOR_CSS, LANE_PARTITIONS, RECOVERY_DEFAULTS, cspHeader } from './policies.js';

type Listener = (...args: never[]) => unknown;

class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  once(event: string, listener: Listener): this {
    return this.on(event, listener);
  }
  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? [])
      (listener as (...a: unknown[]) => unknown)(...args);
  }
}

interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

class FakeWebContents extends Emitter {
  readonly loaded: string[] = [];
  readonly css: string[] = [];
  crashes = 0;
  openHandler: ((details: { url: string }) => { action: string }) | null = null;
  loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    return Promise.resolve();
  }
  insertCSS(css: string): Promise<string> {
    this.css.push(css);
    return Promise.resolve('key');
  }
  forcefullyCrashRenderer(): void {
    this.crashes++;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.openHandler = handler;
  }
}

class FakeWindow extends Emitter {
  readonly webContents = new FakeWebContents();
  destroyed = false;
  bounds: Bounds;
  constructor(readonly options: Record<string, unknown> & Partial<Bounds>) {
    super();
    fake.windows.push(this);
    this.bounds = {
      x: options.x ?? 0,
      y: options.y ?? 0,
      width: options.width ?? 0,
      height: options.height ?? 0,
    };
    fake.app.emit('web-contents-created', {}, this.webContents);
  }
  loadURL(url: string): Promise<void> {
    return this.webContents.loadURL(url);
  }
  show(): void {}
  focus(): void {}
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('closed');
  }
  getBounds(): Bounds {
    return this.bounds;
  }
  setBounds(bounds: Bounds): void {
    this.bounds = bounds;
  }
  setKiosk(_on: boolean): void {}
}

type Handler = (...args: never[]) => unknown;

function makeFake() {
  const paths: Record<string, string> = {};
  const app = Object.assign(new Emitter(), {
    sandboxed: false,
    exitCode: null as number | null,
    paths,
    enableSandbox() {
      this.sandboxed = true;
    },
    requestSingleInstanceLock: () => true,
    setPath(name: string, value: string) {
      this.paths[name] = value;
    },
    whenReady: () => Promise.resolve(),
    quit() {},
    exit(code: number) {
      this.exitCode = code;
    },
  });
  const ses = {
    handlers: {} as Record<string, Handler>,
    setPermissionRequestHandler(h: Handler) {
      this.handlers['request'] = h;
    },
    setPermissionCheckHandler(h: Handler) {
      this.handlers['check'] = h;
    },
    setDevicePermissionHandler(h: Handler) {
      this.handlers['device'] = h;
    },
    webRequest: {
      before: null as Handler | null,
      headers: null as Handler | null,
      onBeforeRequest(h: Handler) {
        this.before = h;
      },
      onHeadersReceived(h: Handler) {
        this.headers = h;
      },
    },
  };
  const displays = [
    { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } },
    { id: 2, bounds: { x: 1920, y: 0, width: 1024, height: 600 } },
  ];
  return {
    app,
    ses,
    partitions: [] as string[],
    displays,
    windows: [] as FakeWindow[],
    blocker: [] as string[],
    menu: undefined as unknown,
    screen: Object.assign(new Emitter(), {
      getAllDisplays: () => fake.displays,
      getPrimaryDisplay: () => fake.displays[0],
    }),
  };
}

let fake = makeFake();

/** Forwards to the current test's fake (vi.mock's factory runs once; each test makes a new fake). */
function current(pick: () => object): object {
  return new Proxy(
    {},
    {
      get: (_target, key) => {
        const target = pick();
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? (value as Listener).bind(target) : value;
      },
    },
  );
}

vi.mock('electron', () => ({
  app: current(() => fake.app),
  BrowserWindow: FakeWindow,
  Menu: {
    setApplicationMenu: (menu: unknown) => {
      fake.menu = menu;
    },
  },
  powerSaveBlocker: {
    start: (type: string) => fake.blocker.push(type),
    isStarted: () => true,
  },
  screen: current(() => fake.screen),
  session: {
    fromPartition: (name: string) => {
      fake.partitions.push(name);
      return fake.ses;
    },
  },
}));

const LANE = 'http://127.0.0.1:43210';
const OFFICER = `${LANE}/?code=abc`;
const TRAVELLER = `${LANE}/traveller?code=abc`;

let savedEnv: NodeJS.ProcessEnv;
let logLines: string[] = [];

async function startShell(env: Record<string, string> = {}): Promise<void> {
  process.env['CHECKPOINT_OFFICER_URL'] = OFFICER;
  process.env['CHECKPOINT_TRAVELLER_URL'] = TRAVELLER;
  process.env['CHECKPOINT_SHELL_DATA'] = '/tmp/lane/electron';
  Object.assign(process.env, env);
  vi.resetModules();
  await import('./main.js');
  await vi.waitFor(() => {
    expect(fake.windows.length).toBeGreaterThan(0);
  });
}

beforeEach(() => {
  savedEnv = { ...process.env };
  fake = makeFake();
  logLines = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((line: string | Uint8Array) => {
    logLines.push(String(line));
    return true;
  });
  process.removeAllListeners('SIGTERM');
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  process.env = savedEnv;
  process.removeAllListeners('SIGTERM');
});

const officer = (): FakeWindow => fake.windows[0]!;

describe('the shell at start', () => {
  it('sandboxes, takes the single-instance lock, keeps the screen on and drops the menu', async () => {
    await startShell();
    expect(fake.app.sandboxed).toBe(true);
    expect(fake.app.paths['userData']).toBe('/tmp/lane/electron');
    expect(fake.blocker).toEqual(['prevent-display-sleep']);
    expect(fake.menu).toBeNull();
    // One locked-down session per role.
    expect(fake.partitions).toEqual(Object.values(LANE_PARTITIONS));
  });

  it('opens the officer page on the primary screen and the traveller page on the second', async () => {
    await startShell();
    expect(fake.windows.map((w) => [w.webContents.loaded[0], w.bounds.x])).toEqual([
      [OFFICER, 0],
      [TRAVELLER, 1920],
    ]);
    expect(officer().options).toMatchObject({
      kiosk: true,
      webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false },
    });
    // Apart cookie jars: the traveller window never holds the officer's session.
    expect(fake.windows.map((w) => (w.options['webPreferences'] as { partition: string }).partition)).toEqual(
      ['lane-officer', 'lane-traveller'],
    );
  });

  it('opens only the officer page with one screen, and follows screens coming and going', async () => {
    fake.displays.splice(1);
    await startShell();
    expect(fake.windows).toHaveLength(1);
    fake.displays.push({ id: 2, bounds: { x: 1920, y: 0, width: 800, height: 480 } });
    fake.screen.emit('display-added');
    expect(fake.windows).toHaveLength(2);
    expect(fake.windows[1]!.webContents.loaded).toEqual([TRAVELLER]);
    fake.displays.splice(1);
    fake.screen.emit('display-removed');
    expect(fake.windows[1]!.destroyed).toBe(true);
    expect(officer().destroyed).toBe(false);
  });

  it('hides the cursor on each page load only when asked', async () => {
    await startShell({ CHECKPOINT_HIDE_CURSOR: '1' });
    officer().webContents.emit('did-finish-load');
    expect(officer().webContents.css).toEqual([HIDE_CURSOR_CSS]);
  });

  it('leaves the cursor alone by default', async () => {
    await startShell();
    officer().webContents.emit('did-finish-load');
    expect(officer().webContents.css).toEqual([]);
  });
});

describe('lockdown', () => {
  it('blocks navigation away from the lane, and lets lane pages through', async () => {
    await startShell();
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect']) {
      const away = { url: 'https://example.org/', preventDefault: vi.fn() };
      const lane = { url: `${LANE}/traveller`, preventDefault: vi.fn() };
      officer().webContents.emit(event, away);
      officer().webContents.emit(event, lane);
      expect(away.preventDefault, event).toHaveBeenCalled();
      expect(lane.preventDefault, event).not.toHaveBeenCalled();
    }
    const webview = { preventDefault: vi.fn() };
    officer().webContents.emit('will-attach-webview', webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });

  it('never opens a new window; a lane page loads in place', async () => {
    await startShell();
    const contents = officer().webContents;
    expect(contents.openHandler?.({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler?.({ url: `${LANE}/traveller` })).toEqual({ action: 'deny' });
    expect(contents.loaded).toEqual([OFFICER, `${LANE}/traveller`]);
  });

  it('grants the camera to the lane only, and nothing else', async () => {
    await startShell();
    const request = fake.ses.handlers['request'] as unknown as (
      contents: unknown,
      permission: string,
      callback: (granted: boolean) => void,
      details: Record<string, unknown>,
    ) => void;
    const ask = (permission: string, details: Record<string, unknown>): boolean => {
      const answers: boolean[] = [];
      request(null, permission, (g) => answers.push(g), { isMainFrame: true, ...details });
      if (answers.length !== 1) throw new Error('no single answer');
      return answers[0]!;
    };
    expect(ask('media', { requestingUrl: OFFICER, securityOrigin: LANE, mediaTypes: ['video'] })).toBe(true);
    expect(ask('media', { requestingUrl: OFFICER, mediaTypes: ['video'] })).toBe(true);
    expect(ask('media', { requestingUrl: OFFICER, securityOrigin: LANE, mediaTypes: ['audio'] })).toBe(false);
    expect(ask('media', { requestingUrl: 'https://example.org/', mediaTypes: ['video'] })).toBe(false);
    expect(ask('notifications', { requestingUrl: OFFICER })).toBe(false);

    const check = fake.ses.handlers['check'] as unknown as (
      contents: unknown,
      permission: string,
      origin: string,
      details: Record<string, unknown>,
    ) => boolean;
    expect(check(null, 'media', LANE, { mediaType: 'video' })).toBe(true);
    expect(check(null, 'media', 'http://127.0.0.1:1', { mediaType: 'video' })).toBe(false);
    expect(check(null, 'geolocation', LANE, {})).toBe(false);
    expect((fake.ses.handlers['device'] as unknown as () => boolean)()).toBe(false);
  });

  it('cancels requests off the lane and adds the CSP to responses', async () => {
    await startShell();
    const before = fake.ses.webRequest.before as unknown as (
      details: { url: string },
      callback: (r: { cancel: boolean }) => void,
    ) => void;
    const answers: boolean[] = [];
    before({ url: 'https://cdn.example.org/x.js' }, (r) => answers.push(r.cancel));
    before({ url: `${LANE}/assets/officer.js` }, (r) => answers.push(r.cancel));
    expect(answers).toEqual([true, false]);

    const headers = fake.ses.webRequest.headers as unknown as (
      details: { responseHeaders: Record<string, string[]> },
      callback: (r: { responseHeaders: Record<string, string[]> }) => void,
    ) => void;
    let out: Record<string, string[]> = {};
    headers({ responseHeaders: { 'content-type': ['text/html'] } }, (r) => (out = r.responseHeaders));
    expect(out).toEqual({ 'content-type': ['text/html'], 'Content-Security-Policy': [cspHeader(LANE)] });
  });
});

describe('recovery', () => {
  it('reloads the page after a renderer crash, without the spent one-time code', async () => {
    await startShell();
    vi.useFakeTimers();
    officer().webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });
    expect(officer().webContents.loaded).toEqual([OFFICER]);
    vi.advanceTimersByTime(RECOVERY_DEFAULTS.baseDelayMs);
    // The session cookie the link bought is still in the window's session; the code is not reusable.
    expect(officer().webContents.loaded).toEqual([OFFICER, `${LANE}/`]);
  });

  it('reopens a window for a screen that came back at its page URL, not its spent link', async () => {
    await startShell();
    fake.displays.splice(1);
    fake.screen.emit('display-removed');
    fake.displays.push({ id: 2, bounds: { x: 1920, y: 0, width: 800, height: 480 } });
    fake.screen.emit('display-added');
    expect(fake.windows.at(-1)!.webContents.loaded).toEqual([`${LANE}/traveller`]);
  });

  it('leaves when the display refuses a page, so the lane agent relaunches it with fresh links', async () => {
    await startShell();
    officer().webContents.emit('did-navigate', {}, `${LANE}/`, 200, 'OK');
    officer().webContents.emit('did-navigate', {}, 'http://127.0.0.1:9/', 403, 'Forbidden');
    expect(fake.app.exitCode).toBeNull();
    officer().webContents.emit('did-navigate', {}, OFFICER, 403, 'Forbidden');
    expect(fake.app.exitCode).toBe(4);
  });

  it('exits in a crash loop, for the lane agent to relaunch the shell', async () => {
    await startShell();
    for (let i = 0; i <= RECOVERY_DEFAULTS.maxCrashes; i++) {
      expect(fake.app.exitCode).toBeNull();
      officer().webContents.emit('render-process-gone', {}, { reason: 'oom', exitCode: 1 });
    }
    expect(fake.app.exitCode).toBe(3);
  });

  it('kills a renderer that stays unresponsive, but not one that recovers', async () => {
    await startShell();
    vi.useFakeTimers();
    officer().emit('unresponsive');
    vi.advanceTimersByTime(HANG_GRACE_MS - 1);
    officer().emit('responsive');
    vi.advanceTimersByTime(HANG_GRACE_MS);
    expect(officer().webContents.crashes).toBe(0);
    officer().emit('unresponsive');
    vi.advanceTimersByTime(HANG_GRACE_MS);
    expect(officer().webContents.crashes).toBe(1);
  });

  it('logs state changes as JSON lines without the link’s code', async () => {
    await startShell();
    officer().webContents.emit('will-navigate', {
      url: 'https://example.org/a?b#c',
      preventDefault: vi.fn(),
    });
    const entries = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toContainEqual(expect.objectContaining({ shell: 'window opened', role: 'officer' }));
    expect(entries).toContainEqual({ shell: 'navigation blocked', origin: 'https://example.org' });
    expect(logLines.join('')).not.toContain('abc');
  });
});
