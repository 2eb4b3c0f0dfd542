import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GateReportSchema, LANE_EVENT_SCHEMAS, ListName, type LaneEvent } from '@checkpoint-lane/shared';
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';

/**
 * What servers of one fleet tell each other about events (issue 14): small JSON messages that name
 * what changed; a receiver reads the details from the database itself. Every message carries the
 * `origin` server id (random per process) so a server skips its own echo. On PostgreSQL each
 * payload is authenticated with an HMAC-SHA256 under the fleet key (see {@link encodeFleetMessage}).
 */

/** A server id: random per process. */
const ServerId = Type.String({ minLength: 1, maxLength: 64 });
const LaneId = Type.String({ minLength: 1, maxLength: 200 });
const Version = Type.Integer({ minimum: 0 });

/** The lane events a fleet message may carry to one lane: ids only (`revoked` is checked on arrival). */
export const FLEET_LANE_EVENT_TYPES = ['revoked', 'list-key'] as const;

/** A lane event that may travel to another server. */
export type FleetLaneEvent = Extract<LaneEvent, { type: (typeof FLEET_LANE_EVENT_TYPES)[number] }>;

/** Whether a lane event may travel to another server. */
export function isFleetLaneEvent(event: LaneEvent): event is FleetLaneEvent {
  return (FLEET_LANE_EVENT_TYPES as readonly string[]).includes(event.type);
}

const LaneEventSchema = Type.Union(
  FLEET_LANE_EVENT_TYPES.map((type) =>
    Type.Object(
      { type: Type.Literal(type), data: LANE_EVENT_SCHEMAS[type] },
      { additionalProperties: false },
    ),
  ),
);

/** Every message the fleet bus carries, by `type`. */
export const FLEET_MESSAGE_SCHEMAS = {
  /**
   * A list is at a new version; receivers read urgent health changes themselves and ignore a
   * version above the one the database holds.
   */
  'list-version': Type.Object({ list: ListName, version: Version, fromVersion: Version }),
  /** An admin-stream event named by its id; receivers read the record (alerts hold personal data). */
  admin: Type.Object({
    event: Type.Union([Type.Literal('alert'), Type.Literal('alert-ack')]),
    id: Type.Integer({ minimum: 0 }),
  }),
  /** The officer roster is at a new version. */
  officers: Type.Object({ version: Version }),
  /** A checkpoint's config changed: receivers read it from the database and sign it themselves. */
  checkpoint: Type.Object({ checkpointId: Type.String({ minLength: 1, maxLength: 200 }) }),
  /** The list-signing keys changed: receivers read them from the database. */
  'signing-keys': Type.Object({}),
  /** The pass directory is at a new version (a pass key rotated, a pass revoked). */
  passes: Type.Object({ version: Version }),
  /** A lane event for one lane: a server delivers it when the lane has a stream open there. */
  lane: Type.Object({ laneId: LaneId, event: LaneEventSchema }),
  /** Close one lane's streams (revoked): receivers close them once the database says revoked. */
  'lane-close': Type.Object({ laneId: LaneId }),
  /** A lane's first stream opened on the sending server, or its last one there closed. */
  'lane-presence': Type.Object({
    laneId: LaneId,
    checkpointId: Type.String({ maxLength: 200 }),
    open: Type.Boolean(),
  }),
  /**
   * Asks every server (or only `server`) to announce the lanes connected to it (`lane-presence`,
   * open).
   */
  'presence-request': Type.Object({ server: Type.Optional(ServerId) }),
  /** The sender is alive (sent periodically): presence from a server silent too long is dropped. */
  'server-alive': Type.Object({}),
  /**
   * A lane's gate report (or its end: null) from a heartbeat the sender received; carried whole
   * (states, fault codes and counts: no personal data) for the receivers' admin streams.
   */
  gate: Type.Object({
    kioskId: LaneId,
    checkpointId: Type.String({ maxLength: 200 }),
    /** The heartbeat's time (the admin event's `at`; the envelope's `at` is the send time). */
    heardAt: Type.Integer({ minimum: 0 }),
    gate: Type.Union([GateReportSchema, Type.Null()]),
  }),
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
  | { readonly type: 'lane'; readonly laneId: string; readonly event: FleetLaneEvent };

/** A fleet message as it arrives: with the id of the server that sent it. */
export type ReceivedFleetMessage = FleetMessage & { readonly origin: string };

/**
 * What a subscriber gets: a message from another server, or `resync` after the bus was cut off
 * (messages sent meanwhile are lost: a receiver re-reads state).
 */
export type FleetBusEvent = ReceivedFleetMessage | { readonly type: 'resync' };

/**
 * Bytes a payload may take: PostgreSQL refuses a NOTIFY payload of 8000 bytes or more
 * ("payload string too long"), so 7999.
 */
export const FLEET_MESSAGE_MAX_BYTES = 7999;

/** Bytes of the fleet key. */
export const FLEET_KEY_BYTES = 32;

/** The settings key the fleet key is kept under. */
export const FLEET_KEY_SETTING = 'fleet_bus_key';

/** A new random fleet key (for `SettingsStore.getOrCreate(FLEET_KEY_SETTING, …)`). */
export function newFleetKey(): Buffer {
  return randomBytes(FLEET_KEY_BYTES);
}

/**
 * How far a message's send time may be from the receiver's clock, ms (default for receivers): an
 * authenticated message seen on the channel cannot be replayed later than this.
 */
export const FLEET_MESSAGE_MAX_SKEW_MS = 120_000;

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
  /** Messages that arrived malformed, oversize or too old (or too far ahead) and were dropped. */
  readonly dropped: number;
  /** Messages without a valid MAC under the fleet key, dropped. */
  readonly unauthenticated: number;
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

const ENVELOPE = Type.Object({
  type: Type.String(),
  origin: ServerId,
  at: Type.Integer({ minimum: 0 }),
});

/** Wire prefix: version, then the MAC (hex), then the JSON text. */
const WIRE_VERSION = 'v1';
const MAC_HEX = 64;
const WIRE_HEAD = WIRE_VERSION.length + 1 + MAC_HEX + 1;

function mac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

/** Why a payload was not taken. */
export type FleetDecodeFailure = 'malformed' | 'unauthenticated' | 'stale';

/** A decoded payload: the message, or why it was dropped. */
export type FleetDecoded =
  | { readonly ok: true; readonly message: ReceivedFleetMessage }
  | { readonly ok: false; readonly reason: FleetDecodeFailure };

/**
 * Reads a payload: `v1:<HMAC-SHA256 of the JSON text under key, hex>:<JSON text>`. The MAC is
 * checked first (`unauthenticated` when missing or wrong); then the text must be one of the fleet
 * messages (`malformed`) sent within `maxSkewMs` of `now` (`stale`).
 */
export function decodeFleetMessage(
  text: string,
  key: Buffer,
  now: number,
  maxSkewMs: number = FLEET_MESSAGE_MAX_SKEW_MS,
): FleetDecoded {
  if (Buffer.byteLength(text) > FLEET_MESSAGE_MAX_BYTES) return { ok: false, reason: 'malformed' };
  const given = text.slice(WIRE_VERSION.length + 1, WIRE_HEAD - 1);
  if (!text.startsWith(`${WIRE_VERSION}:`) || text[WIRE_HEAD - 1] !== ':' || !/^[0-9a-f]{64}$/.test(given)) {
    return { ok: false, reason: 'unauthenticated' };
  }
  const json = text.slice(WIRE_HEAD);
  if (!timingSafeEqual(Buffer.from(given, 'hex'), mac(key, json)))
    return { ok: false, reason: 'unauthenticated' };
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!Value.Check(ENVELOPE, value)) return { ok: false, reason: 'malformed' };
  const { type, origin, at, ...body } = value;
  if (!Object.hasOwn(FLEET_MESSAGE_SCHEMAS, type)) return { ok: false, reason: 'malformed' };
  const schema = FLEET_MESSAGE_SCHEMAS[type as FleetMessageType];
  // No field beyond the schema's: a receiver never passes on what it did not check.
  const extra = Object.keys(body).some((k) => !Object.hasOwn(schema.properties, k));
  if (extra || !Value.Check(schema, body)) return { ok: false, reason: 'malformed' };
  if (Math.abs(now - at) > maxSkewMs) return { ok: false, reason: 'stale' };
  return { ok: true, message: { ...body, type, origin } as ReceivedFleetMessage };
}

/**
 * A message's payload (see {@link decodeFleetMessage}) with its origin and send time `at`,
 * authenticated under `key`; throws when it is over {@link FLEET_MESSAGE_MAX_BYTES}.
 */
export function encodeFleetMessage(message: FleetMessage, origin: string, key: Buffer, at: number): string {
  const json = JSON.stringify({ ...message, origin, at });
  const text = `${WIRE_VERSION}:${mac(key, json).toString('hex')}:${json}`;
  const bytes = Buffer.byteLength(text);
  if (bytes > FLEET_MESSAGE_MAX_BYTES) {
    throw new Error(
      `fleet message '${message.type}' is ${bytes} bytes: over the ${FLEET_MESSAGE_MAX_BYTES}-byte NOTIFY limit`,
    );
  }
  return text;
}

/** A lane event for a fleet message (typed: the bus checks it against the kiosk contract on arrival). */
export function laneMessage(laneId: string, event: FleetLaneEvent): FleetMessage {
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
  private counts = { published: 0, received: 0, dropped: 0, unauthenticated: 0 };
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
