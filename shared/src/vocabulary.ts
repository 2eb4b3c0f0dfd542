// The words every package shares: list names, health statuses, whitelist categories, roles,
// override reasons and the limits two processes must agree on. Plain constants, no TypeBox, so
// the console and the lane display import them at no bundle cost; the schemas in `schemas/`
// and `contract/` are built from these, never the other way round.

/** The two lists a lane decides from, in a stable order. */
export const LIST_NAMES = ['health', 'whitelist'] as const;

/** Health statuses from the product brief, in the order the centre uses them. */
export const HEALTH_STATUSES = ['F0', 'F1', 'F2', 'F3', 'recovered', 'deceased'] as const;
/** A health status: F0 (infected), F1 (contact), F2, F3, recovered or deceased. */
export type HealthStatusCode = (typeof HEALTH_STATUSES)[number];

/** Whitelist categories from the product brief. */
export const WHITELIST_CATEGORIES = [
  'shipper',
  'green_lane',
  'permit',
  'official',
  'medical',
  'other',
] as const;
/** A whitelist category. */
export type WhitelistCategoryCode = (typeof WHITELIST_CATEGORIES)[number];

/** Roles of a lane officer on a checkpoint's roster. */
export const OFFICER_ROLES = ['officer', 'supervisor'] as const;
/** A lane officer's role. */
export type OfficerRoleCode = (typeof OFFICER_ROLES)[number];

/** Roles of a console account. */
export const ACCOUNT_ROLES = ['admin', 'viewer'] as const;
/** A console account's role. */
export type AccountRoleCode = (typeof ACCOUNT_ROLES)[number];

/**
 * Why an officer overrode a decision: the lane offers these codes, stores the code, and the
 * console words it. The words live with each screen (the display's and the console's tables).
 */
export const OVERRIDE_REASONS = [
  'identity_checked',
  'medical_emergency',
  'official_duty',
  'document_mismatch',
  'list_error',
  'other',
] as const;
/** An override reason code. */
export type OverrideReasonCode = (typeof OVERRIDE_REASONS)[number];

/**
 * Most health changes one `urgent` push carries (to a lane and to the console's alert sample).
 * A larger change goes by `list-version` and the delta alone.
 */
export const URGENT_MAX_CHANGES = 100;
