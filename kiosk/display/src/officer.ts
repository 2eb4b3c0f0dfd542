// The officer's screen: the desk the lane agent pushes (pending scans, the last 20), the item
// opened large, scan-bound actions ("Đã xem", "Thay đổi kết quả"), manual entry, and honest
// lane states. Everything shown comes from the agent's events; a reload loses nothing.
import type { Desk, DeskItem } from '@checkpoint-lane/shared';
import { startOfficerCamera } from './camera/officer-camera.js';
import { LaneClient, type LaneMessage } from './lane-client.js';
import { renderDesk, watchRecentStrip } from './officer/desk-view.js';
import { el, toast } from './officer/dom.js';
import { agentAlive, renderLaneState } from './officer/lane-state-view.js';
import { openManual, relabelManual, setUpManual } from './officer/manual-dialog.js';
import { openOverride, refreshOverride, relabelOverride, setUpOverride } from './officer/override-dialog.js';
import {
  currentItem,
  screen,
  type CheckpointView,
  type DeviceView,
  type SyncView,
} from './officer/screen-state.js';
import { playDecisionTone } from './sounds.js';
import { t } from './ui-text.js';
import { WedgeDetector } from './wedge-detector.js';

const client = new LaneClient('officer');
let shown: DeskItem | null = null;

function open(scanId: string): void {
  screen.selected = scanId;
  render();
}

function render(): void {
  shown = renderDesk(open);
  renderLaneState();
  refreshOverride();
}

let fetchingOfficers = false;

/** Fetches the roster when an override names an officer this screen does not know yet. */
function learnOfficers(desk: Desk, force = false): void {
  const known = new Set(screen.officers.map((o) => o.id));
  const unknown = [...desk.pending, ...desk.recent].some(
    (i) =>
      i.override !== null &&
      (!known.has(i.override.officerId) ||
        (i.override.supervisorId !== null && !known.has(i.override.supervisorId))),
  );
  if ((!force && !unknown) || fetchingOfficers) return;
  fetchingOfficers = true;
  client
    .officers()
    .then((list) => {
      screen.officers = list;
      render();
    })
    .catch(() => undefined)
    .finally(() => {
      fetchingOfficers = false;
    });
}

function takeDesk(desk: Desk, latest: string | null): void {
  screen.desk = desk;
  learnOfficers(desk, screen.officers.length === 0 && latest === null);
  if (latest !== null) {
    screen.latest = { scanId: latest, shownAt: Date.now() };
    // A scan the officer reopened that is already handled yields to the new one.
    const selected = screen.selected === null ? null : desk.pending.find((i) => i.scanId === screen.selected);
    if (selected === undefined) screen.selected = null;
    const item = desk.recent.find((i) => i.scanId === latest);
    if (item) playDecisionTone(item.decision);
  }
}

function onMessage(m: LaneMessage): void {
  screen.lastHeard = Date.now();
  const data = m.data as Record<string, unknown> | undefined;
  if (m.type === 'hello') {
    const hello = m as LaneMessage & { desk?: Desk };
    const status = (hello.status ?? {}) as {
      devices?: DeviceView[];
      sync?: SyncView;
      checkpoint?: CheckpointView;
    };
    screen.devices = status.devices ?? [];
    screen.sync = status.sync ?? null;
    screen.checkpoint = status.checkpoint ?? null;
    if (hello.desk) takeDesk(hello.desk, null);
    startOfficerCamera(
      m.camera,
      (text) => void client.submit(text, 'camera'),
      () => screen.language,
    );
  } else if (m.type === 'desk') {
    takeDesk(m.data as Desk, (m as { latest?: string | null }).latest ?? null);
  } else if (m.type === 'device' && data) {
    const state = data as unknown as DeviceView;
    screen.devices = [...screen.devices.filter((d) => d.device !== state.device), state];
  } else if (m.type === 'sync' && data) {
    screen.sync = data as unknown as SyncView;
  } else if (m.type === 'tick') {
    renderLaneStateOnly();
    return;
  } else {
    return;
  }
  render();
}

function renderLaneStateOnly(): void {
  renderLaneState();
}

async function acknowledge(): Promise<void> {
  const item = shown;
  if (item === null) return;
  const res = await client.acknowledge(item.scanId);
  if (res.status === 201) {
    if (screen.selected === item.scanId) screen.selected = null;
    toast(t('acknowledged', screen.language));
  } else {
    toast(res.status === 409 ? t('alreadyHandled', screen.language) : t('failed', screen.language), 'error');
  }
  render();
}

function setUpWedge(): void {
  const wedge = new WedgeDetector();
  document.addEventListener('keydown', (event) => {
    if (document.querySelector('dialog[open]')) return; // the officer is typing in a dialog
    const code = wedge.key(event.key, event.timeStamp);
    if (code !== null) {
      event.preventDefault();
      void client.submit(code, 'wedge');
    }
  });
}

function relabel(): void {
  const language = screen.language;
  document.documentElement.lang = language;
  el('manual-open').textContent = t('manual', language);
  el('override-open').textContent = t('override', language);
  el('ack').textContent = t('acknowledge', language);
  el('language').textContent = t('language', language);
  relabelManual();
  relabelOverride();
  render();
}

function main(): void {
  setUpManual(client);
  setUpOverride(client);
  el('ack').onclick = () => void acknowledge();
  el('override-open').onclick = () => {
    const item = currentItem();
    if (item !== null) openOverride(item);
  };
  el('manual-open').onclick = openManual;
  el('stale-dismiss').onclick = () => {
    screen.staleDismissed = true;
    renderLaneState();
  };
  el('language').onclick = () => {
    screen.language = screen.language === 'vi' ? 'en' : 'vi';
    localStorage.setItem('lane-language', screen.language);
    relabel();
  };
  setUpWedge();
  watchRecentStrip();
  relabel();
  client.connect(onMessage, (up) => {
    screen.linkUp = up;
    if (up) screen.lastHeard = Date.now();
    render();
  });
  // Every second: lock-out countdowns, "waiting for" times, greens expiring.
  window.setInterval(render, 1000);
  // A silent agent shows full screen at once, not at the next second.
  let alive = false;
  window.setInterval(() => {
    const now = agentAlive(Date.now());
    if (now !== alive) renderLaneState();
    alive = now;
  }, 250);
}

main();
