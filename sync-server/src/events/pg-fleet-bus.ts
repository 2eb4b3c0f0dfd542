import pg from 'pg';
import {
  decodeFleetMessage,
  deliverTo,
  encodeFleetMessage,
  FLEET_KEY_BYTES,
  FLEET_MESSAGE_MAX_SKEW_MS,
  newServerId,
  type FleetBus,
  type FleetBusEvent,
  type FleetBusState,
  type FleetBusStats,
  type FleetMessage,
} from './fleet-bus.js';

/** The NOTIFY channel the servers of one fleet share. */
export const FLEET_CHANNEL = 'checkpoint_fleet';

/** Messages sent in one statement at most. */
const PUBLISH_BATCH = 500;

/** Something that runs a query: the pool, or a client a caller holds (a transaction). */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

export interface PgFleetBusOptions {
  /** The database URL: the listening connection is a `pg.Client` of its own on it, outside the pool. */
  readonly url: string;
  /** Publishes go through it (`SELECT pg_notify(…)`): any pooled connection will do. */
  readonly pool: PgQueryable;
  /**
   * The fleet key (32 bytes or more, kept in the server settings under `FLEET_KEY_SETTING`):
   * every payload sent is authenticated with it, and one without a valid MAC is dropped.
   */
  readonly key: Buffer;
  /** Default: a random id. */
  readonly serverId?: string;
  /** Default {@link FLEET_CHANNEL}; tests may use another. */
  readonly channel?: string;
  /** First reconnect delay, ms (default 200); doubled each failed try. */
  readonly reconnectMinMs?: number;
  /** Longest reconnect delay, ms (default 10,000). */
  readonly reconnectMaxMs?: number;
  /** How long connecting the listener may take, ms (default 5,000). */
  readonly connectTimeoutMs?: number;
  /**
   * How often this server sends its own probe (`server-alive`) and checks its echo, ms (default
   * 5,000). When no message of its own has come back on the listening connection for
   * `probeMs × probeMisses`, the connection counts as cut: it is replaced.
   */
  readonly probeMs?: number;
  /** Probe periods without an echo before the listener counts as cut (default 3). */
  readonly probeMisses?: number;
  /** See {@link FLEET_MESSAGE_MAX_SKEW_MS}. */
  readonly maxSkewMs?: number;
  /** Told of connection changes (a line for each state change; no personal data in it). */
  readonly onStateChange?: (state: FleetBusState) => void;
  /** Told of a handler that threw. */
  readonly onHandlerError?: (err: unknown) => void;
  readonly clock?: () => number;
}

/** An error's text for state(): its message, or its code. */
function reason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return err.message || (typeof code === 'string' ? code : err.name);
}

/**
 * The fleet bus on PostgreSQL LISTEN/NOTIFY. One dedicated connection (not from the pool) listens
 * on the channel; publishing is `SELECT pg_notify(channel, payload)` on the pool. When the
 * listening connection fails or ends, it reconnects with a capped, jittered back-off, listens
 * again, and tells subscribers `resync`: NOTIFY has no replay, so what was sent while it was
 * down is lost and receivers re-read state. `state()` says whether it is listening (for /health).
 */
export class PgFleetBus implements FleetBus {
  readonly serverId: string;
  private readonly channel: string;
  private readonly handlers = new Set<(event: FleetBusEvent) => void>();
  private readonly clock: () => number;
  private client: pg.Client | null = null;
  private current: FleetBusState;
  private counts = { published: 0, received: 0, dropped: 0, unauthenticated: 0 };
  private readonly key: Buffer;
  private probeTimer: NodeJS.Timeout | null = null;
  /** When a message of this server's own last came back on the listening connection (or it connected). */
  private lastEcho = 0;
  private closed = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Messages waiting for the statement in flight. */
  private readonly outbox: { payload: string; resolve: () => void; reject: (err: Error) => void }[] = [];
  private sending = false;
  /** Whether the listener has been connected once: later connects are reconnects (resync). */
  private everConnected = false;

  constructor(private readonly options: PgFleetBusOptions) {
    this.serverId = options.serverId ?? newServerId();
    this.channel = options.channel ?? FLEET_CHANNEL;
    if (!/^[a-z_][a-z0-9_]*$/.test(this.channel)) throw new Error(`not a channel name: ${this.channel}`);
    this.clock = options.clock ?? Date.now;
    if (options.key.length < FLEET_KEY_BYTES)
      throw new Error(`the fleet key must be ${FLEET_KEY_BYTES} bytes or more`);
    this.key = Buffer.from(options.key);
    this.current = { connected: false, since: this.clock() };
  }

  /**
   * Connects the listening connection and listens. Rejects when the first try fails (the server
   * does not start on a database it cannot listen on); later failures reconnect by themselves.
   */
  async start(): Promise<void> {
    await this.connect();
    if (this.closed || this.probeTimer) return;
    this.probeTimer = setInterval(() => {
      this.probe();
    }, this.options.probeMs ?? 5_000);
    this.probeTimer.unref();
  }

  /**
   * Checks that the listener still hears this server's own messages, then sends the next probe.
   * A half-open connection (peer gone, no reset seen) reads as connected until the OS keepalive
   * gives up; a missing echo finds it within `probeMs × probeMisses`.
   */
  private probe(): void {
    const client = this.client;
    if (this.closed || client === null) return;
    const period = this.options.probeMs ?? 5_000;
    if (this.clock() - this.lastEcho > period * (this.options.probeMisses ?? 3)) {
      this.lost(client, new Error('the listening connection no longer hears this server'));
      return;
    }
    const payload = encodeFleetMessage({ type: 'server-alive' }, this.serverId, this.key, this.clock());
    // Sent on the listening connection itself (a round trip on it, no pooled connection taken);
    // not counted as published; a failure shows as a missing echo.
    client.query('SELECT pg_notify($1, $2)', [this.channel, payload]).catch(() => undefined);
  }

  /** Opens a listening connection; on failure records it and rethrows. */
  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: 'checkpoint-server-fleet-bus',
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5_000,
      keepAlive: true,
    });
    // Registered before connecting: an error on this connection must never end the process.
    client.on('error', (err) => {
      this.lost(client, err);
    });
    client.on('end', () => {
      this.lost(client, new Error('the listening connection ended'));
    });
    client.on('notification', (msg) => {
      if (client !== this.client || msg.channel !== this.channel) return;
      this.receive(msg.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      this.setState({ connected: false, since: this.clock(), lastError: reason(err) });
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.lastEcho = this.clock();
    this.attempt = 0;
    const reconnected = this.everConnected;
    this.everConnected = true;
    this.setState({ connected: true, since: this.clock() });
    if (reconnected) deliverTo(this.handlers, { type: 'resync' }, this.options.onHandlerError);
  }

  /** The listening connection failed or ended: reconnect (once per connection). */
  private lost(client: pg.Client, err: unknown): void {
    if (client !== this.client) return;
    this.client = null;
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.setState({ connected: false, since: this.clock(), lastError: reason(err) });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const min = this.options.reconnectMinMs ?? 200;
    const max = this.options.reconnectMaxMs ?? 10_000;
    const base = Math.min(max, min * 2 ** Math.min(this.attempt, 20));
    // Jitter (half to all of the delay): servers cut off together do not reconnect in step.
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect().catch(() => {
        this.scheduleReconnect();
      });
    }, delay);
    this.retryTimer.unref();
  }

  private setState(state: FleetBusState): void {
    const changed = state.connected !== this.current.connected || state.lastError !== this.current.lastError;
    this.current = state;
    if (changed) this.options.onStateChange?.(state);
  }

  /** A NOTIFY payload arrived: authenticated, validated, own echo noted (not delivered), delivered. */
  private receive(payload: string): void {
    const decoded = decodeFleetMessage(
      payload,
      this.key,
      this.clock(),
      this.options.maxSkewMs ?? FLEET_MESSAGE_MAX_SKEW_MS,
    );
    if (!decoded.ok) {
      if (decoded.reason === 'unauthenticated') this.counts.unauthenticated += 1;
      else this.counts.dropped += 1;
      return;
    }
    const message = decoded.message;
    if (message.origin === this.serverId) {
      this.lastEcho = this.clock();
      return;
    }
    this.counts.received += 1;
    deliverTo(this.handlers, message, this.options.onHandlerError);
  }

  /** The payload of a message from this server; throws when it is over FLEET_MESSAGE_MAX_BYTES. */
  private encode(message: FleetMessage): string {
    if (this.closed) throw new Error('the fleet bus is closed');
    return encodeFleetMessage(message, this.serverId, this.key, this.clock());
  }

  /**
   * Publishes through the pool. Publishes go out one statement at a time, in order (two pooled
   * connections could otherwise commit their NOTIFYs out of order, and receivers rely on one
   * server's order); what queues up meanwhile goes out together in the next statement (one
   * round trip for many messages). PostgreSQL delivers identical payloads sent in one statement
   * once: every fleet message means the same when it arrives twice, so nothing is lost.
   */
  publish(message: FleetMessage): Promise<void> {
    let payload: string;
    try {
      payload = this.encode(message);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return new Promise((resolve, reject) => {
      this.outbox.push({ payload, resolve, reject });
      void this.pump();
    });
  }

  /** Sends what is queued, a batch per statement, until the queue is empty. */
  private async pump(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.outbox.length > 0) {
        const batch = this.outbox.splice(0, PUBLISH_BATCH);
        try {
          await this.options.pool.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [
            this.channel,
            batch.map((m) => m.payload),
          ]);
          this.counts.published += batch.length;
          for (const m of batch) m.resolve();
        } catch (err) {
          if (batch.length === 1) {
            batch[0]?.reject(err as Error);
            continue;
          }
          // One message failing fails the statement: send each on its own, so only it fails.
          for (const m of batch) {
            try {
              await this.options.pool.query('SELECT pg_notify($1, $2)', [this.channel, m.payload]);
              this.counts.published += 1;
              m.resolve();
            } catch (one) {
              m.reject(one as Error);
            }
          }
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /**
   * Publishes on a client the caller holds. Inside a transaction PostgreSQL delivers the
   * notification at COMMIT (and never on ROLLBACK): a server announces a version only once
   * other servers can read it.
   */
  async notifyIn(client: PgQueryable, message: FleetMessage): Promise<void> {
    const payload = this.encode(message);
    await client.query('SELECT pg_notify($1, $2)', [this.channel, payload]);
    this.counts.published += 1;
  }

  subscribe(handler: (event: FleetBusEvent) => void): () => void {
    this.handlers.add(handler);
    return () => {
      this.handlers.delete(handler);
    };
  }

  state(): FleetBusState {
    return this.current;
  }

  stats(): FleetBusStats {
    return { ...this.counts };
  }

  /** The backend pid of the listening connection (tests), or null while disconnected. */
  listenerPid(): number | null {
    return (this.client as unknown as { processID?: number } | null)?.processID ?? null;
  }

  /**
   * Tests: stops listening on the current connection and leaves it open, as a listener that no
   * longer receives anything (half-open connection).
   */
  async deafenForTest(): Promise<void> {
    await this.client?.query(`UNLISTEN ${this.channel}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const client = this.client;
    this.client = null;
    this.handlers.clear();
    this.setState({ connected: false, since: this.clock() });
    if (client) {
      client.removeAllListeners('notification');
      await client.end().catch(() => undefined);
    }
  }
}
