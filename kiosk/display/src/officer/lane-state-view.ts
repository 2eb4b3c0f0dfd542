// Honest lane states on the officer screen: the link to the lane agent (full screen when lost or
// silent for 3 s), the server (a banner with since when, and a countdown to stale lists), stale
// lists (a full-screen amber explanation), and each scanner's state as an icon with words.
import type { DeviceStateView, Language, ListName } from '@checkpoint-lane/shared';
import { renderCamera } from '../camera/officer-camera.js';
import { clock, DEVICE_WORDS, duration, t } from '../ui-text.js';
import { el, make } from './dom.js';
import { screen } from './screen-state.js';

/**
 * The agent ticks every second: this long without a word means it is dead or hung (one tick may
 * be late; checked every 250 ms, so the full-screen state shows within 3 s of the last word).
 */
export const AGENT_SILENCE_MS = 2500;

/** Is the link to the agent alive (socket open and something heard within 3 s)? */
export function agentAlive(now: number): boolean {
  return screen.linkUp && now - screen.lastHeard < AGENT_SILENCE_MS;
}

/** When the lists turn stale (oldest sync + the budget), or null if never synced. */
function listsStaleAt(): number | null {
  const sync = screen.sync;
  if (sync === null) return null;
  const lists: ListName[] = screen.checkpoint?.mode === 'closed' ? ['health', 'whitelist'] : ['health'];
  const times = lists.map((l) => sync.listsSyncedAt[l]);
  if (times.some((x) => x === null)) return null;
  return Math.min(...(times as number[])) + sync.freshnessBudgetSec * 1000;
}

function renderLaneDown(now: number, language: Language): void {
  const alive = agentAlive(now);
  if (alive) screen.downSince = null;
  else screen.downSince ??= screen.lastHeard === 0 ? now : screen.lastHeard;
  const box = el('lane-down');
  box.hidden = alive;
  document.body.dataset['link'] = alive ? 'up' : 'down';
  el('lane-down-title').textContent = t('laneDown', language);
  el('lane-down-detail').textContent = t('laneDownDetail', language, {
    since: screen.lastHeard === 0 ? '' : t('sinceTime', language, { time: clock(screen.lastHeard) }),
  });
}

function renderServer(now: number, language: Language): void {
  const sync = screen.sync;
  const link = el('link');
  const online = sync?.online === true;
  link.className = agentAlive(now) && online ? 'link up' : 'link down';
  const backlog = sync !== null && sync.backlog > 0 ? ` · ${t('backlog', language)}: ${sync.backlog}` : '';
  const server = online
    ? t('online', language)
    : t('serverOffline', language, { time: clock(sync?.offlineSince ?? now) });
  link.textContent = `${server}${backlog}`;
  const banner = el('server-banner');
  const staleAt = listsStaleAt();
  const stale = sync !== null && (staleAt === null || now >= staleAt);
  if (!stale) screen.staleDismissed = false;
  banner.hidden = online && !stale;
  banner.className = stale ? 'banner stale' : 'banner offline';
  const parts: string[] = [];
  if (!online) parts.push(t('serverOffline', language, { time: clock(sync?.offlineSince ?? now) }));
  if (stale) parts.push(t('staleBanner', language));
  else if (!online && staleAt !== null)
    parts.push(t('listsExpireIn', language, { time: duration(staleAt - now, language) }));
  banner.textContent = parts.join(' · ');
  const overlay = el('stale');
  overlay.hidden = !stale || screen.staleDismissed;
  el('stale-title').textContent = t('staleTitle', language);
  const synced =
    sync === null ? [] : Object.values(sync.listsSyncedAt).filter((x): x is number => x !== null);
  el('stale-detail').textContent = t('staleDetail', language, {
    time: synced.length === 0 ? t('never', language) : clock(Math.min(...synced)),
  });
  el('stale-dismiss').textContent = t('staleDismiss', language);
}

/** A device kind's icon and words (its own name for a kind without words). */
function deviceWords(d: DeviceStateView): { icon: string; vi: string; en: string } {
  return DEVICE_WORDS[d.kind] ?? { icon: '⌁', vi: d.device, en: d.device };
}

/** "Máy quét: hoạt động": a device's words and its state. */
function deviceLine(d: DeviceStateView, language: Language): string {
  return `${deviceWords(d)[language]}: ${t(`device_${d.status}`, language)}`;
}

/** One input (scanner or camera) as the officer reads it: an icon and words, and is it working. */
export interface InputState {
  readonly icon: string;
  readonly words: string;
  readonly working: boolean;
}

/** Every input of the lane (scanners the agent reports, the screen's own camera) and its state. */
export function inputStates(language: Language): InputState[] {
  const list: InputState[] = screen.devices.map((d) => ({
    icon: d.status === 'connected' ? deviceWords(d).icon : '⚠',
    words: deviceLine(d, language),
    working: d.status === 'connected',
  }));
  // The camera lives in this screen, not the agent: its chip (#camera) holds its state.
  const camera = document.getElementById('camera');
  if (camera !== null && !camera.hidden && camera.textContent !== '') {
    const live = camera.dataset['state'] === 'live';
    list.push({ icon: live ? '◉' : '⚠', words: camera.textContent, working: live });
  }
  return list;
}

function renderDevices(language: Language): void {
  el('devices').replaceChildren(
    ...screen.devices.map((d) => {
      const chip = make('span', `device ${d.status}`);
      chip.dataset['device'] = d.device;
      chip.title = d.device;
      chip.append(
        Object.assign(make('span', 'device-icon', d.status === 'connected' ? deviceWords(d).icon : '⚠'), {
          ariaHidden: 'true',
        }),
        make('span', 'device-words', deviceLine(d, language)),
      );
      return chip;
    }),
  );
}

/** Paints the lane's states (called on every event and every second). */
export function renderLaneState(now = Date.now()): void {
  const language = screen.language;
  renderLaneDown(now, language);
  renderServer(now, language);
  renderDevices(language);
  renderCamera(language);
}
