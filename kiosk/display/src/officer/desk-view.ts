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
import { clock, HEALTH_WORDS, OVERRIDE_REASON_WORDS, t, waitedWords } from '../ui-text.js';
import { el, make } from './dom.js';
import { inputStates } from './lane-state-view.js';
import { renderPass } from './pass-view.js';
import { currentItem, GREEN_HOLD_MS, officerName, screen } from './screen-state.js';

/** The shape of each colour: colour is never the only sign. */
export const SHAPES = { green: '✓', red: '✕', amber: '!' } as const;

/** Reasons worth showing: "Không có cảnh báo" (not flagged) never stands beside warnings. */
function shownReasons(item: DeskItem): ReasonCode[] {
  return item.reasons.filter((r) => !(r === 'not_flagged' && item.warnings.length > 0));
}

/** Codes the lane could not read at all (no subject because nothing made sense). */
const UNREADABLE: readonly ReasonCode[] = [
  'payload_empty',
  'payload_too_long',
  'payload_unknown_format',
  'payload_field_invalid',
];

/** What stands for a scan with no subject: why there is none, in words (never a bare "—"). */
function noSubjectWords(item: DeskItem, language: Language): string {
  if (item.restored === true) return t('restored', language);
  return t(item.reasons.some((r) => UNREADABLE.includes(r)) ? 'unreadable' : 'noSubject', language);
}

function subjectText(item: DeskItem, language: Language): string {
  return item.subject !== null ? item.subject.shown : noSubjectWords(item, language);
}

/** A scan's subject with its kind first ("CCCD ••••••••4567", "BKS 51F-123.45"), or why there is none. */
export function subjectLabel(item: DeskItem, language: Language): string {
  if (item.subject === null)
    return item.restored === true ? t('noSubject', language) : noSubjectWords(item, language);
  return `${t(`kind_${item.subject.kind}`, language)} ${item.subject.shown}`;
}

/** "Đã đổi KIỂM TRA → ĐƯỢC QUA · Lan · Đã kiểm tra giấy tờ" for an overridden item, else null. */
export function overrideSummary(item: DeskItem, language: Language): string | null {
  if (item.override === null) return null;
  const o = item.override;
  const who =
    o.supervisorId === null
      ? officerName(o.officerId)
      : `${officerName(o.officerId)} + ${officerName(o.supervisorId)}`;
  const reason =
    (OVERRIDE_REASON_WORDS as Partial<Record<string, Record<Language, string>>>)[o.reason]?.[language] ??
    o.reason;
  return t('overriddenBy', language, {
    from: t(item.originalDecision, language),
    to: t(item.decision, language),
    who,
    reason,
  });
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
    renderPass(null, language);
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
    el('override-trace').hidden = true;
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
  renderPass(item, language);
  el('reasons').replaceChildren(
    ...shownReasons(item).map((r) => make('li', '', describeReason(r, language))),
  );
  const warnings = el('warnings');
  warnings.setAttribute('aria-label', t('warningsTitle', language));
  warnings.replaceChildren(
    ...item.warnings.map((w) => make('li', 'warning', `⚠ ${describeWarning(w, language)}`)),
  );
  const meta: string[] = [t('scannedAt', language, { time: clock(item.at, true) })];
  if (item.state === 'pending')
    meta.push(t('waitingFor', language, { time: waitedWords(now - item.at, language) }));
  el('item-meta').textContent = meta.join(' · ');
  const trace = el('override-trace');
  const summary = overrideSummary(item, language);
  trace.hidden = summary === null;
  trace.textContent = summary ?? '';
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
    make('span', 'q-main', `${subjectLabel(item, language)}${health}`),
    make(
      'span',
      'q-time',
      `${clock(item.at, true)} · ${t('waitingFor', language, { time: waitedWords(now - item.at, language) })}`,
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
    flash.textContent = `${SHAPES.green} ${t('latestGreen', language)}: ${subjectLabel(latestItem, language)} · ${clock(latestItem.at, true)}`;
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
        `${t(item.decision, language)} ${subjectLabel(item, language)} ${clock(item.at, true)}`,
      );
      tile.append(
        make('span', 't-shape', SHAPES[item.decision]),
        make('span', 't-subject', subjectLabel(item, language)),
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
  showHiddenTiles();
}

/** "+N" at the strip's right edge while N tiles lie beyond it (scroll to see them). */
function showHiddenTiles(): void {
  const strip = el('recent');
  const right = strip.getBoundingClientRect().right;
  let beyond = 0;
  for (const tile of strip.children) if (tile.getBoundingClientRect().right > right + 1) beyond++;
  const more = el('recent-more');
  more.hidden = beyond === 0;
  more.textContent = `+${beyond} ›`;
}

/** Keeps the strip's "+N" right while the officer scrolls it. */
export function watchRecentStrip(): void {
  el('recent').addEventListener('scroll', showHiddenTiles, { passive: true });
  window.addEventListener('resize', showHiddenTiles);
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
