import { randomBytes } from 'node:crypto';
import { LANE_EVENT_SCHEMAS, ListName, type LaneEvent } from '@checkpoint-lane/shared';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';

/**
 * What servers of one fleet tell each other about events (issue 14): small JSON messages that name
 * what changed; a receiver reads the details from the database itself. Every message carries the
 * `origin` server id (random per process) so a server skips its own echo.
 */

/** A server id: random per process. */
const ServerId = Type.String({ minLength: 1, maxLength: 64 });
const LaneId = Type.String({ minLength: 1, maxLength: 200 });
const Version = Type.Integer({ minimum: 0 });

/** A lane event as the kiosk contract defines it, any of its names. */
const LaneEventSchema = Type.Union(
  Object.entries(LANE_EVENT_SCHEMAS).map(([type, data]) =>
    Type.Object({ type: Type.Literal(type), data }, { additionalProperties: false }),
  ),
);

/** Every message the fleet bus carries, by `type`. */
export const FLEET_MESSAGE_SCHEMAS = {
  /** A list is at a new version; receivers read urgent health changes themselves. */
  'list-version': Type.Object({ list: ListName, version: Version, fromVersion: Version }),
  /** An admin-stream event named by its id; receivers read the record (alerts hold personal data). */
  admin: Type.Object({
    event: Type.Union([Type.Literal('alert'), Type.Literal('alert-ack')]),
    id: Type.Integer({ minimum: 0 }),
  }),
  /** The officer roster is at a new version. */
  officers: Type.Object({ version: Version }),
  /** A checkpoint's new config (not personal data), and its CLCFG1 signature when the server made one. */
  checkpoint: Type.Object({
    checkpointId: Type.String({ minLength: 1, maxLength: 200 }),
    event: LANE_EVENT_SCHEMAS.checkpoint,
  }),
  /** The list-signing keys changed: the whole set of public keys. */
  'signing-keys': LANE_EVENT_SCHEMAS['signing-keys'],
  /** A lane event for one lane: a server delivers it when the lane has a stream open there. */
  lane: Type.Object({ laneId: LaneId, event: LaneEventSchema }),
  /** Close one lane's streams (revoked). */
  'lane-close': Type.Object({ laneId: LaneId }),
  /** A lane's first stream opened on `server`, or its last one there closed. */
  'lane-presence': Type.Object({
    laneId: LaneId,
    checkpointId: Type.String({ maxLength: 200 }),
    server: ServerId,
    open: Type.Boolean(),
  }),
  /**
   * Asks every server (or only `server`) to announce the lanes connected to it (`lane-presence`,
   * open).
   */
  'presence-request': Type.Object({ server: Type.Optional(ServerId) }),
  /** The sender is alive (sent periodically): presence from a server silent too long is dropped. */
  'server-alive': Type.Object({}),
};

/** Name of a fleet message. */
export type FleetMessageType = keyof typeof FLEET_MESSAGE_SCHEMAS;

/** One fleet message without its origin (what a publisher gives the bus). */
export type FleetMessage =
  | {
      [K in Exclude<FleetMessageType, 'lane'>]: { readonly type: K } & Static<
        (typeof FLEET_MESSAGE_SCHEMAS)[K]
      >;
    }[Exclude<FleetMessageType, 'lane'>]
  | { readonly type: 'lane'; readonly laneId: string; readonly event: LaneEvent };

/** A fleet message as it arrives: with the id of the server that sent it. */
export type ReceivedFleetMessage = FleetMessage & { readonly origin: string };

/**
 * What a subscriber gets: a message from another server, or `resync` after the bus was cut off
 * (messages sent meanwhile are lost: a receiver re-reads state).
 */
export type FleetBusEvent = ReceivedFleetMessage | { readonly type: 'resync' };

/** Bytes a message may take as JSON text: PostgreSQL's NOTIFY payload limit is 8000 bytes. */
export const FLEET_MESSAGE_MAX_BYTES = 8000;

/** The bus's connection, for /health: a server whose bus is cut off misses other servers' events. */
export interface FleetBusState {
  readonly connected: boolean;
  /** Epoch ms since `connected` has held its value. */
  readonly since: number;
  /** Why the connection last failed (no personal data: a database error's text). */
  readonly lastError?: string;
}

/** Counters of what the bus did. */
export interface FleetBusStats {
  readonly published: number;
  readonly received: number;
  /** Messages that arrived malformed or oversize and were dropped. */
  readonly dropped: number;
}

/** Carries fleet messages between the servers of one fleet. */
export interface FleetBus {
  /** This process's server id (the `origin` of what it publishes). */
  readonly serverId: string;
  /** Sends a message to the other servers; rejects when it is too big or cannot be sent. */
  publish(message: FleetMessage): Promise<void>;
  /** Calls `handler` for every message from another server, and with `resync`; returns the unsubscribe. */
  subscribe(handler: (event: FleetBusEvent) => void): () => void;
  state(): FleetBusState;
  stats(): FleetBusStats;
  close(): Promise<void>;
}

/** A new random server id. */
export function newServerId(): string {
  return randomBytes(8).toString('hex');
}

const ENVELOPE = Type.Object({ type: Type.String(), origin: ServerId });

/**
 * Reads a message from its JSON text: the message, or null when the text is oversize, not JSON,
 * or not one of the fleet messages (a receiver drops it).
 */
export function decodeFleetMessage(text: string): ReceivedFleetMessage | null {
  if (Buffer.byteLength(text) > FLEET_MESSAGE_MAX_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Value.Check(ENVELOPE, value)) return null;
  const { type, origin, ...body } = value;
  if (!Object.hasOwn(FLEET_MESSAGE_SCHEMAS, type)) return null;
  if (!Value.Check(FLEET_MESSAGE_SCHEMAS[type as FleetMessageType], body)) return null;
  return { ...body, type, origin } as ReceivedFleetMessage;
}

/** A message's JSON text with its origin; throws when it is over {@link FLEET_MESSAGE_MAX_BYTES}. */
export function encodeFleetMessage(message: FleetMessage, origin: string): string {
  const text = JSON.stringify({ ...message, origin });
  const bytes = Buffer.byteLength(text);
  if (bytes > FLEET_MESSAGE_MAX_BYTES) {
    throw new Error(
      `fleet message '${message.type}' is ${bytes} bytes: over the ${FLEET_MESSAGE_MAX_BYTES}-byte NOTIFY limit`,
    );
  }
  return text;
}

/** A lane event for a fleet message (typed: the bus checks it against the kiosk contract on arrival). */
export function laneMessage(laneId: string, event: LaneEvent): FleetMessage {
  return { type: 'lane', laneId, event };
}

/** Calls each handler; one that throws does not stop the others. */
export function deliverTo(
  handlers: Iterable<(event: FleetBusEvent) => void>,
  event: FleetBusEvent,
  onError?: (err: unknown) => void,
): void {
  for (const h of [...handlers]) {
    try {
      h(event);
    } catch (err) {
      onError?.(err);
    }
  }
}

/** The servers one {@link LocalBus} network connects (in one process). */
export class LocalBusNetwork {
  readonly members = new Set<LocalBus>();
}

/**
 * The bus inside one process. A single server (SQLite) has nobody to tell: its bus delivers
 * nothing and costs nothing (no serialization). Buses made on one shared {@link LocalBusNetwork}
 * act as servers of one fleet in tests: each message reaches the other members in a microtask.
 */
export class LocalBus implements FleetBus {
  private readonly handlers = new Set<(event: FleetBusEvent) => void>();
  private counts = { published: 0, received: 0, dropped: 0 };
  private readonly openedAt = Date.now();
  private closed = false;

  constructor(
    private readonly network: LocalBusNetwork = new LocalBusNetwork(),
    readonly serverId: string = newServerId(),
  ) {
    network.members.add(this);
  }

  publish(message: FleetMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the fleet bus is closed'));
    this.counts.published += 1;
    if (this.network.members.size <= 1) return Promise.resolve();
    const received = { ...message, origin: this.serverId } as ReceivedFleetMessage;
    for (const member of this.network.members) {
      if (member === this) continue;
      queueMicrotask(() => {
        member.receive(received);
      });
    }
    return Promise.resolve();
  }

  /** Delivers a message from another member. */
  private receive(message: ReceivedFleetMessage): void {
    if (this.closed) return;
    this.counts.received += 1;
    deliverTo(this.handlers, message);
  }

  /** Tells this bus's subscribers to re-read state (tests: as after a reconnect). */
  resync(): void {
    deliverTo(this.handlers, { type: 'resync' });
  }

  subscribe(handler: (event: FleetBusEvent) => void): () => void {
    this.handlers.add(handler);
    return () => {
      this.handlers.delete(handler);
    };
  }

  state(): FleetBusState {
    return { connected: !this.closed, since: this.openedAt };
  }

  stats(): FleetBusStats {
    return { ...this.counts };
  }

  close(): Promise<void> {
    this.closed = true;
    this.network.members.delete(this);
    this.handlers.clear();
    return Promise.resolve();
  }
}
