import { CheckpointConfig, ListName } from '@checkpoint-lane/shared';
import Type from 'typebox';
import Value from 'typebox/value';

const Version = Type.Integer({ minimum: 0 });

/** The body of each event the server sends on `GET /api/v1/kiosk/events`, by event name. */
export const KIOSK_EVENT_SCHEMAS = {
  /** First event of every stream. */
  hello: Type.Object({ kioskId: Type.String(), checkpointId: Type.String(), serverTime: Type.Integer() }),
  /** A list is at a new version: fetch its changes. */
  'list-version': Type.Object({ list: ListName, version: Version }),
  /** Health entries that block at this lane's checkpoint, ahead of their delta. */
  urgent: Type.Object({
    list: Type.Literal('health'),
    fromVersion: Type.Optional(Version),
    toVersion: Type.Optional(Version),
    changes: Type.Array(
      Type.Object({
        key: Type.String(),
        op: Type.Union([Type.Literal('put'), Type.Literal('delete')]),
        entry: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      }),
      { maxItems: 1000 },
    ),
  }),
  /** This lane's checkpoint has a new config (the whole config, as heartbeats answer it). */
  checkpoint: CheckpointConfig,
  /** The officer roster is at a new version: fetch this checkpoint's roster. */
  officers: Type.Object({ version: Version }),
  /** This lane's token was revoked. */
  revoked: Type.Object({}),
};

/** Name of an event a lane understands. */
export type KioskEventName = keyof typeof KIOSK_EVENT_SCHEMAS;

/** One event from the server, checked: switch on `type` and the compiler knows `data`. */
export type KioskEvent = {
  [K in KioskEventName]: { readonly type: K; readonly data: Type.Static<(typeof KIOSK_EVENT_SCHEMAS)[K]> };
}[KioskEventName];

/** Why an event was not taken: a name this lane does not know (a newer server), or a bad body. */
export type KioskEventRefusal = 'unknown' | 'unreadable' | 'invalid';

/** Checks one server-sent event against its schema. */
export function parseKioskEvent(
  name: string,
  data: string,
): { ok: true; event: KioskEvent } | { ok: false; reason: KioskEventRefusal } {
  if (!Object.hasOwn(KIOSK_EVENT_SCHEMAS, name)) return { ok: false, reason: 'unknown' };
  const type = name as KioskEventName;
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
  if (!Value.Check(KIOSK_EVENT_SCHEMAS[type], body)) return { ok: false, reason: 'invalid' };
  return { ok: true, event: { type, data: body } as KioskEvent };
}
