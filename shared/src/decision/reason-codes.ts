/**
 * Stable codes for why a lane decided what it did. They are stored with each scan, uploaded,
 * and shown to the officer (translated by `describeReason`); never renamed once shipped.
 */
export const REASON_CODES = [
  // amber: the code itself
  'payload_empty',
  'payload_too_long',
  'payload_unknown_format',
  'personal_id_invalid',
  'payload_field_invalid',
  'subject_unidentified',
  // health list
  'health_blocked',
  'health_deceased',
  // whitelist (closed checkpoints)
  'whitelisted',
  'not_whitelisted',
  'permit_not_yet_valid',
  'permit_expired',
  'permit_not_valid_here',
  // open checkpoints
  'not_flagged',
  // list freshness
  'health_list_stale',
  'whitelist_stale',
  // repeats and overrides
  'repeat_scan',
  'officer_override',
  // the lane could not open its sealed secrets (list key): it cannot look anyone up
  'lane_locked',
  // signed lane passes (issue 16): what `checkPass` found, see PASS_VERDICTS
  'pass_valid',
  'pass_expired',
  'pass_not_yet_valid',
  'pass_signature_invalid',
  'pass_revoked',
] as const;
/** Why a lane decided what it did. */
export type ReasonCode = (typeof REASON_CODES)[number];

/** What a lane found checking a signed lane pass (`checkPass`); each is also a reason code. */
export const PASS_VERDICTS = [
  'pass_valid',
  'pass_expired',
  'pass_not_yet_valid',
  'pass_signature_invalid',
  'pass_revoked',
] as const satisfies readonly ReasonCode[];
/** What a lane found checking a signed lane pass. */
export type PassVerdict = (typeof PASS_VERDICTS)[number];

/**
 * Things the officer should look at that do not change the decision: the 12-digit ID's
 * digits disagree with the card, or the card came in an unusual form.
 */
export const WARNING_CODES = [
  'id_birth_year_mismatch',
  'id_sex_mismatch',
  'card_reformatted',
  'card_date_invalid',
  'card_sex_unreadable',
  'old_id_malformed',
  'extra_fields_ignored',
] as const;
/** A warning for the officer. */
export type WarningCode = (typeof WARNING_CODES)[number];

/** The three colours of a lane. */
export const DECISIONS = ['green', 'red', 'amber'] as const;
/** A lane's decision. */
export type DecisionColour = (typeof DECISIONS)[number];
