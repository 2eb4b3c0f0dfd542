// The admin event stream (`/api/v1/admin/events`, cookie-authenticated SSE): one EventSource
// for the whole app, handed out to the pages as a small publish/subscribe.
import type { AdminEventName } from '@checkpoint-lane/shared';
import { sessionEnded } from './api.js';
import { currentSession } from './session.js';

/** The event names the console listens to: every event of the admin stream (the admin contract). */
export type LiveEventName = AdminEventName;

/** One event: its name and parsed data (null when it was not JSON). */
export interface LiveEvent {
  name: LiveEventName;
  data: unknown;
}

type Listener = (e: LiveEvent) => void;
// A record keyed by the contract's names, so a new event without a listener does not compile
// (a type-only import: the console bundle carries no schema code).
const LISTENED: Record<AdminEventName, true> = {
  hello: true,
  alert: true,
  'alert-ack': true,
  'kiosk-status': true,
  'list-version': true,
  officers: true,
  gate: true,
};
const NAMES = Object.keys(LISTENED) as LiveEventName[];

let source: EventSource | null = null;
const listeners = new Set<Listener>();
const stateListeners = new Set<(connected: boolean) => void>();
let connected = false;

function setConnected(c: boolean): void {
  if (c === connected) return;
  connected = c;
  for (const l of stateListeners) l(c);
}

/** Opens the stream (once); the browser reconnects it by itself after a drop. */
export function startLive(url = '/api/v1/admin/events'): void {
  if (source) return;
  source = new EventSource(url, { withCredentials: true });
  source.onopen = () => {
    setConnected(true);
  };
  source.onerror = () => {
    setConnected(false);
    // The browser retries a dropped stream by itself, but gives up on an HTTP error (the
    // server closes a console's stream when its session ends). Ask whether the session is
    // still there: if not, the console goes to sign-in; otherwise open the stream again.
    if (source?.readyState === EventSource.CLOSED) {
      source = null;
      void currentSession().then(
        (session) => {
          if (session === null) {
            sessionEnded();
            return;
          }
          setTimeout(() => {
            startLive(url);
          }, 3_000);
        },
        () => undefined,
      );
    }
  };
  for (const name of NAMES) {
    source.addEventListener(name, (ev: MessageEvent<string>) => {
      let data: unknown = null;
      try {
        data = JSON.parse(ev.data) as unknown;
      } catch {
        data = null;
      }
      setConnected(true);
      for (const l of [...listeners]) l({ name, data });
    });
  }
}

/** Closes the stream (sign-out). */
export function stopLive(): void {
  source?.close();
  source = null;
  setConnected(false);
}

/** Calls `listener` on every event; returns the unsubscribe. */
export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Calls `listener` when the stream connects or drops; returns the unsubscribe. */
export function subscribeState(listener: (connected: boolean) => void): () => void {
  stateListeners.add(listener);
  listener(connected);
  return () => stateListeners.delete(listener);
}
