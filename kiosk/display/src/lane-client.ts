import {
  displayActionPath,
  type DeskOfficer,
  type DisplayActionName,
  type DisplayActionRequest,
  type DisplayMessage,
  type DisplayReply,
  type DisplaySource,
  type OverrideRequestBody,
  type TravellerMessage,
} from '@checkpoint-lane/shared';

/** A screen of the lane: the officer's (everything) or the traveller's (its view only). */
export type LaneView = 'officer' | 'traveller';

/** The messages a view is sent (the display channel's union, or the traveller's part of it). */
export type MessageOf<V extends LaneView> = V extends 'traveller' ? TravellerMessage : DisplayMessage;

/**
 * Talks to the lane agent: actions over HTTP, messages over a WebSocket that reconnects, both
 * typed by the display channel (shared/src/contract/display-channel.ts). The page holds no
 * credential: the agent's HttpOnly session cookie (bought by the one-time link that opened this
 * page) goes with every request and the WebSocket on its own.
 */
export class LaneClient<V extends LaneView = 'officer'> {
  readonly #view: V;
  #attempt = 0;

  constructor(view: V) {
    this.#view = view;
  }

  /** Opens the event stream; calls `onMessage` for each message and `onLink` on (dis)connects. */
  connect(onMessage: (m: MessageOf<V>) => void, onLink: (up: boolean) => void): void {
    const ws = new WebSocket(`ws://${location.host}/ws?view=${this.#view}`);
    ws.onopen = () => {
      this.#attempt = 0;
      onLink(true);
    };
    ws.onmessage = (event: MessageEvent<string>) => {
      try {
        // The agent on this machine sends only the channel's messages; they are not checked again here.
        onMessage(JSON.parse(event.data) as MessageOf<V>);
      } catch {
        // An unreadable message is dropped; the next one will do.
      }
    };
    ws.onclose = () => {
      onLink(false);
      const delay = Math.min(5000, 250 * 2 ** this.#attempt++) * (0.5 + Math.random() / 2);
      setTimeout(() => {
        this.connect(onMessage, onLink);
      }, delay);
    };
  }

  /** Posts one action's body; the reply is its answer (2xx) or its refusal (null: no readable body). */
  async #post<A extends DisplayActionName>(
    action: A,
    body: DisplayActionRequest<A>,
    scanId?: string,
  ): Promise<DisplayReply<A>> {
    const res = await fetch(displayActionPath(action, scanId), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    const parsed: unknown = text === '' ? null : JSON.parse(text);
    return (
      res.ok
        ? { ok: true, status: res.status, body: parsed }
        : { ok: false, status: res.status, body: parsed }
    ) as DisplayReply<A>;
  }

  /** Decides a typed (manual), wedge-scanned or camera-read code. */
  submit(text: string, source: DisplaySource): Promise<DisplayReply<'submit'>> {
    return this.#post('submit', { text, source });
  }

  /** Overrides the scan `scanId` (and only it): the refusal says why. */
  override(scanId: string, body: OverrideRequestBody): Promise<DisplayReply<'override'>> {
    return this.#post('override', body, scanId);
  }

  /** The officers to pick from before the PIN pad, with each one's lock-out (`lockedUntil`). */
  async officers(): Promise<DeskOfficer[]> {
    const res = await fetch(displayActionPath('officers'));
    return res.ok ? ((await res.json()) as DeskOfficer[]) : [];
  }

  /** "Xe đã qua" on the vehicle `vehicleId` (its plate scan's id): 409 when it is already closed. */
  vehiclePassed(vehicleId: string): Promise<DisplayReply<'vehiclePassed'>> {
    return this.#post('vehiclePassed', {}, vehicleId);
  }

  /** Gate mode: an officer's PIN opens the officer panel for a minute (hidden corner). */
  gateUnlock(officerId: string, pin: string): Promise<DisplayReply<'gateUnlock'>> {
    return this.#post('gateUnlock', { officerId, pin });
  }

  /** Gate mode: closes the officer panel now ("Khoá"). */
  gateLock(): Promise<DisplayReply<'gateLock'>> {
    return this.#post('gateLock', {});
  }

  /** "Đã xem" on the scan `scanId`: 409 with a message when it was already handled. */
  acknowledge(scanId: string, note?: string): Promise<DisplayReply<'acknowledge'>> {
    return this.#post('acknowledge', note === undefined ? {} : { note }, scanId);
  }
}
