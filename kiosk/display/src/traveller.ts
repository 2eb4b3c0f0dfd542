import {
  travellerMessage,
  type Language,
  type TravellerMessage,
  type TravellerView,
} from '@checkpoint-lane/shared';
import { LaneClient } from './lane-client.js';

const HOLD_MS = 5000;
const READY: Record<Language, string> = { vi: 'Xin mời quét mã', en: 'Please scan your code' };
const OUT_OF_SERVICE: Record<Language, string> = { vi: 'Làn tạm ngừng', en: 'Lane closed' };

/**
 * The traveller's screen: driven by the agent's `traveller` events alone ("go", "see an
 * officer", nothing else reaches this view). Red and amber look exactly the same (one colour,
 * one shape, "Vui lòng gặp cán bộ"), so the queue never learns who is flagged; an override to
 * green shows "Mời qua".
 */
function main(): void {
  const panel = document.getElementById('traveller');
  const shape = document.getElementById('shape');
  const message = document.getElementById('message');
  const english = document.getElementById('message-en');
  if (!panel || !shape || !message || !english) return;
  let timer: number | undefined;
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
  show('ready');
  new LaneClient('traveller').connect(
    (m: TravellerMessage) => {
      switch (m.type) {
        case 'traveller':
          show(m.data.state);
          return;
        case 'hello':
        case 'gate':
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
      show(up ? 'ready' : 'closed');
    },
  );
}

main();
