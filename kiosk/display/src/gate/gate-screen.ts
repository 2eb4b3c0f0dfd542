// The officer page in gate mode (issue 17): while the officer panel is locked the page is the
// gate screen of an unattended lane — huge state words, the camera's view with a guide frame,
// a countdown while the gate is open, "Vui lòng gặp nhân viên" for every non-green, "Làn tạm
// ngừng" on a fault or a lost agent — and no officer action. The hidden corner (top-left
// 96×96 px: 3 taps within 2 s, or a 1.5 s press) opens the unlock dialog; unlocked, the page is
// the normal desk with a countdown and "Khoá" in the top bar, until the agent locks it again.
import type { DecisionColour, GateView, Language } from '@checkpoint-lane/shared';
import { cameraPreview } from '../camera/officer-camera.js';
import type { LaneClient } from '../lane-client.js';
import { el } from '../officer/dom.js';
import { officerName } from '../officer/screen-state.js';
import { CornerTaps, gateShown, type HeardDecision } from './gate-state.js';
import { GATE_SHAPES, gateLine, gateWord } from './gate-words.js';
import { closeUnlock, openUnlock, setUpUnlock } from './unlock-dialog.js';

/** Remembers gate mode across reloads, so a totem whose agent is gone still shows "Làn tạm ngừng". */
const REMEMBER = 'lane-gate-mode';

/** What the page knows of its gate. */
export const gate = {
  view: null as GateView | null,
  latest: null as HeardDecision | null,
  openSeenAt: null as number | null,
  badCardAt: null as number | null,
  /** A hello came and no gate message yet (a lane with no gate sends none). */
  awaitingGate: false,
  remembered: localStorage.getItem(REMEMBER) === '1',
};

/** Gate mode off, or on with the panel locked or unlocked. */
export type GateMode = 'off' | 'locked' | 'unlocked';

/** Where the page stands. */
export function gateMode(): GateMode {
  const view = gate.view;
  if (view === null) return gate.remembered ? 'locked' : 'off';
  if (!view.unattended) return 'off';
  return view.unlock === null ? 'locked' : 'unlocked';
}

/** A `gate` message: the view as it is now. */
export function takeGate(view: GateView): void {
  const before = gateMode();
  const previous = gate.view;
  // A staff card the lane refused, whichever scanner read it (a serial or HID scanner too): shown
  // briefly when it changes — not for one refused before this page heard of the gate.
  const refusedAt = view.cardRefusedAt ?? null;
  if (previous !== null && refusedAt !== null && refusedAt !== (previous.cardRefusedAt ?? null))
    gate.badCardAt = Date.now();
  gate.view = view;
  gate.awaitingGate = false;
  if (view.state === 'open') gate.openSeenAt = Date.now();
  gate.remembered = view.unattended;
  if (view.unattended) localStorage.setItem(REMEMBER, '1');
  else localStorage.removeItem(REMEMBER);
  const after = gateMode();
  if (after !== 'locked') closeUnlock();
  if (before === 'unlocked' && after === 'locked')
    // Whatever the officer had open goes with the panel: the next person sees the gate screen.
    for (const d of document.querySelectorAll<HTMLDialogElement>('dialog[open]')) d.close();
}

/** The officer `hello`: a lane with a gate follows it with a `gate` message at once. */
export function helloHeard(): void {
  gate.awaitingGate = true;
}

/** A tick: a hello with no gate message before it means the lane has no gate. */
export function tickHeard(): void {
  if (!gate.awaitingGate) return;
  gate.awaitingGate = false;
  gate.view = null;
  gate.remembered = false;
  localStorage.removeItem(REMEMBER);
}

/** A decision the lane announced (for the gate screen's hold). */
export function decisionHeard(colour: DecisionColour): void {
  gate.latest = { colour, at: Date.now() };
}

/**
 * A staff card read by this screen (camera or wedge) was sent: the agent answers 403
 * `staff_card_invalid` for a bad one, and the gate screen says so briefly (a valid one opens the
 * panel: the gate message follows).
 */
export function staffCardSent(sent: Promise<{ ok: boolean; status: number; body: unknown }>): void {
  sent.then(
    (reply) => {
      const error = (reply.body as { error?: unknown } | null)?.error;
      if (!reply.ok && reply.status === 403 && error === 'staff_card_invalid') {
        gate.badCardAt = Date.now();
        renderGate();
      }
    },
    () => undefined,
  );
}

let previewMounted = false;

/** The camera's video inside the gate screen's frame, with the guide on the profile's region. */
function renderCamera(showIt: boolean): boolean {
  const preview = cameraPreview();
  const box = el('gate-camera');
  if (preview === null || !showIt) {
    box.hidden = true;
    return false;
  }
  if (!previewMounted) {
    const s = preview.settings;
    box.style.setProperty('--ar', String(s.width / s.height));
    const mirrored = s.facingMode === 'user';
    box.classList.toggle('mirrored', mirrored);
    const guide = el('gate-guide');
    const x = mirrored ? 1 - s.roi.x - s.roi.width : s.roi.x;
    guide.style.left = `${x * 100}%`;
    guide.style.top = `${s.roi.y * 100}%`;
    guide.style.width = `${s.roi.width * 100}%`;
    guide.style.height = `${s.roi.height * 100}%`;
    box.prepend(preview.video);
    previewMounted = true;
  }
  preview.video.hidden = false;
  box.hidden = false;
  box.dataset['camera'] = preview.state;
  return true;
}

/** Paints the gate screen, or the unlocked panel's countdown (every event and every 250 ms). */
export function renderGate(alive = true, language: Language = 'vi', now = Date.now()): void {
  const mode = gateMode();
  document.body.dataset['gate'] = mode;
  el('gate').hidden = mode !== 'locked';
  el('gate-corner').hidden = mode !== 'locked';
  const bar = el('gate-bar');
  bar.hidden = mode !== 'unlocked';
  const unlock = gate.view?.unlock ?? null;
  if (mode === 'unlocked' && unlock !== null) {
    const seconds = Math.max(0, Math.ceil((unlock.until - now) / 1000));
    el('gate-left').textContent = gateWord('unlockedLeft', language, {
      name: officerName(unlock.officerId),
      s: seconds,
    });
    el('gate-lock').textContent = gateWord('lock', language);
  }
  if (mode !== 'locked') return;
  const { show, seconds } = gateShown({
    view: gate.view,
    alive,
    latest: gate.latest,
    openSeenAt: gate.openSeenAt,
    badCardAt: gate.badCardAt,
    now,
  });
  const screen = el('gate');
  screen.className = `gate-screen ${show.replace('_', '-')}`;
  screen.dataset['state'] = show;
  const withCamera = renderCamera(show === 'ready');
  screen.classList.toggle('with-camera', withCamera);
  el('gate-shape').textContent = GATE_SHAPES[show];
  el('gate-word').textContent = gateLine(show, seconds, 'vi');
  el('gate-sub').textContent = gateLine(show, seconds, 'en');
  const hint = el('gate-hint');
  hint.hidden = !withCamera;
  el('gate-hint-vi').textContent = gateWord('cameraHint', 'vi');
  el('gate-hint-en').textContent = gateWord('cameraHint', 'en');
}

/** The hidden corner: 3 taps within 2 s, or a press held 1.5 s. */
function setUpCorner(): void {
  const corner = el('gate-corner');
  const taps = new CornerTaps();
  let press: number | undefined;
  const open = (): void => {
    window.clearTimeout(press);
    taps.reset();
    if (gateMode() === 'locked') void openUnlock();
  };
  corner.addEventListener('pointerdown', (event) => {
    event.preventDefault();
    window.clearTimeout(press);
    if (taps.tap(event.timeStamp)) {
      open();
      return;
    }
    press = window.setTimeout(open, CornerTaps.LONG_PRESS_MS);
  });
  for (const type of ['pointerup', 'pointercancel', 'pointerleave'] as const)
    corner.addEventListener(type, () => {
      window.clearTimeout(press);
    });
  corner.addEventListener('contextmenu', (event) => {
    event.preventDefault();
  });
}

/** Wires the corner, the unlock dialog and "Khoá". */
export function setUpGate(client: LaneClient, language: () => Language): void {
  setUpUnlock(client, language);
  setUpCorner();
  el('gate-lock').addEventListener('click', () => {
    void client.gateLock().catch(() => undefined);
  });
}
