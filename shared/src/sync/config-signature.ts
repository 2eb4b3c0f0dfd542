// The exact bytes the signature over a checkpoint config or an officer roster covers, defined
// once: the sync server signs them with its current list-signing key, the lane builds them again
// from the decoded object it is about to adopt and verifies with the keys it trusts. Pure text
// here; hashing and Ed25519 stay in Node code (the server's lists/list-signing.ts, the lane's
// sync/config-trust.ts).
import type { RosterOfficer } from '../contract/kiosk-api.js';
import type { CheckpointConfig } from '../schemas/checkpoint-schemas.js';

/** First line of every checkpoint config signature message (`checkpointSignature`). */
export const CONFIG_SIGNATURE_FORMAT = 'CLCFG1';
/**
 * First line of the checkpoint config signature that also covers vehicle mode
 * (`checkpointSignatureV2`, sent beside the CLCFG1 one so lanes that know only CLCFG1 still verify).
 */
export const CONFIG_SIGNATURE_FORMAT_V2 = 'CLCFG2';
/** First line of every officer roster signature message. */
export const ROSTER_SIGNATURE_FORMAT = 'CLROS1';

/**
 * The signatures a checkpoint config travels with (heartbeat answer, `checkpoint` event):
 * CLCFG1 for every lane, CLCFG2 (which covers vehicle mode too) for lanes that know it.
 */
export interface CheckpointSignatures {
  readonly checkpointSignature?: string;
  readonly checkpointSignatureV2?: string;
}

const DIGEST = /^[0-9a-f]{64}$/;

function checkedDigest(digest: string): string {
  if (!DIGEST.test(digest)) throw new Error('config signature: digest must be 64 lower-case hex digits');
  return digest;
}

function checkedCheckpoint(id: string): string {
  if (id.length === 0 || /[\n\r]/.test(id))
    throw new Error('config signature: checkpoint id must be one non-empty line');
  return id;
}

/**
 * A checkpoint config in canonical form, computed from the decoded object (JSON spacing, key
 * order and extra fields on the wire do not matter): the JSON array
 * `[id, name, mode, freshnessBudgetSec, blockingStatuses, repeatWindowSec]`.
 */
export function canonicalCheckpointConfig(c: CheckpointConfig): string {
  return JSON.stringify(cfg1Fields(c));
}

/** The fields CLCFG1 covers, in order. */
function cfg1Fields(c: CheckpointConfig): unknown[] {
  return [c.id, c.name, c.mode, c.freshnessBudgetSec, [...c.blockingStatuses], c.repeatWindowSec];
}

/**
 * A checkpoint config in CLCFG2 canonical form: the CLCFG1 array with vehicle mode appended,
 * `[id, name, mode, freshnessBudgetSec, blockingStatuses, repeatWindowSec, vehicleMode]`, where
 * vehicleMode is `true` or `false` (absent counts as off, as the lane reads it).
 */
export function canonicalCheckpointConfigV2(c: CheckpointConfig): string {
  return JSON.stringify([...cfg1Fields(c), c.vehicleMode === true]);
}

/**
 * The message a CLCFG2 checkpoint config signature covers:
 * `CLCFG2\n{checkpointId}\n{digest}` where digest is the lower-case hex SHA-256 of
 * `canonicalCheckpointConfigV2` (the checkpoint rule as in CLCFG1).
 */
export function checkpointConfigMessageV2(checkpointId: string, digest: string): string {
  return [CONFIG_SIGNATURE_FORMAT_V2, checkedCheckpoint(checkpointId), checkedDigest(digest)].join('\n');
}

/**
 * The message a checkpoint config signature covers:
 * `CLCFG1\n{checkpointId}\n{digest}` where digest is the lower-case hex SHA-256 of
 * `canonicalCheckpointConfig`. `checkpointId` is the checkpoint the lane is enrolled at (a
 * config signed for another checkpoint does not verify).
 */
export function checkpointConfigMessage(checkpointId: string, digest: string): string {
  return [CONFIG_SIGNATURE_FORMAT, checkedCheckpoint(checkpointId), checkedDigest(digest)].join('\n');
}

/**
 * An officer in canonical form: the JSON array `[id, name or null, role, pinHash]` and `\n`.
 * JSON text holds no raw newline, so the lines of a roster are unambiguous.
 */
export function canonicalRosterLine(o: RosterOfficer): string {
  return `${JSON.stringify([o.id, o.name ?? null, o.role, o.pinHash])}\n`;
}

/**
 * The message an officer roster signature covers:
 * `CLROS1\n{checkpointId}\n{version}\n{digest}` where digest is the lower-case hex SHA-256 of
 * the officers' `canonicalRosterLine`s in the order sent.
 */
export function rosterMessage(checkpointId: string, version: number, digest: string): string {
  if (!Number.isSafeInteger(version) || version < 0)
    throw new Error('config signature: version must be a whole number ≥ 0');
  return [
    ROSTER_SIGNATURE_FORMAT,
    checkedCheckpoint(checkpointId),
    String(version),
    checkedDigest(digest),
  ].join('\n');
}
