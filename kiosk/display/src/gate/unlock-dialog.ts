// The hidden corner's dialog (issue 17, gate mode): pick the officer, type their PIN on the PIN
// pad, and the officer panel opens for a minute (`POST /api/gate/unlock`). Wrong PINs count
// toward the officer's lock-out as at the desk. Left alone for 30 s it closes by itself: a totem
// never keeps a PIN pad up for the next traveller.
import type { DeskOfficer, Language } from '@checkpoint-lane/shared';
import { createPinPad, type PinPad } from '../keypads/pin-pad.js';
import type { LaneClient } from '../lane-client.js';
import { button, el, make } from '../officer/dom.js';
import { duration, t } from '../ui-text.js';
import { gateWord } from './gate-words.js';

/** How long the dialog waits for a touch before it closes. */
const IDLE_MS = 30_000;

let client: LaneClient;
let language: () => Language;
let pinPad: PinPad;
let officers: DeskOfficer[] = [];
let chosen: DeskOfficer | null = null;
let sending = false;
let idle: number | undefined;

/** The dialog is on its first step (no officer chosen yet). */
const picking = (): boolean => chosen === null;

const dialog = (): HTMLDialogElement => el<HTMLDialogElement>('gate-unlock');

function armIdle(): void {
  window.clearTimeout(idle);
  idle = window.setTimeout(closeUnlock, IDLE_MS);
}

function setError(text: string): void {
  el('gate-unlock-error').textContent = text;
}

function render(): void {
  const lang = language();
  el('gate-unlock-title').textContent = gateWord('unlockTitle', lang);
  el('gate-unlock-cancel').textContent = t('cancel', lang);
  const backButton = el('gate-unlock-back');
  backButton.textContent = t('back', lang);
  backButton.hidden = chosen === null;
  const body = el('gate-unlock-body');
  if (chosen === null) {
    const now = Date.now();
    const grid = make('div', 'officer-grid');
    if (officers.length === 0) grid.append(make('p', 'empty', t('noOfficers', lang)));
    for (const o of officers) {
      const left = o.lockedUntil === null ? 0 : Math.max(0, o.lockedUntil - now);
      const b = button('officer', '', () => {
        chosen = o;
        setError('');
        render();
      });
      b.dataset['officerId'] = o.id;
      b.disabled = left > 0;
      b.append(make('span', 'o-name', o.name === '' ? o.id : o.name), make('span', 'o-id', o.id));
      if (left > 0) b.append(make('span', 'o-locked', t('lockedFor', lang, { time: duration(left, lang) })));
      grid.append(b);
    }
    body.replaceChildren(make('h3', '', gateWord('unlockPick', lang)), grid);
  } else {
    pinPad.setLanguage(lang);
    pinPad.setLabel(gateWord('unlockPin', lang, { name: chosen.name === '' ? chosen.id : chosen.name }));
    pinPad.setConfirmLabel(gateWord('unlockOpen', lang));
    pinPad.clear();
    body.replaceChildren(pinPad.element);
    pinPad.focus();
  }
}

async function send(pin: string): Promise<void> {
  const who = chosen;
  if (who === null || sending) return;
  sending = true;
  try {
    const res = await client.gateUnlock(who.id, pin);
    const lang = language();
    if (res.ok) {
      closeUnlock();
      return;
    }
    pinPad.clear();
    const refusal = res.body as { error?: string; lockedUntil?: number } | null;
    const error = refusal?.error;
    if (error === 'wrong_pin') setError(t('wrongPin', lang));
    else if (error === 'locked_out') {
      const left = Math.max(0, (refusal?.lockedUntil ?? Date.now()) - Date.now());
      officers = await client.officers();
      // Not this officer's own lock-out: the lane's limit on failed unlocks (every PIN refused).
      const own = officers.find((o) => o.id === who.id)?.lockedUntil ?? null;
      setError(
        own === null
          ? gateWord('laneLockedOut', lang, { time: duration(left, lang) })
          : t('lockedOut', lang, { name: who.name === '' ? who.id : who.name, time: duration(left, lang) }),
      );
      chosen = null;
      render();
    } else if (error === 'unknown_officer') setError(t('unknownOfficer', lang));
    else setError(gateWord('unlockFailed', lang));
  } catch {
    setError(gateWord('unlockFailed', language()));
  } finally {
    sending = false;
  }
}

/** Opens the dialog on the officer picker (the hidden corner was tapped). */
export async function openUnlock(): Promise<void> {
  if (dialog().open) return;
  chosen = null;
  setError('');
  officers = [];
  render();
  dialog().showModal();
  armIdle();
  officers = await client.officers().catch(() => []);
  // Still on the picker (nothing can be picked before the list comes): show the list.
  if (dialog().open && picking()) render();
}

/** Closes the dialog (done, cancelled, idle, or the panel opened by a staff card meanwhile). */
export function closeUnlock(): void {
  window.clearTimeout(idle);
  chosen = null;
  pinPad.clear();
  if (dialog().open) dialog().close();
}

/** Builds the dialog's frame once. */
export function setUpUnlock(laneClient: LaneClient, lang: () => Language): void {
  client = laneClient;
  language = lang;
  pinPad = createPinPad({
    language: lang(),
    confirmLabel: gateWord('unlockOpen', lang()),
    onConfirm: (pin) => void send(pin),
  });
  const title = make('h2');
  title.id = 'gate-unlock-title';
  const body = make('div', 'dialog-body');
  body.id = 'gate-unlock-body';
  const error = make('p', 'error');
  error.id = 'gate-unlock-error';
  error.setAttribute('role', 'alert');
  const cancel = button('', '', closeUnlock);
  cancel.id = 'gate-unlock-cancel';
  const backButton = button('', '', () => {
    chosen = null;
    setError('');
    render();
  });
  backButton.id = 'gate-unlock-back';
  const head = make('div', 'dialog-head');
  const actions = make('div', 'head-actions');
  actions.append(backButton, cancel);
  head.append(title, actions);
  dialog().replaceChildren(head, body, error);
  dialog().addEventListener('pointerdown', armIdle);
  dialog().addEventListener('keydown', armIdle);
  dialog().addEventListener('close', () => {
    window.clearTimeout(idle);
    chosen = null;
  });
}
