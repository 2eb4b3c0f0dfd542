// The officer's screen: the desk the lane agent pushes (pending scans, the last 20), the item
// opened large, scan-bound actions ("Đã xem", "Thay đổi kết quả"), manual entry, and honest
// lane states. Everything shown comes from the agent's events; a reload loses nothing.
import {
  looksLikeStaffCard,
  type Desk,
  type DeskItem,
  type DisplayMessage,
  type DisplaySource,
} from '@checkpoint-lane/shared';
import { startOfficerCamera } from './camera/officer-camera.js';
import {
  decisionHeard,
  gateMode,
  helloHeard,
  renderGate,
  setUpGate,
  staffCardSent,
  takeGate,
  tickHeard,
} from './gate/gate-screen.js';
import { LaneClient } from './lane-client.js';
import { renderDesk, watchRecentStrip } from './officer/desk-view.js';
import { el, toast } from './officer/dom.js';
import { agentAlive, renderLaneState } from './officer/lane-state-view.js';
import { openManual, relabelManual, setUpManual } from './officer/manual-dialog.js';
import { openOverride, refreshOverride, relabelOverride, setUpOverride } from './officer/override-dialog.js';
import { currentItem, screen } from './officer/screen-state.js';
import { renderVehicle } from './officer/vehicle-view.js';
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
  renderVehicle();
  renderLaneState();
  refreshOverride();
  renderGate(agentAlive(Date.now()), screen.language);
}

/**
 * Sends a code this screen read (camera or wedge). In gate mode a staff card among them opens
 * the panel, or is refused and the gate screen says so briefly.
 */
function submitScan(text: string, source: DisplaySource): void {
  const sent = client.submit(text, source);
  if (looksLikeStaffCard(text)) staffCardSent(sent);
  else void sent.catch(() => undefined);
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

/** One message from the agent (the display channel's union): every type has its branch. */
function onMessage(m: DisplayMessage): void {
  screen.lastHeard = Date.now();
  switch (m.type) {
    case 'hello':
      screen.devices = m.status?.devices ?? [];
      screen.sync = m.status?.sync ?? null;
      screen.checkpoint = m.status?.checkpoint ?? null;
      if (m.desk) takeDesk(m.desk, null);
      helloHeard();
      startOfficerCamera(
        m.camera,
        (text) => {
          submitScan(text, 'camera');
        },
        () => screen.language,
      );
      break;
    case 'gate':
      takeGate(m.data);
      break;
    case 'decision':
      decisionHeard(m.data.decision);
      renderGate(agentAlive(Date.now()), screen.language);
      return;
    case 'desk':
      takeDesk(m.data, m.latest);
      break;
    case 'device': {
      const state = m.data;
      screen.devices = [...screen.devices.filter((d) => d.device !== state.device), state];
      break;
    }
    case 'sync':
      screen.sync = m.data;
      break;
    case 'tick':
      // The lane is alive: only its state is painted again.
      tickHeard();
      renderLaneState();
      renderGate(agentAlive(Date.now()), screen.language);
      return;
    case 'traveller':
      // Only a locked gate screen is sent these (instead of decisions, which name someone): the
      // gate screen's hold, red and amber alike.
      if (m.data.state !== 'ready') decisionHeard(m.data.state === 'go' ? 'green' : 'red');
      renderGate(agentAlive(Date.now()), screen.language);
      return;
    case 'override':
      // The desk message that follows shows it.
      return;
    default: {
      // A message type this screen does not know (a newer agent): nothing to show.
      const unknown: never = m;
      return unknown;
    }
  }
  render();
}

async function acknowledge(): Promise<void> {
  const item = shown;
  if (item === null) return;
  const res = await client.acknowledge(item.scanId);
  if (res.ok) {
    if (screen.selected === item.scanId) screen.selected = null;
    toast(t('acknowledged', screen.language));
  } else {
    toast(res.status === 409 ? t('alreadyHandled', screen.language) : t('failed', screen.language), 'error');
  }
  render();
}

/** "Xe đã qua" on the vehicle the panel shows (by its id: never the next one). */
async function vehiclePassed(): Promise<void> {
  const vehicle = screen.desk.vehicle ?? null;
  if (vehicle === null) return;
  const res = await client.vehiclePassed(vehicle.id);
  if (res.ok) toast(t('vehiclePassedDone', screen.language));
  else
    toast(
      res.status === 409 || res.status === 404
        ? t('vehicleAlreadyClosed', screen.language)
        : t('failed', screen.language),
      'error',
    );
  render();
}

function setUpWedge(): void {
  const wedge = new WedgeDetector();
  document.addEventListener('keydown', (event) => {
    if (document.querySelector('dialog[open]')) return; // the officer is typing in a dialog
    const code = wedge.key(event.key, event.timeStamp);
    if (code !== null) {
      event.preventDefault();
      submitScan(code, 'wedge');
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
  setUpGate(client, () => screen.language);
  el('ack').onclick = () => void acknowledge();
  el('vehicle-passed').onclick = () => void vehiclePassed();
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
    // The gate's countdown and its lost-agent state, in step with the second.
    if (gateMode() !== 'off') renderGate(now, screen.language);
  }, 250);
}

main();
