import type { DeskOfficer, OverrideRequestBody } from '@checkpoint-lane/shared';

/** A decision as the lane announces it (subject masked; see the agent's LaneDecision). */
export interface DisplayDecision {
  readonly decision: 'green' | 'red' | 'amber';
  readonly reasons: string[];
  readonly warnings: string[];
  readonly scanId: string | null;
  readonly alert: boolean;
  readonly source: string;
  readonly format: string | null;
  readonly subject: { kind: string; masked: string } | null;
  readonly at: number;
}

/** A lane event over the WebSocket. */
export interface LaneMessage {
  readonly type: string;
  readonly data?: unknown;
  readonly status?: unknown;
  /** In the officer hello: the lane's camera profile, or null when it has no camera. */
  readonly camera?: unknown;
}

/** An officer as the override dialog lists them (the agent's `GET /api/officers`). */
export type { DeskOfficer, OverrideRequestBody } from '@checkpoint-lane/shared';

/**
 * Talks to the lane agent: commands over HTTP, events over a WebSocket that reconnects. The page
 * holds no credential: the agent's HttpOnly session cookie (bought by the one-time link that
 * opened this page) goes with every request and the WebSocket on its own.
 */
export class LaneClient {
  readonly #view: 'officer' | 'traveller';
  #attempt = 0;

  constructor(view: 'officer' | 'traveller') {
    this.#view = view;
  }

  /** Opens the event stream; calls `onMessage` for each event and `onLink` on (dis)connects. */
  connect(onMessage: (m: LaneMessage) => void, onLink: (up: boolean) => void): void {
    const ws = new WebSocket(`ws://${location.host}/ws?view=${this.#view}`);
    ws.onopen = () => {
      this.#attempt = 0;
      onLink(true);
    };
    ws.onmessage = (event: MessageEvent<string>) => {
      try {
        onMessage(JSON.parse(event.data) as LaneMessage);
      } catch {
        // An unreadable event is dropped; the next one will do.
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

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON shape
  async #post<T>(path: string, body: unknown): Promise<{ status: number; body: T | null }> {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? null : (JSON.parse(text) as T) };
  }

  /** Decides a typed (manual), wedge-scanned or camera-read code. */
  submit(
    text: string,
    source: 'manual' | 'wedge' | 'camera',
  ): Promise<{ status: number; body: DisplayDecision | null }> {
    return this.#post('/api/scans', { text, source });
  }

  /** Overrides the scan `scanId` (and only it): the answer says why when it is refused. */
  override(
    scanId: string,
    body: OverrideRequestBody,
  ): Promise<{ status: number; body: { error?: string; lockedUntil?: number; officerId?: string } | null }> {
    return this.#post(`/api/scans/${encodeURIComponent(scanId)}/override`, body);
  }

  /** The officers to pick from before the PIN pad, with each one's lock-out (`lockedUntil`). */
  async officers(): Promise<DeskOfficer[]> {
    const res = await fetch('/api/officers');
    return res.ok ? ((await res.json()) as DeskOfficer[]) : [];
  }

  /** "Đã xem" on the scan `scanId`: 409 with a message when it was already handled. */
  acknowledge(
    scanId: string,
    note?: string,
  ): Promise<{ status: number; body: { error?: string; message?: string } | null }> {
    return this.#post(
      `/api/scans/${encodeURIComponent(scanId)}/acknowledge`,
      note === undefined ? {} : { note },
    );
  }
}
