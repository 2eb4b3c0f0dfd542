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

/** The per-boot token: from the URL fragment the agent opened us with, kept for reloads. */
export function readToken(): string {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem('lane-token', fromHash);
    history.replaceState(null, '', location.pathname); // keep it out of the address bar
    return fromHash;
  }
  return sessionStorage.getItem('lane-token') ?? '';
}

/** Talks to the lane agent: commands over HTTP, events over a WebSocket that reconnects. */
export class LaneClient {
  readonly #token: string;
  readonly #view: 'officer' | 'traveller';
  #attempt = 0;

  constructor(token: string, view: 'officer' | 'traveller') {
    this.#token = token;
    this.#view = view;
  }

  /** Opens the event stream; calls `onMessage` for each event and `onLink` on (dis)connects. */
  connect(onMessage: (m: LaneMessage) => void, onLink: (up: boolean) => void): void {
    const ws = new WebSocket(
      `ws://${location.host}/ws?view=${this.#view}&token=${encodeURIComponent(this.#token)}`,
    );
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
      headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' },
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

  override(request: {
    scanId: string;
    decision: string;
    officerPin: string;
    supervisorPin?: string;
    reason: string;
    note?: string;
  }): Promise<{ status: number; body: { error?: string } | null }> {
    return this.#post('/api/overrides', request);
  }

  acknowledge(scanId: string): Promise<{ status: number; body: null }> {
    return this.#post('/api/acknowledge', { scanId });
  }
}
