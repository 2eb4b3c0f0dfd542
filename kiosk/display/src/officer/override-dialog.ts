// "Thay đổi kết quả": a touch-only dialog bound to ONE scan (its id is captured when it opens,
// so scans arriving meanwhile never change its target). Steps: new decision and reason → a note
// on the on-screen keyboard when the reason is "Khác" → the officer (picked from the lane's
// roster; a locked one shows the time left) → that officer's PIN on the PIN pad → for a health
// red turned green, a supervisor and their PIN. "Xác nhận" is the last PIN pad's Enter key.
// Over ~350 lines on purpose: one dialog, its five steps share one draft and one render; split
// by step, every file would need the whole draft state.
import {
  OVERRIDE_REASONS,
  type DecisionColour,
  type DeskItem,
  type DeskOfficer,
  type Language,
  type OverrideReasonCode,
} from '@checkpoint-lane/shared';
import { createNoteKeyboard, type NoteKeyboard } from '../keypads/note-keyboard.js';
import { createPinPad, type PinPad } from '../keypads/pin-pad.js';
import type { LaneClient } from '../lane-client.js';
import { clock, duration, OVERRIDE_REASON_WORDS, t } from '../ui-text.js';
import { overrideSummary, SHAPES, subjectLabel } from './desk-view.js';
import { button, el, hideToast, make, toast } from './dom.js';
import { findItem, screen } from './screen-state.js';

type Step = 'reason' | 'note' | 'officer' | 'pin' | 'supervisor' | 'supervisor-pin';

interface Draft {
  readonly scanId: string;
  readonly item: DeskItem;
  decision: DecisionColour | null;
  reason: OverrideReasonCode | null;
  note: string;
  officer: DeskOfficer | null;
  officerPin: string;
  supervisor: DeskOfficer | null;
  step: Step;
  /** Another screen handled the scan meanwhile: what it is now (the dialog then only closes). */
  handled: string | null;
}

let draft: Draft | null = null;
let officers: DeskOfficer[] = [];
let client: LaneClient;
let pinPad: PinPad;
let noteKeyboard: NoteKeyboard;
let sending = false;
/** How many times the dialog was opened (a new draft never reuses the last one's buttons). */
let opened = 0;

const dialog = (): HTMLDialogElement => el<HTMLDialogElement>('override');

/** A health red turned green needs a second officer, a supervisor. */
function needsSupervisor(d: Draft): boolean {
  return d.item.reasons.includes('health_blocked') && d.decision === 'green';
}

function setError(text: string): void {
  el('override-error').textContent = text;
}

function go(step: Step): void {
  if (draft === null) return;
  draft.step = step;
  setError('');
  render();
}

function lockLeft(o: DeskOfficer, now: number): number {
  return o.lockedUntil === null ? 0 : Math.max(0, o.lockedUntil - now);
}

function officerButtons(role: 'any' | 'supervisor', language: Language): HTMLElement {
  const now = Date.now();
  const grid = make('div', 'officer-grid');
  const list = officers.filter(
    (o) => (role === 'any' || o.role === 'supervisor') && (role === 'any' || o.id !== draft?.officer?.id),
  );
  if (list.length === 0) grid.append(make('p', 'empty', t('noOfficers', language)));
  for (const o of list) {
    const left = lockLeft(o, now);
    const b = button('officer', '', () => {
      if (draft === null) return;
      if (role === 'any') {
        draft.officer = o;
        go('pin');
      } else {
        draft.supervisor = o;
        go('supervisor-pin');
      }
    });
    b.dataset['officerId'] = o.id;
    b.disabled = left > 0;
    b.append(make('span', 'o-name', o.name === '' ? o.id : o.name), make('span', 'o-id', o.id));
    if (left > 0)
      b.append(make('span', 'o-locked', t('lockedFor', language, { time: duration(left, language) })));
    grid.append(b);
  }
  return grid;
}

function reasonStep(d: Draft, language: Language): HTMLElement {
  const box = make('div', 'step step-reason');
  const decisions = make('div', 'choices');
  decisions.setAttribute('role', 'radiogroup');
  decisions.setAttribute('aria-label', t('newDecision', language));
  for (const colour of ['green', 'amber', 'red'] as const) {
    const b = button(`choice ${colour}`, `${SHAPES[colour]} ${t(colour, language)}`, () => {
      d.decision = colour;
      render();
    });
    b.setAttribute('role', 'radio');
    b.setAttribute('aria-checked', String(d.decision === colour));
    b.disabled = colour === d.item.decision;
    decisions.append(b);
  }
  const reasons = make('div', 'chips');
  reasons.setAttribute('role', 'radiogroup');
  reasons.setAttribute('aria-label', t('reason', language));
  for (const code of OVERRIDE_REASONS) {
    const chip = button('chip', OVERRIDE_REASON_WORDS[code][language], () => {
      d.reason = code;
      render();
    });
    chip.setAttribute('role', 'radio');
    chip.setAttribute('aria-checked', String(d.reason === code));
    reasons.append(chip);
  }
  box.append(
    make('h3', '', t('newDecision', language)),
    decisions,
    make('h3', '', t('reason', language)),
    reasons,
  );
  if (d.reason === 'other' && d.note !== '')
    box.append(make('p', 'note-preview', `${t('note', language)}: ${d.note}`));
  return box;
}

/** The scan as it is now, if it changed since the dialog opened (handled on another screen). */
function changedElsewhere(d: Draft): DeskItem | null {
  const now = findItem(d.scanId);
  if (now === null) return null;
  const changed =
    now.state !== d.item.state ||
    now.decision !== d.item.decision ||
    JSON.stringify(now.override) !== JSON.stringify(d.item.override);
  return changed ? now : null;
}

/** Shows that another screen handled the scan: its result now and who, the PIN forgotten, one "Đóng". */
function showHandled(d: Draft, item: DeskItem): void {
  const language = screen.language;
  const result = [
    `${SHAPES[item.decision]} ${t(item.decision, language)}`,
    overrideSummary(item, language) ?? t(`state_${item.state}`, language),
  ].join(' · ');
  d.handled = t('handledElsewhere', language, { result });
  d.officerPin = '';
  pinPad.clear();
  render();
}

function renderHeader(d: Draft, language: Language): void {
  const item = findItem(d.scanId) ?? d.item;
  el('override-for').dataset['decision'] = item.decision;
  el('override-for').dataset['state'] = item.state;
  el('override-for').textContent = `${SHAPES[item.decision]} ${t(item.decision, language)} · ${t(
    'overrideFor',
    language,
    {
      time: clock(item.at, true),
      subject: subjectLabel(item, language),
    },
  )}${item.state === 'pending' ? '' : ` · ${t(`state_${item.state}`, language)}`}`;
}

function render(): void {
  const d = draft;
  if (d === null) return;
  const language = screen.language;
  el('override-title').textContent = t('override', language);
  renderHeader(d, language);
  const body = el('override-body');
  const cancel = el('override-cancel');
  cancel.textContent = t(d.handled === null ? 'cancel' : 'close', language);
  if (d.handled !== null) {
    el('override-foot').hidden = true;
    el<HTMLButtonElement>('override-back').hidden = true;
    body.replaceChildren();
    body.dataset['key'] = '';
    setError(d.handled);
    return;
  }
  const next = el<HTMLButtonElement>('override-next');
  el('override-foot').hidden = d.step !== 'reason';
  next.disabled = d.decision === null || d.reason === null;
  el<HTMLButtonElement>('override-back').hidden = d.step === 'reason';
  const key = JSON.stringify([opened, d.step, language, d.decision, d.reason, d.note]);
  // Not rebuilt under the officer's finger when nothing on it changed (it is re-painted each second).
  if (d.step === 'reason') {
    if (body.dataset['key'] !== key) body.replaceChildren(reasonStep(d, language));
    body.dataset['key'] = key;
    return;
  }
  body.dataset['key'] = '';
  if (d.step === 'note') {
    noteKeyboard.setValue(d.note);
    body.replaceChildren(noteKeyboard.element);
    noteKeyboard.focus();
  } else if (d.step === 'officer' || d.step === 'supervisor') {
    body.replaceChildren(
      make('h3', '', t(d.step === 'officer' ? 'pickOfficer' : 'pickSupervisor', language)),
      officerButtons(d.step === 'officer' ? 'any' : 'supervisor', language),
    );
  } else {
    const who = d.step === 'pin' ? d.officer : d.supervisor;
    pinPad.clear();
    pinPad.setLabel(t('officerPin', language, { name: who?.name || who?.id || '' }));
    // "Xác nhận" is the Enter of the last PIN asked; before a supervisor's it only goes on.
    pinPad.setConfirmLabel(t(d.step === 'pin' && needsSupervisor(d) ? 'next' : 'confirm', language));
    body.replaceChildren(pinPad.element);
    pinPad.focus();
  }
}

async function refreshOfficers(): Promise<void> {
  officers = await client.officers();
  render();
}

async function send(d: Draft, supervisorPin: string | undefined): Promise<void> {
  if (sending || d.officer === null || d.decision === null || d.reason === null) return;
  // Handled on another screen since this dialog opened: nothing is sent.
  const changed = changedElsewhere(d);
  if (changed !== null) {
    showHandled(d, changed);
    return;
  }
  sending = true;
  const language = screen.language;
  // An earlier refusal is not this attempt's answer.
  setError('');
  try {
    const res = await client.override(d.scanId, {
      decision: d.decision,
      officerId: d.officer.id,
      officerPin: d.officerPin,
      reason: d.reason,
      ...(d.note === '' ? {} : { note: d.note }),
      ...(d.supervisor !== null && supervisorPin !== undefined
        ? { supervisorId: d.supervisor.id, supervisorPin }
        : {}),
    });
    if (draft !== d) return;
    const after = changedElsewhere(d);
    if (!res.ok && after !== null) {
      showHandled(d, after);
      return;
    }
    if (res.ok) {
      // Handled: the main panel goes back to what waits next.
      if (screen.selected === d.scanId) screen.selected = null;
      closeOverride();
      toast(t('overridden', language));
      return;
    }
    // The override's own refusal (a lock-out says whose and until when) or a plain {error, message}.
    const refused: {
      readonly error?: string;
      readonly officerId?: string;
      readonly lockedUntil?: number;
    } | null = res.body;
    const error = refused?.error ?? '';
    if (error === 'locked_out') {
      const who = officers.find((o) => o.id === refused?.officerId);
      const left = Math.max(0, (refused?.lockedUntil ?? Date.now()) - Date.now());
      await refreshOfficers();
      go(refused?.officerId === d.supervisor?.id ? 'supervisor' : 'officer');
      setError(
        t('lockedOut', language, {
          name: who?.name ?? refused?.officerId ?? '',
          time: duration(left, language),
        }),
      );
    } else if (error === 'wrong_pin') {
      await refreshOfficers();
      go(d.step === 'supervisor-pin' ? 'supervisor-pin' : 'pin');
      setError(t('wrongPin', language));
    } else if (error === 'needs_supervisor') {
      go('supervisor');
      setError(t('needsSupervisor', language));
    } else {
      const key =
        error === 'not_supervisor'
          ? 'notSupervisor'
          : error === 'supervisor_same_officer'
            ? 'sameOfficer'
            : error === 'same_decision'
              ? 'sameDecision'
              : error === 'unknown_scan'
                ? 'unknownScan'
                : error === 'unknown_officer'
                  ? 'unknownOfficer'
                  : error === 'invalid_request'
                    ? 'noteRequired'
                    : 'failed';
      setError(t(key, language));
      if (error === 'invalid_request') go('note');
    }
  } catch {
    setError(t('failed', language));
  } finally {
    sending = false;
  }
}

function onPin(pin: string): void {
  const d = draft;
  if (d === null) return;
  if (d.step === 'pin') {
    d.officerPin = pin;
    if (needsSupervisor(d)) go('supervisor');
    else void send(d, undefined);
  } else if (d.step === 'supervisor-pin') {
    void send(d, pin);
  }
}

function back(): void {
  const d = draft;
  if (d === null) return;
  const order: Step[] = [
    'reason',
    ...(d.reason === 'other' ? (['note'] as const) : []),
    'officer',
    'pin',
    'supervisor',
    'supervisor-pin',
  ];
  const i = order.indexOf(d.step);
  go(order[Math.max(0, i - 1)] ?? 'reason');
}

/** Closes the dialog and forgets its draft (PINs included). */
export function closeOverride(): void {
  draft = null;
  pinPad.clear();
  if (dialog().open) dialog().close();
}

/** Opens the dialog on one scan; everything it does is bound to that scan's id. */
export function openOverride(item: DeskItem): void {
  const language = screen.language;
  opened++;
  draft = {
    scanId: item.scanId,
    item,
    decision: item.decision === 'green' ? null : 'green',
    reason: null,
    note: '',
    officer: null,
    officerPin: '',
    supervisor: null,
    step: 'reason',
    handled: null,
  };
  noteKeyboard.setLanguage(language);
  pinPad.setLanguage(language);
  render();
  hideToast();
  dialog().showModal();
  void refreshOfficers();
}

/** Re-paints the dialog (the desk changed: its scan may have been handled elsewhere; a lock ticked). */
export function refreshOverride(): void {
  if (
    draft !== null &&
    (draft.handled !== null ||
      draft.step === 'officer' ||
      draft.step === 'supervisor' ||
      draft.step === 'reason')
  )
    render();
  // A PIN pad or the keyboard is not rebuilt under the officer's fingers; the header follows the scan.
  else if (draft !== null) renderHeader(draft, screen.language);
}

/** Builds the dialog's frame once. */
export function setUpOverride(laneClient: LaneClient): void {
  client = laneClient;
  const language = screen.language;
  pinPad = createPinPad({ language, confirmLabel: t('confirm', language), onConfirm: onPin });
  noteKeyboard = createNoteKeyboard({
    language,
    label: t('note', language),
    // No quick phrases: the reason chips are the quick answers; the keyboard then fits 1024×600.
    phrases: [],
    doneLabel: t('next', language),
    onDone: (text) => {
      if (draft === null) return;
      if (text.trim() === '') {
        noteKeyboard.setMessage(t('noteRequired', screen.language));
        return;
      }
      draft.note = text.trim();
      go('officer');
    },
  });
  const title = make('h2', '', t('override', language));
  title.id = 'override-title';
  const forWhat = make('p', 'dialog-for');
  forWhat.id = 'override-for';
  const body = make('div', 'dialog-body');
  body.id = 'override-body';
  const error = make('p', 'error');
  error.id = 'override-error';
  error.setAttribute('role', 'alert');
  const cancel = button('', t('cancel', language), closeOverride);
  cancel.id = 'override-cancel';
  const backButton = button('', t('back', language), back);
  backButton.id = 'override-back';
  const next = button('primary', t('next', language), () => {
    if (draft === null || draft.decision === null || draft.reason === null) return;
    go(draft.reason === 'other' ? 'note' : 'officer');
  });
  next.id = 'override-next';
  // Cancel and back sit beside the title, so the tallest step (the note keyboard) still fits.
  const head = make('div', 'dialog-head');
  const heading = make('div', 'dialog-heading');
  heading.append(title, forWhat);
  const headActions = make('div', 'head-actions');
  headActions.append(backButton, cancel);
  head.append(heading, headActions);
  const footer = make('div', 'row end');
  footer.id = 'override-foot';
  footer.append(next);
  dialog().replaceChildren(head, body, error, footer);
  dialog().addEventListener('close', () => {
    draft = null;
  });
}

/** Words of the dialog's frame in the current language. */
export function relabelOverride(): void {
  const language = screen.language;
  el('override-cancel').textContent = t(draft?.handled == null ? 'cancel' : 'close', language);
  el('override-back').textContent = t('back', language);
  el('override-next').textContent = t('next', language);
  render();
}
