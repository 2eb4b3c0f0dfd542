import type { PayloadResult } from '../payloads/payload-types.js';
import type { CheckpointConfig } from '../schemas/checkpoint-schemas.js';
import type { HealthEntry, ListName, WhitelistEntry } from '../schemas/list-schemas.js';
import type { Decision } from '../schemas/scan-schemas.js';
import type { DecisionColour, PassVerdict, ReasonCode, WarningCode } from './reason-codes.js';

/** Everything the decision depends on. The caller looks the subject up; the policy only decides. */
export interface DecisionInput {
  /** The payload as `parsePayload` read it. */
  readonly payload: PayloadResult;
  /** The health list's entry for the payload's subject; null when not listed (or no subject). */
  readonly health: HealthEntry | null;
  /** The whitelist's entry for the payload's subject; null when not listed (or no subject). */
  readonly whitelist: WhitelistEntry | null;
  readonly checkpoint: CheckpointConfig;
  /** When each list last synced successfully (epoch ms); null if it never has. */
  readonly listsSyncedAt: Readonly<Record<ListName, number | null>>;
  /** When this lane last recorded the very same payload (epoch ms); null if not recently. */
  readonly lastSameScanAt: number | null;
  /** The lane's clock (epoch ms). */
  readonly now: number;
  /**
   * For a signed lane pass (payload format `lane_pass`): what `checkPass` found. Null or absent
   * otherwise; for a pass without a verdict the subject is decided as a scanned personal ID.
   */
  readonly pass?: PassVerdict | null;
}

/** The colour each pass verdict gives when the health list does not block. */
const PASS_COLOURS: Readonly<Record<PassVerdict, DecisionColour>> = {
  pass_valid: 'green',
  pass_expired: 'red',
  pass_not_yet_valid: 'red',
  pass_revoked: 'red',
  pass_signature_invalid: 'amber',
};

/** A sync time this far in the future means the lane's clock went back: trust no freshness. */
const CLOCK_BACKSTEP_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * Is a health entry in force at `at` (epoch ms)? Both bounds are inclusive, null ones open:
 * the importer stores a date-only `until` as that day's last millisecond ("until 18 Sep"
 * includes 18 Sep), so `until` is the last instant in force. Lanes and the server's alert
 * check both decide by this one function.
 */
export function isHealthEntryInForce(entry: Pick<HealthEntry, 'since' | 'until'>, at: number): boolean {
  return (entry.since === null || entry.since <= at) && (entry.until === null || at <= entry.until);
}

/** Does a health entry block its subject at `at`, at a checkpoint blocking these statuses? */
export function healthBlocks(
  entry: HealthEntry | null,
  blockingStatuses: readonly string[],
  at: number,
): boolean {
  return entry !== null && blockingStatuses.includes(entry.status) && isHealthEntryInForce(entry, at);
}

/** Is a list older than the checkpoint's freshness budget (or of unknown age)? */
export function isListStale(syncedAt: number | null, budgetSec: number, now: number): boolean {
  if (syncedAt === null) return true;
  const age = now - syncedAt;
  return age > budgetSec * 1000 || age < -CLOCK_BACKSTEP_TOLERANCE_MS;
}

function decideColour(input: DecisionInput): {
  colour: DecisionColour;
  reasons: ReasonCode[];
  alert: boolean;
} {
  const { payload, health, whitelist, checkpoint, now } = input;
  if (!payload.ok) return { colour: 'amber', reasons: [payload.error.code], alert: false };
  if (payload.value.subject === null)
    return { colour: 'amber', reasons: ['subject_unidentified'], alert: false };

  if (healthBlocks(health, checkpoint.blockingStatuses, now)) {
    return { colour: 'red', reasons: ['health_blocked'], alert: true };
  }
  if (health?.status === 'deceased' && isHealthEntryInForce(health, now)) {
    return { colour: 'amber', reasons: ['health_deceased'], alert: false };
  }

  // A lane pass is a permit for its window, at open and closed checkpoints alike.
  const pass = input.pass ?? null;
  if (pass !== null && payload.value.format === 'lane_pass') {
    return { colour: PASS_COLOURS[pass], reasons: [pass], alert: false };
  }

  if (checkpoint.mode === 'closed') {
    if (whitelist === null) return { colour: 'red', reasons: ['not_whitelisted'], alert: false };
    if (whitelist.validFrom !== null && now < whitelist.validFrom) {
      return { colour: 'red', reasons: ['permit_not_yet_valid'], alert: false };
    }
    if (whitelist.validUntil !== null && now >= whitelist.validUntil) {
      return { colour: 'red', reasons: ['permit_expired'], alert: false };
    }
    if (whitelist.checkpoints !== null && !whitelist.checkpoints.includes(checkpoint.id)) {
      return { colour: 'red', reasons: ['permit_not_valid_here'], alert: false };
    }
    return { colour: 'green', reasons: ['whitelisted'], alert: false };
  }
  return { colour: 'green', reasons: ['not_flagged'], alert: false };
}

/**
 * The lane's decision policy (the decision table of the product brief), as one pure function:
 * health blocks first (red, urgent alert), deceased asks for an identity check (amber), a signed
 * lane pass decides by its verdict (valid: green at any checkpoint; expired, not yet valid or
 * revoked: red; bad signature: amber), closed checkpoints pass only valid whitelist entries,
 * open ones pass anyone not flagged; a green
 * from stale lists becomes amber; unreadable codes are amber; a repeat within the window is
 * decided again but not recorded (and raises no second alert).
 */
export function decide(input: DecisionInput): Decision {
  const { checkpoint, listsSyncedAt, now } = input;
  const { colour, reasons, alert } = decideColour(input);
  let decision = colour;
  if (decision === 'green') {
    const budget = checkpoint.freshnessBudgetSec;
    if (isListStale(listsSyncedAt.health, budget, now)) reasons.push('health_list_stale');
    // A pass's green does not come from the whitelist: only the health list's age matters.
    const fromWhitelist = checkpoint.mode === 'closed' && !reasons.includes('pass_valid');
    if (fromWhitelist && isListStale(listsSyncedAt.whitelist, budget, now)) {
      reasons.push('whitelist_stale');
    }
    if (reasons.length > 1) decision = 'amber';
  }
  const repeatWindowMs = checkpoint.repeatWindowSec * 1000;
  const record = !(
    input.lastSameScanAt !== null &&
    now >= input.lastSameScanAt &&
    now - input.lastSameScanAt < repeatWindowMs
  );
  if (!record) reasons.push('repeat_scan');
  const warnings: WarningCode[] = input.payload.ok ? [...new Set(input.payload.value.warnings)] : [];
  return { decision, reasons, warnings, alert: alert && record, record };
}
