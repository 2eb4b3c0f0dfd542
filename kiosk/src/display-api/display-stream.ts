// The display's event stream: the WebSocket `/ws` of each screen, its `hello`, the agent's events
// relayed as display-channel messages, and a tick every second. The traveller's screen gets only
// its own view (and the gate, without who unlocked it); the officer's everything else. In gate
// mode the officer's screen is the gate screen: the agent is told how many are connected.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { DisplayMessage } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DisplayAgent } from './display-agent.js';
import type { DisplayView } from './display-auth.js';
import { MAX_BODY } from './display-http.js';

/** How often a tick goes out: a display that hears nothing for 3 s shows the lane as down. */
const TICK_MS = 1000;

/** A display client: the officer's screen gets everything, the traveller's only its view. */
interface Client {
  readonly ws: WebSocket;
  readonly view: DisplayView;
}

/** The WebSockets of the lane's screens. */
export class DisplayStream {
  readonly #agent: DisplayAgent;
  readonly #camera: unknown;
  readonly #log: Logger;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  readonly #clients = new Set<Client>();
  #unsubscribe: (() => void) | null = null;
  #ticker: NodeJS.Timeout | undefined;

  /** `camera`: the lane's camera profile for the officer `hello` (null: no camera). */
  constructor(agent: DisplayAgent, camera: unknown, log: Logger) {
    this.#agent = agent;
    this.#camera = camera;
    this.#log = log;
  }

  /** Takes in a socket already let in (Host, Origin and session checked) for `view`, and greets it. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, view: DisplayView): void {
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = { ws, view };
      this.#clients.add(client);
      this.#log.info({ view, clients: this.#clients.size }, 'display connected');
      ws.on('close', () => {
        this.#clients.delete(client);
        this.#log.info({ view, clients: this.#clients.size }, 'display disconnected');
        if (view === 'officer') this.#countOfficers();
      });
      ws.on('message', () => {
        // Commands go over HTTP; the socket only carries events to the display.
      });
      const hello: DisplayMessage =
        view === 'officer'
          ? { type: 'hello', status: this.#agent.status(), camera: this.#camera, desk: this.#agent.desk() }
          : { type: 'hello' };
      ws.send(JSON.stringify(hello));
      // Then the gate as it stands (open with its countdown, shut, fault, unlocked), so a screen
      // that (re)connects never waits for the next change to know what to show.
      // A lane with no gate (no relay, not unattended) sends none.
      const gate = this.#agent.gateView?.(view);
      if (gate !== undefined && (gate.unattended || gate.relay !== null))
        ws.send(JSON.stringify({ type: 'gate', data: gate } satisfies DisplayMessage));
      if (view === 'officer') this.#countOfficers();
    });
  }

  /** Tells the agent how many officer (gate) screens are connected now. */
  #countOfficers(): void {
    let count = 0;
    for (const c of this.#clients) if (c.view === 'officer') count++;
    try {
      this.#agent.displayConnected?.(count);
    } catch (error) {
      this.#log.error(
        { err: error instanceof Error ? error.message : String(error) },
        'displayConnected failed',
      );
    }
  }

  /** Relays the agent's events and starts the ticks. */
  start(): void {
    this.#ticker = setInterval(() => {
      this.broadcast({ type: 'tick', data: { at: Date.now() } });
    }, TICK_MS);
    this.#ticker.unref();
    this.#unsubscribe = this.#agent.onEvent((message) => {
      this.broadcast(message);
    });
    // No screen yet: the agent's clock for a lost gate screen starts now.
    this.#countOfficers();
  }

  /**
   * Sends a message to the displays allowed to see it: the traveller's view gets `traveller`
   * messages (go / see an officer, the same for red and amber) and `gate` (with `unlock` null);
   * the officer's view gets everything but `traveller` (desk, decisions, devices, sync, gate, ticks).
   */
  broadcast(message: DisplayMessage): void {
    const text = JSON.stringify(message);
    // The gate goes to both; the traveller's copy never says which officer unlocked the panel.
    const travellerText =
      message.type === 'gate'
        ? JSON.stringify({ type: 'gate', data: { ...message.data, unlock: null } } satisfies DisplayMessage)
        : message.type === 'traveller'
          ? text
          : null;
    for (const { ws, view } of this.#clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (view === 'traveller') {
        if (travellerText !== null) ws.send(travellerText);
      } else if (message.type !== 'traveller') ws.send(text);
    }
  }

  /** Stops the ticks and the relay, and drops every socket. */
  stop(): void {
    clearInterval(this.#ticker);
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    for (const { ws } of this.#clients) ws.terminate();
    this.#wss.close();
  }
}
