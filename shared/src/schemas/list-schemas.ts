import Type from 'typebox';
import { HEALTH_STATUSES, LIST_NAMES, WHITELIST_CATEGORIES } from '../vocabulary.js';
import { DateMs } from './bounds.js';

/** The two lists a lane decides from. */
export const ListName = Type.Enum(LIST_NAMES);
/** Name of a synced list. */
export type ListName = (typeof LIST_NAMES)[number];

/** Schema of one health status. */
export const HealthStatus = Type.Enum(HEALTH_STATUSES);
/** A health status: F0 (infected), F1 (contact), F2, F3, recovered or deceased. */
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** Schema of one whitelist category. */
export const WhitelistCategory = Type.Enum(WHITELIST_CATEGORIES);
/** A whitelist category. */
export type WhitelistCategory = (typeof WHITELIST_CATEGORIES)[number];

/** Milliseconds since the Unix epoch, or null for "open-ended". */
const EpochMsOrNull = Type.Union([DateMs(), Type.Null()]);

/** What the health list says of one subject (times in epoch ms; null = open-ended). */
export const HealthEntry = Type.Object({
  status: HealthStatus,
  since: EpochMsOrNull,
  until: EpochMsOrNull,
});
/** What the health list says of one subject. */
export type HealthEntry = Readonly<Type.Static<typeof HealthEntry>>;

/** What the whitelist says of one subject (null checkpoints = valid everywhere). */
export const WhitelistEntry = Type.Object({
  category: WhitelistCategory,
  validFrom: EpochMsOrNull,
  validUntil: EpochMsOrNull,
  checkpoints: Type.Union([
    Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 }),
    Type.Null(),
  ]),
});
/** What the whitelist says of one subject. */
export type WhitelistEntry = Readonly<Type.Static<typeof WhitelistEntry>>;
