// The Electron shell's rules. Electron itself cannot run here (its binary is not downloadable on
// these machines), so main.ts is only type-checked against electron.d.ts; what it decides lives
// in policies.ts and is tested here as plain functions. The CSP is also checked against what the
// real display server sends, so the two cannot drift apart unnoticed.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DisplayServer, type DisplayAgent } from '@checkpoint-lane/kiosk';
import {
  HIDE_CURSOR_CSS,
  LANE_PARTITIONS,
  RECOVERY_DEFAULTS,
  SHELL_ENV,
  cspHeader,
  isAllowedNavigation,
  isAllowedRequest,
  laneOriginOf,
  leaveForFreshLinks,
  pageUrlOf,
  parseShellConfig,
  permissionDecision,
  recoveryAfterCrash,
  windowOpenDecision,
  windowOptions,
  windowPlan,
  withCsp,
  type ScreenInfo,
} from './policies.js';

const LANE = 'http://127.0.0.1:43210';
const OFFICER = `${LANE}/?code=abc`;
const TRAVELLER = `${LANE}/traveller?code=abc`;

describe('one-time links in the shell', () => {
  it('reloads a page without its spent code', () => {
    expect(pageUrlOf(OFFICER)).toBe(`${LANE}/`);
    expect(pageUrlOf(TRAVELLER)).toBe(`${LANE}/traveller`);
    expect(pageUrlOf(`${LANE}/traveller`)).toBe(`${LANE}/traveller`);
  });

  it('leaves for fresh links only when the lane display itself refuses a page', () => {
    expect(leaveForFreshLinks(OFFICER, 403, LANE)).toBe(true);
    expect(leaveForFreshLinks(`${LANE}/`, 200, LANE)).toBe(false);
    expect(leaveForFreshLinks('http://127.0.0.1:1/', 403, LANE)).toBe(false);
  });
});

describe('laneOriginOf', () => {
  it('accepts the display server on a loopback address with a port', () => {
    expect(laneOriginOf(OFFICER)).toBe(LANE);
    expect(laneOriginOf('http://localhost:8123/x')).toBe('http://localhost:8123');
    expect(laneOriginOf('http://[::1]:8123/')).toBe('http://[::1]:8123');
  });

  it.each([
    ['https on loopback', 'https://127.0.0.1:43210/'],
    ['a remote host', 'http://example.org:43210/'],
    ['a LAN address', 'http://192.168.1.5:43210/'],
    ['no explicit port', 'http://127.0.0.1/'],
    ['user info', 'http://user:pw@127.0.0.1:43210/'],
    ['a file', 'file:///etc/passwd'],
    ['garbage', 'not a url'],
    ['a look-alike host', 'http://127.0.0.1.example.org:43210/'],
  ])('refuses %s', (_name, url) => {
    expect(laneOriginOf(url)).toBeNull();
  });
});

describe('parseShellConfig', () => {
  it('reads the URLs and options the lane agent sets', () => {
    const parsed = parseShellConfig({
      [SHELL_ENV.officerUrl]: OFFICER,
      [SHELL_ENV.travellerUrl]: TRAVELLER,
      [SHELL_ENV.hideCursor]: '1',
      [SHELL_ENV.userDataDir]: '/var/lib/lane/electron',
    });
    expect(parsed).toEqual({
      ok: true,
      config: {
        officerUrl: OFFICER,
        travellerUrl: TRAVELLER,
        laneOrigin: LANE,
        kiosk: true,
        hideCursor: true,
        userDataDir: '/var/lib/lane/electron',
      },
    });
  });

  it('defaults to kiosk windows with the cursor shown and no traveller page', () => {
    const parsed = parseShellConfig({ [SHELL_ENV.officerUrl]: OFFICER });
    expect(parsed.ok && parsed.config).toMatchObject({
      kiosk: true,
      hideCursor: false,
      travellerUrl: null,
      userDataDir: null,
    });
    const dev = parseShellConfig({ [SHELL_ENV.officerUrl]: OFFICER, [SHELL_ENV.kiosk]: '0' });
    expect(dev.ok && dev.config.kiosk).toBe(false);
  });

  it('refuses to start without an officer URL or with one that is not the lane', () => {
    expect(parseShellConfig({})).toMatchObject({ ok: false, message: /CHECKPOINT_OFFICER_URL/ });
    expect(parseShellConfig({ [SHELL_ENV.officerUrl]: 'https://example.org/' })).toMatchObject({
      ok: false,
    });
  });

  it('refuses a traveller page on another origin', () => {
    const parsed = parseShellConfig({
      [SHELL_ENV.officerUrl]: OFFICER,
      [SHELL_ENV.travellerUrl]: 'http://127.0.0.1:9999/traveller',
    });
    expect(parsed).toMatchObject({ ok: false, message: /same origin/ });
  });
});

describe('isAllowedNavigation', () => {
  it('allows the lane pages', () => {
    expect(isAllowedNavigation(OFFICER, LANE)).toBe(true);
    expect(isAllowedNavigation(TRAVELLER, LANE)).toBe(true);
    expect(isAllowedNavigation(`${LANE}/assets/x.js?y=1`, LANE)).toBe(true);
  });

  it.each([
    ['another port', 'http://127.0.0.1:43211/'],
    ['localhost instead of 127.0.0.1 (another origin)', 'http://localhost:43210/'],
    ['https', 'https://127.0.0.1:43210/'],
    ['a remote site', 'https://example.org/'],
    ['user info pointing elsewhere', 'http://127.0.0.1:43210@example.org/'],
    ['a look-alike host', 'http://127.0.0.1.example.org:43210/'],
    ['javascript:', 'javascript:alert(1)'],
    ['data:', 'data:text/html,<h1>x</h1>'],
    ['file:', 'file:///etc/passwd'],
    ['about:blank', 'about:blank'],
    // A blob: URL has the origin of the page that made it: the origin alone would let it through.
    ['a blob: page of the lane origin', `blob:${LANE}/0b5e6a2c-1111-2222-3333-444455556666`],
    ['chrome:', 'chrome://gpu'],
    ['garbage', '::::'],
  ])('blocks %s', (_name, url) => {
    expect(isAllowedNavigation(url, LANE)).toBe(false);
  });
});

describe('windowOpenDecision', () => {
  it('never opens a window; a lane page loads in place, anything else is dropped', () => {
    expect(windowOpenDecision(TRAVELLER, LANE)).toEqual({ action: 'deny', loadInPlace: true });
    expect(windowOpenDecision('https://example.org/', LANE)).toEqual({ action: 'deny', loadInPlace: false });
    expect(windowOpenDecision('javascript:void(0)', LANE)).toEqual({ action: 'deny', loadInPlace: false });
  });
});

describe('isAllowedRequest', () => {
  it('allows the lane origin, its WebSocket, and in-page blob: and data: URLs', () => {
    expect(isAllowedRequest(`${LANE}/api/status`, LANE)).toBe(true);
    expect(isAllowedRequest('ws://127.0.0.1:43210/ws?view=officer', LANE)).toBe(true);
    expect(isAllowedRequest(`blob:${LANE}/0b5e6a2c-1111-2222-3333-444455556666`, LANE)).toBe(true);
    expect(isAllowedRequest('data:image/png;base64,AAAA', LANE)).toBe(true);
  });

  it.each([
    ['a CDN script', 'https://cdn.example.org/zxing.wasm'],
    ['plain http elsewhere', 'http://example.org/'],
    ['another local port', 'http://127.0.0.1:8080/api/v1/admin/kiosks'],
    ['a WebSocket elsewhere', 'ws://127.0.0.1:8080/'],
    ['a secure WebSocket', 'wss://example.org/'],
    ['a file', 'file:///etc/passwd'],
    ['garbage', 'nope'],
  ])('blocks %s', (_name, url) => {
    expect(isAllowedRequest(url, LANE)).toBe(false);
  });
});

describe('permissionDecision', () => {
  it('grants the camera to the lane origin, asked as an origin or as a page URL', () => {
    expect(permissionDecision('media', LANE, LANE, ['video'])).toBe('grant');
    expect(permissionDecision('media', OFFICER, LANE, ['video'])).toBe('grant');
    // Permission checks (device enumeration) carry no or an unknown media type.
    expect(permissionDecision('media', LANE, LANE)).toBe('grant');
    expect(permissionDecision('media', LANE, LANE, ['unknown'])).toBe('grant');
  });

  it('denies the microphone, even with the camera', () => {
    expect(permissionDecision('media', LANE, LANE, ['audio'])).toBe('deny');
    expect(permissionDecision('media', LANE, LANE, ['video', 'audio'])).toBe('deny');
  });

  it('denies the camera to any other origin', () => {
    for (const origin of [
      'http://127.0.0.1:43211',
      'http://localhost:43210',
      'https://127.0.0.1:43210',
      'https://example.org',
      'file:///',
      'null',
      '',
    ]) {
      expect(permissionDecision('media', origin, LANE, ['video']), origin).toBe('deny');
    }
  });

  it.each([
    'display-capture',
    'notifications',
    'geolocation',
    'clipboard-read',
    'fullscreen',
    'pointerLock',
    'hid',
    'serial',
    'usb',
    'midiSysex',
    'openExternal',
    'fileSystem',
    'unknown',
  ])('denies %s even to the lane', (permission) => {
    expect(permissionDecision(permission, LANE, LANE, ['video'])).toBe('deny');
  });
});

describe('windowPlan', () => {
  const urls = { officer: OFFICER, traveller: TRAVELLER };
  const a: ScreenInfo = { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } };
  const b: ScreenInfo = { id: 2, bounds: { x: 1920, y: 0, width: 1024, height: 600 } };
  const c: ScreenInfo = { id: 3, bounds: { x: -800, y: 0, width: 800, height: 480 } };

  it('puts the officer on the primary screen and the traveller on the other', () => {
    expect(windowPlan([a, b], 1, urls)).toEqual([
      { role: 'officer', url: OFFICER, displayId: 1, bounds: a.bounds },
      { role: 'traveller', url: TRAVELLER, displayId: 2, bounds: b.bounds },
    ]);
  });

  it('follows the primary screen wherever the system lists it', () => {
    expect(windowPlan([a, b], 2, urls).map((w) => [w.role, w.displayId])).toEqual([
      ['officer', 2],
      ['traveller', 1],
    ]);
  });

  it('opens only the officer window with one screen', () => {
    expect(windowPlan([a], 1, urls)).toEqual([
      { role: 'officer', url: OFFICER, displayId: 1, bounds: a.bounds },
    ]);
  });

  it('opens only the officer window when there is no traveller page', () => {
    expect(windowPlan([a, b], 1, { officer: OFFICER, traveller: null })).toHaveLength(1);
  });

  it('uses the first other screen when there are three', () => {
    expect(windowPlan([c, a, b], 1, urls)[1]).toMatchObject({ role: 'traveller', displayId: 3 });
  });

  it('falls back to the first screen if the primary is not listed, and to no bounds with none', () => {
    expect(windowPlan([a, b], 99, urls).map((w) => w.displayId)).toEqual([1, 2]);
    expect(windowPlan([], null, urls)).toEqual([
      { role: 'officer', url: OFFICER, displayId: null, bounds: null },
    ]);
  });
});

describe('windowOptions', () => {
  const planned = windowPlan([{ id: 7, bounds: { x: 1920, y: 0, width: 1024, height: 600 } }], 7, {
    officer: OFFICER,
    traveller: null,
  })[0]!;

  it('isolates and sandboxes the renderer with no Node and no preload', () => {
    const { webPreferences } = windowOptions(planned, { kiosk: true });
    expect(webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
      partition: 'lane-officer',
    });
    expect(webPreferences).not.toHaveProperty('preload');
    // An in-memory partition: a "persist:" one would write pages and session cookies to disk.
    expect(webPreferences.partition.startsWith('persist:')).toBe(false);
  });

  it("gives each role its own session: the traveller's cookie jar never holds the officer's session", () => {
    const [officerWindow, travellerWindow] = windowPlan(
      [
        { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 } },
        { id: 2, bounds: { x: 1920, y: 0, width: 1024, height: 600 } },
      ],
      1,
      { officer: OFFICER, traveller: TRAVELLER },
    );
    const officerPartition = windowOptions(officerWindow!, { kiosk: true }).webPreferences.partition;
    const travellerPartition = windowOptions(travellerWindow!, { kiosk: true }).webPreferences.partition;
    expect(officerPartition).toBe('lane-officer');
    expect(travellerPartition).toBe('lane-traveller');
    expect(Object.values(LANE_PARTITIONS).sort()).toEqual([officerPartition, travellerPartition].sort());
    for (const partition of Object.values(LANE_PARTITIONS))
      expect(partition.startsWith('persist:')).toBe(false);
  });

  it('covers its screen as a kiosk window, or a framed one for development', () => {
    expect(windowOptions(planned, { kiosk: true })).toMatchObject({
      x: 1920,
      y: 0,
      width: 1024,
      height: 600,
      kiosk: true,
      fullscreen: true,
      frame: false,
      show: false,
    });
    expect(windowOptions(planned, { kiosk: false })).toMatchObject({ kiosk: false, frame: true });
    expect(windowOptions(planned, { kiosk: false }).webPreferences.devTools).toBe(true);
  });

  it('leaves placement to Electron when no screen is known', () => {
    const unplaced = windowPlan([], null, { officer: OFFICER, traveller: null })[0]!;
    expect(windowOptions(unplaced, { kiosk: true })).not.toHaveProperty('x');
  });
});

describe('cspHeader and withCsp', () => {
  it('allows only the lane itself, its WebSocket port, and wasm for the decoder', () => {
    const csp = cspHeader(LANE);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:43210 ws://localhost:43210");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|'unsafe-eval'|\*|https?:/);
  });

  it('adds the policy beside the server one, whatever case the server used', () => {
    const server = { 'content-security-policy': ["default-src 'self'"], 'x-a': ['1'] };
    const out = withCsp(server, LANE);
    expect(out['content-security-policy']).toEqual(["default-src 'self'", cspHeader(LANE)]);
    expect(out['x-a']).toEqual(['1']);
    expect(server['content-security-policy']).toHaveLength(1);
    expect(withCsp(undefined, LANE)).toEqual({ 'Content-Security-Policy': [cspHeader(LANE)] });
  });

  describe('against the real display server', () => {
    let server: DisplayServer | null = null;
    afterEach(async () => {
      await server?.stop();
      server = null;
    });

    it('is no looser than the policy the display server sends', async () => {
      const agent: DisplayAgent = {
        submit: () => {
          throw new Error('not used');
        },
        override: () => {
          throw new Error('not used');
        },
        acknowledge: () => ({ ok: false, error: 'unknown_scan', message: 'not used' }),
        status: () => ({}),
        officers: () => [],
        desk: () => {
          throw new Error('not used');
        },
        onEvent: () => () => undefined,
      };
      server = new DisplayServer({ agent, logger: pino({ level: 'silent' }) });
      await server.start();
      const origin = server.origin();
      const response = await fetch(`${origin}/`);
      const served = parseCsp(response.headers.get('content-security-policy') ?? '');
      const ours = parseCsp(cspHeader(origin));
      expect(served.size).toBeGreaterThan(3);
      for (const [directive, sources] of served) {
        // Every directive the server sets, the shell sets too, with no source the server lacks
        // (a port-specific WebSocket is within the server's ws://127.0.0.1:*).
        const mine = ours.get(directive);
        expect(mine, directive).toBeDefined();
        for (const source of mine ?? []) {
          const wildcard = source.replace(/:\d+$/, ':*');
          expect(sources.includes(source) || sources.includes(wildcard), `${directive} ${source}`).toBe(true);
        }
      }
    });
  });
});

function parseCsp(policy: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name !== undefined && name !== '') directives.set(name, sources);
  }
  return directives;
}

describe('recoveryAfterCrash', () => {
  const t0 = 1_000_000;

  it('does nothing after a clean exit (the window is closing)', () => {
    expect(recoveryAfterCrash('clean-exit', [t0], t0)).toBeNull();
  });

  it('reloads after a crash, waiting longer after each recent one', () => {
    expect(recoveryAfterCrash('crashed', [t0], t0)).toEqual({ action: 'reload', delayMs: 500 });
    expect(recoveryAfterCrash('oom', [t0 - 2000, t0], t0)).toEqual({ action: 'reload', delayMs: 1000 });
    expect(recoveryAfterCrash('killed', [t0 - 3000, t0 - 2000, t0], t0)).toEqual({
      action: 'reload',
      delayMs: 2000,
    });
  });

  it('forgets crashes older than the window', () => {
    const old = t0 - RECOVERY_DEFAULTS.windowMs - 1;
    expect(recoveryAfterCrash('crashed', [old, old, old, old, old, old, t0], t0)).toEqual({
      action: 'reload',
      delayMs: 500,
    });
  });

  it('exits in a crash loop so the lane relaunches the shell', () => {
    const loop = Array.from({ length: RECOVERY_DEFAULTS.maxCrashes + 1 }, (_, i) => t0 - i * 1000);
    expect(recoveryAfterCrash('crashed', loop, t0)).toEqual({ action: 'exit', code: 3 });
    expect(recoveryAfterCrash('crashed', loop.slice(1), t0)).toMatchObject({ action: 'reload' });
  });

  it('caps the delay', () => {
    const opts = { ...RECOVERY_DEFAULTS, maxCrashes: 100 };
    const many = Array.from({ length: 50 }, (_, i) => t0 - i);
    expect(recoveryAfterCrash('crashed', many, t0, opts)).toEqual({
      action: 'reload',
      delayMs: RECOVERY_DEFAULTS.capDelayMs,
    });
  });
});

describe('HIDE_CURSOR_CSS', () => {
  it('hides the pointer on every element, over the page own styles', () => {
    expect(HIDE_CURSOR_CSS).toMatch(/^\*,.*cursor: none !important/);
  });
});
