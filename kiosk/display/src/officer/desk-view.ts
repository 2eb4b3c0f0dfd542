// The officer's desk on screen: the pending count, the item opened large (colour, shape, words,
// health status, subject, card holder, reasons, warnings), the queue of pending scans, the strip
// of the last 20 scans, and which actions apply to the item shown.
import {
  describeReason,
  describeWarning,
  type DeskItem,
  type Language,
  type ReasonCode,
} from '@checkpoint-lane/shared';
import { clock, duration, HEALTH_WORDS, OVERRIDE_REASONS, t } from '../ui-text.js';
import { el, make } from './dom.js';
import { inputStates } from './lane-state-view.js';
import { currentItem, GREEN_HOLD_MS, screen } from './screen-state.js';

/** The shape of each colour: colour is never the only sign. */
export const SHAPES = { green: '✓', red: '✕', amber: '!' } as const;

/** Reasons worth showing: "Không có cảnh báo" (not flagged) never stands beside warnings. */
function shownReasons(item: DeskItem): ReasonCode[] {
  return item.reasons.filter((r) => !(r === 'not_flagged' && item.warnings.length > 0));
}

function subjectText(item: DeskItem, language: Language): string {
  if (item.subject !== null) return item.subject.shown;
  return item.restored === true ? t('restored', language) : t('noSubject', language);
}

function renderMain(item: DeskItem | null, language: Language, now: number): void {
  const panel = el('decision');
  if (item === null) {
    // "Ready to scan" only while something can scan: else say so, and what each input is doing.
    const inputs = inputStates(language);
    const noInput = screen.lastHeard !== 0 && !inputs.some((i) => i.working);
    panel.className = noInput ? 'decision ready no-input' : 'decision ready';
    delete panel.dataset['decision'];
    delete panel.dataset['scanId'];
    el('shape').textContent = noInput ? '⚠' : '';
    el('word').textContent = t(noInput ? 'noInput' : 'ready', language);
    el('item-state').textContent = '';
    for (const id of ['health', 'holder']) el(id).hidden = true;
    el('subject').textContent = '';
    el('reasons').replaceChildren(
      ...(!noInput
        ? []
        : inputs.length === 0
          ? [make('li', 'input-state', `⚠ ${t('noDevices', language)}`)]
          : inputs.map((i) => make('li', 'input-state', `${i.icon} ${i.words}`))),
    );
    el('warnings').replaceChildren();
    el('item-meta').textContent = '';
    return;
  }
  panel.className = `decision ${item.decision} state-${item.state}`;
  panel.dataset['decision'] = item.decision;
  panel.dataset['scanId'] = item.scanId;
  el('shape').textContent = SHAPES[item.decision];
  el('word').textContent = t(item.decision, language);
  el('item-state').textContent = t(`state_${item.state}`, language);
  const health = el('health');
  health.hidden = item.healthStatus === null;
  if (item.healthStatus !== null) {
    const words = HEALTH_WORDS[item.healthStatus];
    health.dataset['status'] = item.healthStatus;
    health.replaceChildren(
      Object.assign(make('span', 'health-icon', words.icon), { ariaHidden: 'true' }),
      make('span', 'health-words', words[language]),
    );
  }
  el('subject').textContent = subjectText(item, language);
  const holder = el('holder');
  holder.hidden = item.holder === null;
  if (item.holder !== null) {
    holder.replaceChildren(
      make('span', 'holder-label', `${t('holderName', language)}:`),
      make('b', 'holder-name', item.holder.name),
      make('span', 'holder-label', `${t('holderBorn', language)}:`),
      make('b', 'holder-born', item.holder.birthDate ?? '—'),
    );
  }
  el('reasons').replaceChildren(
    ...shownReasons(item).map((r) => make('li', '', describeReason(r, language))),
  );
  const warnings = el('warnings');
  warnings.setAttribute('aria-label', t('warningsTitle', language));
  warnings.replaceChildren(
    ...item.warnings.map((w) => make('li', 'warning', `⚠ ${describeWarning(w, language)}`)),
  );
  const meta: string[] = [clock(item.at, true)];
  if (item.state === 'pending')
    meta.push(t('waitingFor', language, { time: duration(now - item.at, language) }));
  if (item.override !== null) {
    const who =
      item.override.supervisorId === null
        ? item.override.officerId
        : `${item.override.officerId} + ${item.override.supervisorId}`;
    const reason =
      (OVERRIDE_REASONS as Record<string, Record<Language, string>>)[item.override.reason]?.[language] ??
      item.override.reason;
    meta.push(
      `${t('overriddenBy', language, { from: t(item.originalDecision, language), who })} · ${reason}`,
    );
  }
  el('item-meta').textContent = meta.join(' · ');
}

function queueRow(
  item: DeskItem,
  shown: DeskItem | null,
  language: Language,
  now: number,
  onOpen: (scanId: string) => void,
): HTMLLIElement {
  const row = make('li', `queue-item ${item.decision}`);
  const open = make('button', 'queue-open');
  open.type = 'button';
  open.dataset['scanId'] = item.scanId;
  open.setAttribute('aria-current', String(shown?.scanId === item.scanId));
  const health =
    item.healthStatus === null ? '' : ` ${HEALTH_WORDS[item.healthStatus].icon} ${item.healthStatus}`;
  open.append(
    make('span', 'q-shape', SHAPES[item.decision]),
    make('span', 'q-main', `${item.subject?.shown ?? '—'}${health}`),
    make(
      'span',
      'q-time',
      `${clock(item.at, true)} · ${t('waitingFor', language, { time: t('minutes', language, { m: waited(item, now) }) })}`,
    ),
  );
  open.addEventListener('click', () => {
    onOpen(item.scanId);
  });
  row.append(open);
  return row;
}

/** Rows the queue shows (it has room for a few; the count says how many wait in all). */
const QUEUE_ROWS = 20;
let queueKey = '';
let recentKey = '';

/** Minutes waited, the granularity the queue shows (it is re-painted only when this changes). */
const waited = (item: DeskItem, now: number): number => Math.floor((now - item.at) / 60_000);

function renderQueue(
  shown: DeskItem | null,
  language: Language,
  now: number,
  onOpen: (scanId: string) => void,
): void {
  const desk = screen.desk;
  el('queue-title').textContent = `${t('pendingCount', language)} (${desk.pendingCount})`;
  const list = el('queue');
  // Re-built only when something on it changed, so a tap never lands on a node being replaced.
  const key = JSON.stringify([
    language,
    shown?.scanId,
    desk.pendingCount,
    desk.pending.slice(0, QUEUE_ROWS).map((i) => [i.scanId, i.decision, waited(i, now)]),
  ]);
  if (key !== queueKey) {
    queueKey = key;
    list.replaceChildren(
      ...(desk.pending.length === 0
        ? [make('li', 'queue-empty', t('queueEmpty', language))]
        : [
            ...desk.pending.slice(0, QUEUE_ROWS).map((i) => queueRow(i, shown, language, now, onOpen)),
            ...(desk.pendingCount > QUEUE_ROWS
              ? [make('li', 'queue-more', t('moreWaiting', language, { n: desk.pendingCount - QUEUE_ROWS }))]
              : []),
          ]),
    );
  }
  // A new green while others wait: shown here, briefly, never over the pending one.
  const latest = screen.latest;
  const flash = el('latest-green');
  const latestItem = latest === null ? null : desk.recent.find((i) => i.scanId === latest.scanId);
  const showFlash =
    latestItem !== undefined &&
    latestItem !== null &&
    latestItem.state === 'passed' &&
    shown?.scanId !== latestItem.scanId &&
    now - (latest?.shownAt ?? 0) < GREEN_HOLD_MS;
  flash.hidden = !showFlash;
  if (showFlash)
    flash.textContent = `${SHAPES.green} ${t('latestGreen', language)}: ${latestItem.subject?.shown ?? '—'} · ${clock(latestItem.at, true)}`;
}

function renderRecent(shown: DeskItem | null, language: Language, onOpen: (scanId: string) => void): void {
  const strip = el('recent');
  strip.setAttribute('aria-label', t('recent', language));
  const key = JSON.stringify([
    language,
    shown?.scanId,
    screen.desk.recent.map((i) => [i.scanId, i.decision, i.state]),
  ]);
  if (key === recentKey) return;
  recentKey = key;
  strip.replaceChildren(
    ...screen.desk.recent.map((item) => {
      const tile = make('button', `tile ${item.decision} state-${item.state}`);
      tile.type = 'button';
      tile.dataset['scanId'] = item.scanId;
      tile.setAttribute('aria-current', String(shown?.scanId === item.scanId));
      tile.setAttribute(
        'aria-label',
        `${t(item.decision, language)} ${item.subject?.shown ?? ''} ${clock(item.at, true)}`,
      );
      tile.append(
        make('span', 't-shape', SHAPES[item.decision]),
        make('span', 't-subject', item.subject?.shown ?? '—'),
        make('span', 't-time', clock(item.at, true)),
      );
      tile.addEventListener('click', () => {
        onOpen(item.scanId);
      });
      return tile;
    }),
  );
  // The newest scan is on screen now (the latency bench watches this).
  strip.dataset['latest'] = screen.desk.recent[0]?.scanId ?? '';
}

/** Paints the desk: count, main item, queue, strip and the actions that apply to the main item. */
export function renderDesk(onOpen: (scanId: string) => void, now = Date.now()): DeskItem | null {
  const language = screen.language;
  const shown = currentItem(now);
  const count = el('pending-count');
  count.dataset['count'] = String(screen.desk.pendingCount);
  el('pending-number').textContent = String(screen.desk.pendingCount);
  el('pending-label').textContent = t('pendingCount', language);
  renderMain(shown, language, now);
  renderQueue(shown, language, now, onOpen);
  renderRecent(shown, language, onOpen);
  el<HTMLButtonElement>('ack').disabled = shown?.state !== 'pending';
  el<HTMLButtonElement>('override-open').disabled = shown === null;
  return shown;
}
