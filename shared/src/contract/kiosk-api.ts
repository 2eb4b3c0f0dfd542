// The kiosk API (`/api/v1/kiosk/…`): what a lane and the sync server say to each other.
// Schema and type come from one TypeBox definition; the server's routes validate with these
// schemas and the lane's client decodes with them. "Kiosk" is the word of the HTTP paths (the
// published contract); in code the canonical word is "lane".
import Type from 'typebox';
import Value from 'typebox/value';
import { CheckpointConfig } from '../schemas/checkpoint-schemas.js';
import { ListName } from '../schemas/list-schemas.js';
import type { Result } from '../result.js';

const Version = Type.Integer({ minimum: 0 });

/** One change to a list entry as a delta or an `urgent` push carries it. */
export const WireChange = Type.Object({
  key: Type.String({ pattern: '^[0-9a-f]{16}$' }),
  op: Type.Union([Type.Literal('put'), Type.Literal('delete')]),
  entry: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
/** One change to a list entry (the entry is checked per list by the lane's list descriptor). */
export type WireChange = Type.Static<typeof WireChange>;

/** The body of each event the server sends on `GET /api/v1/kiosk/events`, by event name. */
export const LANE_EVENT_SCHEMAS = {
  /** First event of every stream. */
  hello: Type.Object({ kioskId: Type.String(), checkpointId: Type.String(), serverTime: Type.Integer() }),
  /** A list is at a new version: fetch its changes. */
  'list-version': Type.Object({ list: ListName, version: Version }),
  /** Health entries that block at this lane's checkpoint, ahead of their delta. */
  urgent: Type.Object({
    list: Type.Literal('health'),
    fromVersion: Type.Optional(Version),
    toVersion: Type.Optional(Version),
    // A server sends at most URGENT_MAX_CHANGES (vocabulary.ts); a lane takes more, for a newer server.
    changes: Type.Array(WireChange, { maxItems: 1000 }),
  }),
  /** This lane's checkpoint has a new config (the whole config, as heartbeats answer it). */
  checkpoint: CheckpointConfig,
  /** The officer roster is at a new version: fetch this checkpoint's roster. */
  officers: Type.Object({ version: Version }),
  /** This lane's token was revoked. */
  revoked: Type.Object({}),
};

/** Name of an event on a lane's stream. */
export type LaneEventName = keyof typeof LANE_EVENT_SCHEMAS;

/** One event on a lane's stream: switch on `type` and the compiler knows `data`. */
export type LaneEvent = {
  [K in LaneEventName]: { readonly type: K; readonly data: Type.Static<(typeof LANE_EVENT_SCHEMAS)[K]> };
}[LaneEventName];

/** Why an event was not taken: a name this lane does not know (a newer server), or a bad body. */
export type LaneEventRefusal = 'unknown' | 'unreadable' | 'invalid';

/** Decodes one server-sent event against its schema: the one place a lane reads its stream. */
export function decodeLaneEvent(name: string, data: string): Result<LaneEvent, LaneEventRefusal> {
  if (!Object.hasOwn(LANE_EVENT_SCHEMAS, name)) return { ok: false, error: 'unknown' };
  const type = name as LaneEventName;
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return { ok: false, error: 'unreadable' };
  }
  if (!Value.Check(LANE_EVENT_SCHEMAS[type], body)) return { ok: false, error: 'invalid' };
  return { ok: true, value: { type, data: body } as LaneEvent };
}
