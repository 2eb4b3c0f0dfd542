import {
  travellerMessage,
  type GateView,
  type Language,
  type TravellerMessage,
  type TravellerView,
} from '@checkpoint-lane/shared';
import { gateShown, type GateShow, type HeardDecision } from './gate/gate-state.js';
import { GATE_SHAPES, gateLine } from './gate/gate-words.js';
import { LaneClient } from './lane-client.js';

const HOLD_MS = 5000;
const READY: Record<Language, string> = { vi: 'Xin mời quét mã', en: 'Please scan your code' };
const OUT_OF_SERVICE: Record<Language, string> = { vi: 'Làn tạm ngừng', en: 'Lane closed' };

/** The panel's class of each gate state (the traveller page's colours). */
const GATE_CLASSES: Readonly<Record<GateShow, string>> = {
  ready: 'ready',
  go: 'go',
  see_staff: 'see-officer',
  closed: 'closed',
  bad_card: 'see-officer',
};

/**
 * The traveller's screen: driven by the agent's `traveller` events ("go", "see an officer",
 * nothing else reaches this view) and, at an unattended lane (gate mode), by the gate: its
 * countdown while open ("Mời qua — 4"), "Vui lòng gặp nhân viên" (staff, as no officer stands
 * there) and "Làn tạm ngừng" on a fault. Red and amber look exactly the same (one colour, one
 * shape, one sentence), so the queue never learns who is flagged; an override to green shows
 * "Mời qua".
 */
function main(): void {
  const panel = document.getElementById('traveller');
  const shape = document.getElementById('shape');
  const message = document.getElementById('message');
  const english = document.getElementById('message-en');
  if (!panel || !shape || !message || !english) return;
  let timer: number | undefined;
  let linkUp = false;
  let gate: GateView | null = null;
  let latest: HeardDecision | null = null;
  let openSeenAt: number | null = null;

  const show = (state: TravellerView['state'] | 'closed'): void => {
    window.clearTimeout(timer);
    panel.className = `traveller ${state === 'go' ? 'go' : state === 'see_officer' ? 'see-officer' : state}`;
    panel.dataset['state'] = state;
    // One shape for every non-green: red and amber must look the same here.
    shape.textContent = state === 'go' ? '✓' : state === 'see_officer' ? '!' : '';
    const words = (language: Language): string =>
      state === 'go'
        ? travellerMessage('green', language)
        : state === 'see_officer'
          ? travellerMessage('amber', language)
          : state === 'closed'
            ? OUT_OF_SERVICE[language]
            : READY[language];
    message.textContent = words('vi');
    english.textContent = words('en');
    if (state === 'go' || state === 'see_officer')
      timer = window.setTimeout(() => {
        show('ready');
      }, HOLD_MS);
  };

  /** Gate mode: the gate's state, painted again every 250 ms for the countdown. */
  const showGate = (): void => {
    if (gate === null) return;
    const { show: state, seconds } = gateShown({
      view: gate,
      alive: linkUp,
      latest,
      openSeenAt,
      badCardAt: null,
      now: Date.now(),
    });
    panel.className = `traveller gate ${GATE_CLASSES[state]}`;
    panel.dataset['state'] = state;
    shape.textContent = GATE_SHAPES[state];
    message.textContent = gateLine(state, seconds, 'vi');
    english.textContent = gateLine(state, seconds, 'en');
  };
  const unattended = (): boolean => gate?.unattended === true;

  show('ready');
  window.setInterval(() => {
    if (unattended()) showGate();
  }, 250);
  new LaneClient('traveller').connect(
    (m: TravellerMessage) => {
      switch (m.type) {
        case 'traveller':
          latest = { colour: m.data.state === 'go' ? 'green' : 'amber', at: Date.now() };
          if (unattended()) showGate();
          else show(m.data.state);
          return;
        case 'gate':
          gate = m.data;
          if (gate.state === 'open') openSeenAt = Date.now();
          if (unattended()) {
            window.clearTimeout(timer);
            showGate();
          }
          return;
        case 'hello':
          return;
        default: {
          // A message type this screen does not know (a newer agent): nothing to show.
          const unknown: never = m;
          return unknown;
        }
      }
    },
    // A screen that lost its lane never invites anyone to scan.
    (up) => {
      linkUp = up;
      if (unattended()) showGate();
      else show(up ? 'ready' : 'closed');
    },
  );
}

main();
