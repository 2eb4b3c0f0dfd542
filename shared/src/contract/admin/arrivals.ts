// The admin API's arrivals (`GET /api/v1/admin/arrivals`, issue 16): movement declarations whose
// destination is an area, for its police, with whether and where they passed a checkpoint.
// Personal data: the server audits every read.
import Type from 'typebox';
import { AdminTimeText } from './scans.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** An area by GSO codes as declarations carry it (district, ward null when not given). */
export const ArrivalAreaSchema = Type.Object({
  province: Type.Integer(),
  district: Nullable(Type.Integer()),
  ward: Nullable(Type.Integer()),
});

/** `GET /arrivals` query: the destination (province; district and ward narrow it) and a window. */
export const ArrivalsQuerySchema = Type.Object({
  province: Type.Integer({ minimum: 1, maximum: 99 }),
  district: Type.Optional(Type.Integer({ minimum: 1, maximum: 999 })),
  ward: Type.Optional(Type.Integer({ minimum: 1, maximum: 99999 })),
  /** Declarations whose validity window meets [from, to] (default: the last 14 days to 14 days ahead). */
  from: Type.Optional(AdminTimeText),
  to: Type.Optional(AdminTimeText),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
});
/** `GET /arrivals` query. */
export type ArrivalsQuery = Type.Static<typeof ArrivalsQuerySchema>;

/** A passage of an arrival's pass (a scan the lane decided green): its checkpoint and lane time. */
export const ArrivalPassageSchema = Type.Object({
  checkpointId: Type.String(),
  checkpointName: Type.String(),
  at: Type.Integer(),
});

/**
 * One declared arrival. Nothing in it tells a declaration held by the health list (no pass issued)
 * from one whose pass was not scanned yet: both have no passage; no pass id is given.
 */
export const ArrivalSchema = Type.Object({
  declarationId: Type.String(),
  personalId: Type.String(),
  fullName: Type.String(),
  phone: Type.String(),
  from: ArrivalAreaSchema,
  to: ArrivalAreaSchema,
  travelDate: Type.String(),
  plate: Nullable(Type.String()),
  validFrom: Type.Integer(),
  validUntil: Type.Integer(),
  revoked: Type.Boolean(),
  /** The pass's last green scan at a checkpoint (a passage), null when none. */
  passage: Nullable(ArrivalPassageSchema),
  /** How many green scans (passages) the pass has; a lane's red or amber is not counted. */
  passages: Type.Integer(),
});
/** One declared arrival. */
export type Arrival = Type.Static<typeof ArrivalSchema>;

/** `GET /arrivals` answer: by validity start, then declaration id. */
export const ArrivalsAnswerSchema = Type.Object({
  arrivals: Type.Array(ArrivalSchema),
  from: Type.Integer(),
  to: Type.Integer(),
});
/** `GET /arrivals` answer. */
export type ArrivalsAnswer = Type.Static<typeof ArrivalsAnswerSchema>;
