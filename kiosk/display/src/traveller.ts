import { travellerMessage, type Language } from '@checkpoint-lane/shared';
import { LaneClient, readToken, type LaneMessage } from './lane-client.js';

const SHAPES = { green: '✓', red: '✕', amber: '!' } as const;
const HOLD_MS = 5000;
const READY: Record<Language, string> = { vi: 'Xin mời quét mã', en: 'Please scan your code' };

/**
 * The traveller's screen: only a colour, a shape and a neutral sentence. It receives nothing
 * else from the lane (the agent sends this view the colour alone), so it cannot show who is
 * flagged or why.
 */
function main(): void {
  const panel = document.getElementById('traveller');
  const shape = document.getElementById('shape');
  const message = document.getElementById('message');
  const english = document.getElementById('message-en');
  if (!panel || !shape || !message || !english) return;
  let timer: number | undefined;
  const show = (decision: 'green' | 'red' | 'amber' | null): void => {
    window.clearTimeout(timer);
    panel.className = `traveller ${decision ?? 'ready'}`;
    shape.textContent = decision ? SHAPES[decision] : '';
    message.textContent = decision ? travellerMessage(decision, 'vi') : READY.vi;
    english.textContent = decision ? travellerMessage(decision, 'en') : READY.en;
    if (decision)
      timer = window.setTimeout(() => {
        show(null);
      }, HOLD_MS);
  };
  show(null);
  new LaneClient(readToken(), 'traveller').connect(
    (m: LaneMessage) => {
      const d = (m.data as { decision?: unknown } | undefined)?.decision;
      if (m.type === 'decision' && (d === 'green' || d === 'red' || d === 'amber')) show(d);
    },
    () => undefined,
  );
}

main();
