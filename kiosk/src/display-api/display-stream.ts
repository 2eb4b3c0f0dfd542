// The display's event stream: the WebSocket `/ws` of each screen, its `hello`, the agent's events
// relayed as display-channel messages, and a tick every second. The traveller's screen gets only
// its own view; the officer's everything else.
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
      });
      ws.on('message', () => {
        // Commands go over HTTP; the socket only carries events to the display.
      });
      const hello: DisplayMessage =
        view === 'officer'
          ? { type: 'hello', status: this.#agent.status(), camera: this.#camera, desk: this.#agent.desk() }
          : { type: 'hello' };
      ws.send(JSON.stringify(hello));
    });
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
  }

  /**
   * Sends a message to the displays allowed to see it: the traveller's view gets `traveller`
   * messages only (go / see an officer, the same for red and amber); the officer's view gets
   * everything else (desk, decisions, devices, sync, ticks).
   */
  broadcast(message: DisplayMessage): void {
    const text = JSON.stringify(message);
    const forTraveller = message.type === 'traveller';
    for (const { ws, view } of this.#clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if ((view === 'traveller') === forTraveller) ws.send(text);
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
