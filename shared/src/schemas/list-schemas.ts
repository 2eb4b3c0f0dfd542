import Type from 'typebox';
import { DateMs } from './bounds.js';

/** The two lists a lane decides from. */
export const ListName = Type.Union([Type.Literal('health'), Type.Literal('whitelist')]);
/** Name of a synced list. */
export type ListName = Type.Static<typeof ListName>;
/** Every list name, in a stable order. */
export const LIST_NAMES: readonly ListName[] = ['health', 'whitelist'];

/** Health statuses from the product brief, in the order the centre uses them. */
export const HEALTH_STATUSES = ['F0', 'F1', 'F2', 'F3', 'recovered', 'deceased'] as const;
/** Schema of one health status. */
export const HealthStatus = Type.Enum(HEALTH_STATUSES);
/** A health status: F0 (infected), F1 (contact), F2, F3, recovered or deceased. */
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

/** Whitelist categories from the product brief. */
export const WHITELIST_CATEGORIES = [
  'shipper',
  'green_lane',
  'permit',
  'official',
  'medical',
  'other',
] as const;
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
