// The display's event stream: the WebSocket `/ws` of each screen, its `hello`, the agent's events
// relayed as display-channel messages, and a tick every second. The traveller's screen gets only
// its own view (and the gate, without who unlocked it); the officer's everything else. In gate
// mode the officer's screen is the gate screen: the agent is told how many are connected.
//
// A gate screen is public (a totem anyone walks up to): while its officer panel is locked the
// officer sockets get no desk data (an empty desk in `hello` and at lock, no `desk`, `decision` or
// `override` messages, which carry masked subjects and holders' names) and, instead, the
// traveller's view (`traveller`: go / see staff, red and amber alike) for the gate screen's hold.
// At unlock they get the real desk; at lock the empty one again.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Desk, DisplayMessage } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DisplayAgent } from './display-agent.js';
import type { DisplayView } from './display-auth.js';
import { MAX_BODY } from './display-http.js';

/** How often a tick goes out: a display that hears nothing for 3 s shows the lane as down. */
const TICK_MS = 1000;

/** The desk a locked gate screen is sent: nothing about anyone (vehicle mode's flag kept). */
function lockedDesk(desk: Desk): Desk {
  return {
    pending: [],
    pendingCount: 0,
    recent: [],
    ...(desk.vehicleMode !== undefined && { vehicleMode: desk.vehicleMode }),
  };
}

/** Officer-socket messages a locked gate screen never gets (they name or mask someone, or a scan). */
const HELD_WHILE_LOCKED: ReadonlySet<DisplayMessage['type']> = new Set(['desk', 'decision', 'override']);

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
  /** Whether officer sockets were last sent the locked gate screen's (empty) desk. */
  #officerLocked = false;

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
      let hello: DisplayMessage = { type: 'hello' };
      if (view === 'officer') {
        const locked = this.#gateLocked();
        this.#officerLocked = locked;
        const desk = this.#agent.desk();
        hello = {
          type: 'hello',
          status: this.#agent.status(),
          camera: this.#camera,
          desk: locked ? lockedDesk(desk) : desk,
        };
      }
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

  /** Gate mode with the officer panel locked: officer sockets get no desk data. */
  #gateLocked(): boolean {
    const view = this.#agent.gateView?.('officer');
    return view !== undefined && view.unattended && view.unlock === null;
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
    this.#officerLocked = this.#gateLocked();
    this.#unsubscribe = this.#agent.onEvent((message) => {
      this.broadcast(message);
    });
    // No screen yet: the agent's clock for a lost gate screen starts now.
    this.#countOfficers();
  }

  /**
   * Sends a message to the displays allowed to see it: the traveller's view gets `traveller`
   * messages (go / see an officer, the same for red and amber) and `gate` (with `unlock` null);
   * the officer's view gets everything but `traveller` (desk, decisions, devices, sync, gate, ticks)
   * — except while a gate screen is locked: then no desk data, and `traveller` instead.
   */
  broadcast(message: DisplayMessage): void {
    const text = JSON.stringify(message);
    // The gate goes to both; the traveller's copy never says which officer unlocked the panel, nor
    // that a staff card was refused.
    const travellerText =
      message.type === 'gate'
        ? JSON.stringify({
            type: 'gate',
            data: { ...message.data, unlock: null, cardRefusedAt: null },
          } satisfies DisplayMessage)
        : message.type === 'traveller'
          ? text
          : null;
    // What the officer sockets get: the gate message's own word on the lock, else the agent's.
    let officerTexts: string[];
    if (message.type === 'gate') {
      const locked = message.data.unattended && message.data.unlock === null;
      officerTexts = [text];
      if (locked !== this.#officerLocked) {
        // Unlocked: the real desk now; locked again: the empty one (the screen forgets the desk).
        const desk = this.#agent.desk();
        officerTexts.push(
          JSON.stringify({
            type: 'desk',
            data: locked ? lockedDesk(desk) : desk,
            latest: null,
          } satisfies DisplayMessage),
        );
      }
      this.#officerLocked = locked;
    } else if (message.type === 'tick') {
      officerTexts = [text];
    } else if (this.#gateLocked()) {
      officerTexts = HELD_WHILE_LOCKED.has(message.type) ? [] : [text];
    } else officerTexts = message.type === 'traveller' ? [] : [text];
    for (const { ws, view } of this.#clients) {
      if (ws.readyState !== ws.OPEN) continue;
      if (view === 'traveller') {
        if (travellerText !== null) ws.send(travellerText);
      } else for (const t of officerTexts) ws.send(t);
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
