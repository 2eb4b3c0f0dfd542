import { createHmac, randomBytes } from 'node:crypto';
import {
  canonicalSubjectKey,
  decide,
  isHealthEntryInForce,
  maskSubject,
  normalizePayload,
  parsePayload,
  parsePlate,
  subjectKeyToHex,
  type CardHolder,
  type CheckpointConfig,
  type Decision,
  type DeskPass,
  type HealthStatus,
  type LaneDecision,
  type ParsedPass,
  type PassVerdict,
  type PayloadResult,
  type SubjectKind,
  type VehicleSummary,
  type WhitelistEntry,
} from '@checkpoint-lane/shared';
import { checkPass } from '@checkpoint-lane/shared/pass-verify';
import type { Logger } from 'pino';
import type { ScanInput } from '../scanners/scanner.js';
import type { LaneStore, NewLaneRecord } from '../store/lane-store.js';
import { uuidV7 } from '../store/uuid-v7.js';
import { payloadFingerprint, type LaneKeyers } from './subject-keyer.js';
import type { VehicleTracker } from './vehicle-tracker.js';

/**
 * What the officer may see of a scan beyond its decision. Held in memory with the desk item
 * only: never stored, logged, uploaded, printed by `--json`, or sent to the traveller.
 */
export interface OfficerDetails {
  /** Name and birth date from a chip ID card's QR. */
  readonly holder: CardHolder | null;
  /** The health status behind the decision (F0, F1, F2 …), when the subject is listed now. */
  readonly healthStatus: HealthStatus | null;
  /** The subject as the officer sees it: a plate in full, an ID or passport masked. */
  readonly subject: { readonly kind: SubjectKind; readonly shown: string } | null;
  /** A lane pass's route, validity window and plate (null or absent: not a pass). */
  readonly pass?: DeskPass | null;
}

/**
 * What the gate may know of a scan beyond its decision (never in `LaneDecision`, never stored,
 * logged or sent): `passbackKey`, an opaque key of the scanned code (HMAC-SHA256 of the code's
 * canonical subject, or of the payload's fingerprint for a pass or a code with no subject, under
 * a random key made when the loop is made and held in memory only): the same code gives the same
 * key until the lane restarts. Null: the scan was not recorded.
 */
export interface GateDetails {
  readonly passbackKey: string | null;
}

/** A decision as the lane announces it (display, `--json`): the display channel's `LaneDecision`. */
export type { LaneDecision } from '@checkpoint-lane/shared';

/** What the decision loop needs. */
export interface DecisionLoopOptions {
  readonly store: LaneStore;
  /**
   * Keys subjects with the list key K; null when the lane could not unseal K (a locked lane):
   * then no one can be looked up and every scan is amber `lane_locked`, never green.
   */
  readonly keyers: LaneKeyers | null;
  /**
   * Seals a scan's canonical subject to the server's public key (`subjectSealed`): what the lane
   * uploads instead of a key K opens. Null when the lane has no seal key (enrolled before the
   * server had one): then only a key-0 subject key is uploaded, as such lanes always did.
   */
  readonly sealSubject?: ((canonicalSubject: string) => string) | null;
  readonly checkpoint: () => CheckpointConfig;
  readonly logger: Logger;
  readonly clock?: () => number;
  /**
   * Called for every decision (after it is durably recorded), with what only the officer may
   * see (card holder, health status, plate in full) and what only the gate may know (its
   * anti-passback key): the caller keeps `details` and `gate` in memory only.
   */
  readonly onDecision?: (decision: LaneDecision, details: OfficerDetails, gate: GateDetails) => void;
  /** Called when a decision raised an urgent alert: upload it now. */
  readonly onUrgent?: () => void;
  /**
   * Vehicle mode: the lane's open vehicle, and whether the mode is on now (read for each scan).
   * A recorded plate scan opens a vehicle named by its own record id; a recorded person scan
   * joins the open one; both upload that id as `vehicleId`.
   */
  readonly vehicles?: { readonly enabled: () => boolean; readonly tracker: VehicleTracker } | null;
}

/**
 * payload → parse → look up (keyed hash) → policy → record (durable) → announce. Runs
 * synchronously in well under a millisecond; it never throws for any input.
 */
export class DecisionLoop {
  readonly #o: DecisionLoopOptions;
  readonly #log: Logger;
  readonly #clock: () => number;
  /** Last time each subject key (or payload fingerprint) was recorded here: repeats. */
  readonly #recent = new Map<string, number>();
  /** Keys the gate's passback keys; random per loop (per boot), in memory only, never stored. */
  readonly #passbackSecret = randomBytes(32);

  constructor(options: DecisionLoopOptions) {
    this.#o = options;
    this.#log = options.logger.child({ module: 'decision-loop' });
    this.#clock = options.clock ?? Date.now;
  }

  /** Decides one scan and records it. */
  handle(input: ScanInput): LaneDecision {
    const started = performance.now();
    const now = this.#clock();
    const checkpoint = this.#o.checkpoint();
    const payload = parsePayload(input.text, { now });
    const subject = payload.ok ? payload.value.subject : null;
    // A lane pass: its signature, revocation and window checked against the pass directory held.
    const pass = payload.ok && payload.value.format === 'lane_pass' ? (payload.value.pass ?? null) : null;
    const passVerdict = pass === null ? null : this.#checkPass(pass, now);
    const keyers = this.#o.keyers;
    const key = subject === null || keyers === null ? null : keyers.keyerFor('health')(subject);
    // The same key unless a key rotation has swapped one list and not yet the other.
    const whitelistKeyer = keyers === null ? null : keyers.keyerFor('whitelist');
    const whitelistKey =
      subject === null || whitelistKeyer === null
        ? null
        : whitelistKeyer === keyers?.keyerFor('health')
          ? key
          : whitelistKeyer(subject);
    const store = this.#o.store;
    // A pass repeats only as the very same text: the holder's ID card just before it is another payload.
    const repeatKey =
      key === null || pass !== null ? `p:${payloadFingerprint(normalizePayload(input.text))}` : `k:${key}`;
    this.#forgetOlderThan(now - checkpoint.repeatWindowSec * 1000);
    const health = store.listState('health');
    const whitelist = store.listState('whitelist');
    const healthEntry = key === null ? null : store.lookupHealth(key);
    const whitelistEntry = whitelistKey === null ? null : store.lookupWhitelist(whitelistKey);
    const lastSameScanAt = this.#recent.get(repeatKey) ?? null;
    const decision =
      keyers === null
        ? lockedDecision(payload, checkpoint, lastSameScanAt, now)
        : decide({
            payload,
            health: healthEntry,
            whitelist: whitelistEntry,
            checkpoint,
            listsSyncedAt: { health: health.syncedAt, whitelist: whitelist.syncedAt },
            lastSameScanAt,
            now,
            pass: passVerdict,
          });
    const format = payload.ok ? payload.value.format : (payload.error.format ?? null);
    let scanId: string | null = null;
    let seq: number | null = null;
    const listedNow = healthEntry !== null && isHealthEntryInForce(healthEntry, now);
    const vehicles = this.#o.vehicles?.enabled() === true ? this.#o.vehicles.tracker : null;
    // Vehicle mode: a plate scan names itself (its id made before it is recorded); a person scan
    // belongs to the vehicle open now, if any.
    const isPlate = subject?.kind === 'plate';
    const ownId = decision.record && vehicles !== null && isPlate ? uuidV7(now) : undefined;
    const vehicleId = !decision.record || vehicles === null ? null : (ownId ?? vehicles.openId());
    const greenLane = ownId !== undefined && isGreenLaneHere(whitelistEntry, checkpoint.id, now);
    if (decision.record) {
      const seal = this.#o.sealSubject ?? null;
      const newRecord: NewLaneRecord = {
        type: 'scan',
        source: input.source,
        format,
        // Sealed to the server when the lane can (nothing K opens leaves or stays on the lane);
        // a lane without a seal key still holds the fleet-wide key 0 and uploads its key.
        subjectKey: key === null || seal !== null ? null : subjectKeyToHex(key),
        subjectSealed:
          subject === null || seal === null ? null : this.#sealed(seal, canonicalSubjectKey(subject)),
        decision: decision.decision,
        reasons: decision.reasons,
        warnings: decision.warnings,
        alert: decision.alert,
        // Kept on the lane only: the desk's order after a restart (an F0 first).
        laneHealthStatus:
          listedNow && decision.reasons.some((r) => r === 'health_blocked' || r === 'health_deceased')
            ? healthEntry.status
            : null,
        ...(vehicleId !== null && { vehicleId }),
        // Only a pass a trusted key signed names its id: a forged one must not stand for a real pass.
        ...(pass !== null &&
          passVerdict !== null &&
          passVerdict !== 'pass_signature_invalid' && {
            passId: pass.body.passId,
          }),
      };
      // A plate that opens a vehicle is written with the open vehicle, in one transaction.
      const record =
        ownId === undefined
          ? store.appendRecord(newRecord, now, decision.alert)
          : store.appendPlateScan(newRecord, now, decision.alert, ownId, greenLane);
      scanId = record.id;
      seq = record.seq;
      // Re-inserted so the map stays in time order and expires from the front.
      this.#recent.delete(repeatKey);
      this.#recent.set(repeatKey, now);
    }
    const details: OfficerDetails = {
      holder: payload.ok ? (payload.value.holder ?? null) : null,
      healthStatus: listedNow ? healthEntry.status : null,
      subject:
        subject === null
          ? null
          : {
              kind: subject.kind,
              // A plate is not a secret at a checkpoint: the officer sees it whole.
              shown:
                subject.kind === 'plate'
                  ? ((payload.ok ? payload.value.displayForm : undefined) ?? subject.value)
                  : maskSubject(subject),
            },
      pass: pass === null ? null : passDetails(pass, passVerdict),
    };
    let vehicle: VehicleSummary | null = null;
    if (vehicles !== null && scanId !== null && vehicleId !== null) {
      vehicle =
        ownId === undefined
          ? vehicles.passenger(vehicleId, {
              scanId,
              at: now,
              decision: decision.decision,
              healthStatus: details.healthStatus,
              subject: details.subject,
            })
          : vehicles.plate({
              id: ownId,
              at: now,
              decision: decision.decision,
              shown: details.subject?.shown ?? null,
              greenLane,
            });
    }
    const result: LaneDecision = {
      ...decision,
      warnings: [...decision.warnings],
      scanId,
      seq,
      at: now,
      source: input.source,
      device: input.device,
      format,
      subject: subject === null ? null : { kind: subject.kind, masked: maskSubject(subject) },
      elapsedMs: performance.now() - started,
      ...(vehicle !== null && { vehicle }),
    };
    this.#log.info(
      { decision: result.decision, reasons: result.reasons, source: input.source, seq, format },
      'decision',
    );
    if (result.alert) this.#o.onUrgent?.();
    // The code as the repeat check knows it, but the canonical subject rather than its K key (a
    // key rotation must not make the same person a new code to the gate).
    const gateKey = !decision.record
      ? null
      : pass === null && subject !== null
        ? `s:${canonicalSubjectKey(subject)}`
        : repeatKey;
    const gate: GateDetails = {
      passbackKey:
        gateKey === null
          ? null
          : createHmac('sha256', this.#passbackSecret).update(gateKey).digest('base64url'),
    };
    this.#o.onDecision?.(result, details, gate);
    return result;
  }

  /**
   * The sealed subject, or null if sealing failed (logged without the subject): the scan is
   * recorded all the same, with no subject, since a decision is never lost to its upload form.
   */
  #sealed(seal: (canonicalSubject: string) => string, canonical: string): string | null {
    try {
      return seal(canonical);
    } catch (e) {
      this.#log.error({ error: e instanceof Error ? e.message : 'unknown' }, 'scan subject not sealed');
      return null;
    }
  }

  /** What `checkPass` makes of a pass with the directory held; never throws (a failure is amber). */
  #checkPass(pass: ParsedPass, now: number): PassVerdict {
    try {
      const directory = this.#o.store.passDirectory();
      return checkPass(pass, directory.keys, directory.revoked, now);
    } catch (e) {
      this.#log.error({ error: e instanceof Error ? e.message : 'unknown' }, 'lane pass not checked');
      return 'pass_signature_invalid';
    }
  }

  #forgetOlderThan(cutoff: number): void {
    for (const [k, at] of this.#recent) {
      if (at >= cutoff) break;
      this.#recent.delete(k);
    }
  }
}

/** What the officer sees of a pass: route codes, window, the plate as people write it. */
function passDetails(pass: ParsedPass, verdict: PassVerdict | null): DeskPass {
  const { from, to, validFrom, validUntil, plate } = pass.body;
  return {
    from,
    to,
    validFrom,
    validUntil,
    plate: plate === null ? null : (parsePlate(plate)?.displayForm ?? plate),
    verified: verdict !== null && verdict !== 'pass_signature_invalid',
  };
}

/** Is this whitelist entry a green-lane vehicle's, valid now at this checkpoint? */
function isGreenLaneHere(entry: WhitelistEntry | null, checkpointId: string, now: number): boolean {
  return (
    entry !== null &&
    entry.category === 'green_lane' &&
    (entry.validFrom === null || entry.validFrom <= now) &&
    (entry.validUntil === null || now < entry.validUntil) &&
    (entry.checkpoints === null || entry.checkpoints.includes(checkpointId))
  );
}

/**
 * The decision of a lane that holds no list key: amber `lane_locked` whatever the code (nobody
 * can be looked up, so nobody may pass unchecked), recorded like any scan (repeats within the
 * window are not recorded again).
 */
function lockedDecision(
  payload: PayloadResult,
  checkpoint: CheckpointConfig,
  lastSameScanAt: number | null,
  now: number,
): Decision {
  const record = !(
    lastSameScanAt !== null &&
    now >= lastSameScanAt &&
    now - lastSameScanAt < checkpoint.repeatWindowSec * 1000
  );
  return {
    decision: 'amber',
    reasons: record ? ['lane_locked'] : ['lane_locked', 'repeat_scan'],
    warnings: payload.ok ? [...new Set(payload.value.warnings)] : [],
    alert: false,
    record,
  };
}
