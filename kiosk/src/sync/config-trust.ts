// The check a checkpoint config and an officer roster pass before the lane adopts them: signed
// by a list-signing key the lane trusts (config-signature.ts in shared defines the bytes), for
// this lane's checkpoint. A lane that trusts no key yet (enrolled before signed lists, before its
// first heartbeat) takes them as before.
//
// Vehicle mode and mixed fleets: CLCFG1 does not cover `vehicleMode`; CLCFG2 (sent beside it by
// newer servers as `checkpointSignatureV2`) does. A lane prefers CLCFG2: when it is given, it alone
// decides (a bad one refuses the config, never falling back to CLCFG1). When only CLCFG1 is
// given (a server from before CLCFG2, or someone who stripped the CLCFG2 signature in transit),
// the lane adopts every signed field but keeps the vehicle mode it has: an unsigned vehicleMode
// can neither turn vehicle mode on (linking strangers into "vehicles", i.e. false contacts) nor
// off (losing the links tracing needs). Vehicle mode then changes only by a CLCFG2 config, the
// enrollment answer, or the lane's own `--vehicle-mode`. Lanes from before CLCFG2 verify CLCFG1
// and ignore the other field, so they keep working with newer servers.
import { createHash } from 'node:crypto';
import {
  canonicalCheckpointConfig,
  canonicalCheckpointConfigV2,
  canonicalRosterLine,
  checkpointConfigMessage,
  checkpointConfigMessageV2,
  rosterMessage,
  type CheckpointConfig,
  type CheckpointSignatures,
  type ListRefusalReason,
  type OfficerRoster,
} from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { ListRefusals, ListTrust } from './list-trust.js';

/** SHA-256 (hex) of a checkpoint config's canonical form. */
export function checkpointConfigDigest(config: CheckpointConfig): string {
  return createHash('sha256').update(canonicalCheckpointConfig(config), 'utf8').digest('hex');
}

/** SHA-256 (hex) of a checkpoint config's CLCFG2 canonical form (vehicle mode covered). */
export function checkpointConfigDigestV2(config: CheckpointConfig): string {
  return createHash('sha256').update(canonicalCheckpointConfigV2(config), 'utf8').digest('hex');
}

/** SHA-256 (hex) of a roster's officers in canonical form, in the order given. */
export function rosterDigest(officers: OfficerRoster['officers']): string {
  const h = createHash('sha256');
  for (const o of officers) h.update(canonicalRosterLine(o), 'utf8');
  return h.digest('hex');
}

/** Options of the config check. */
export interface ConfigTrustOptions {
  readonly trust: Pick<ListTrust, 'pinned' | 'verifyDetached'>;
  readonly refusals: Pick<ListRefusals, 'record'>;
  readonly logger: Logger;
  readonly clock: () => number;
  /** The checkpoint this lane is enrolled at. */
  readonly checkpointId: () => string;
  /**
   * The vehicle mode of the config in force: what a config signed only over CLCFG1 keeps
   * (absent: off).
   */
  readonly vehicleMode?: () => boolean;
  /**
   * Called after a refusal is counted (the heartbeat reports it), but not again for the same
   * data refused again (a heartbeat answer refused at every beat would otherwise beat at once).
   */
  readonly onRefused?: () => void;
}

/** Checks checkpoint configs and officer rosters from the server before they are adopted. */
export class ConfigTrust {
  readonly #o: ConfigTrustOptions;
  /** What was refused last (message and signature): the same refused again is only counted. */
  #lastRefused: string | undefined;
  /** The unsigned vehicle mode ignored last (logged once, not at every heartbeat). */
  #lastUnsignedVehicleMode: boolean | undefined;

  constructor(options: ConfigTrustOptions) {
    this.#o = options;
  }

  /**
   * The checkpoint config to adopt, or null: of this lane's checkpoint and, once the lane trusts
   * a key, signed for this checkpoint: over CLCFG2 when that signature is given (the config as
   * sent), else over CLCFG1 (the config with the vehicle mode in force kept: see the top of this
   * file). A refusal is logged (no config values) and counted.
   */
  checkpoint(config: CheckpointConfig, signatures: CheckpointSignatures = {}): CheckpointConfig | null {
    const { checkpointSignature, checkpointSignatureV2 } = signatures;
    const mine = this.#o.checkpointId();
    if (config.id !== mine) {
      if (this.#o.trust.pinned())
        this.#refused(
          'bad_signature',
          `${canonicalCheckpointConfigV2(config)}\n${checkpointSignature}\n${checkpointSignatureV2}`,
        );
      return null;
    }
    if (!this.#o.trust.pinned()) return config;
    const v2 = checkpointSignatureV2 !== undefined;
    const message = v2
      ? checkpointConfigMessageV2(mine, checkpointConfigDigestV2(config))
      : checkpointConfigMessage(mine, checkpointConfigDigest(config));
    const signature = v2 ? checkpointSignatureV2 : checkpointSignature;
    const checked = this.#o.trust.verifyDetached(message, signature, this.#o.clock());
    if (!checked.ok) {
      this.#o.logger.warn(
        { reason: checked.error, format: v2 ? 'CLCFG2' : 'CLCFG1' },
        'checkpoint config refused (signature); the current one stays in force',
      );
      this.#refused(checked.error, `${message}\n${signature}`);
      return null;
    }
    if (v2) return config;
    return this.#keepVehicleMode(config);
  }

  /** A config signed over CLCFG1 only, with the vehicle mode in force instead of the one sent. */
  #keepVehicleMode(config: CheckpointConfig): CheckpointConfig {
    const { vehicleMode: sent, ...rest } = config;
    const kept = this.#o.vehicleMode?.() === true;
    if ((sent === true) !== kept && this.#lastUnsignedVehicleMode !== sent) {
      this.#o.logger.warn(
        { sent: sent === true, kept },
        'vehicle mode setting not signed (CLCFG1 only: a server before CLCFG2?); the lane keeps its own',
      );
    }
    this.#lastUnsignedVehicleMode = sent;
    return kept ? { ...rest, vehicleMode: true } : rest;
  }

  /**
   * Whether an officer roster may be adopted: once the lane trusts a key, signed for this lane's
   * checkpoint and version. A refusal is logged (no officer data) and counted.
   */
  roster(roster: Pick<OfficerRoster, 'version' | 'officers'>, signature: string | undefined): boolean {
    if (!this.#o.trust.pinned()) return true;
    const message = rosterMessage(this.#o.checkpointId(), roster.version, rosterDigest(roster.officers));
    const checked = this.#o.trust.verifyDetached(message, signature, this.#o.clock());
    if (checked.ok) return true;
    this.#o.logger.warn(
      { reason: checked.error, version: roster.version },
      'officer roster refused (signature); the current officers stay in force',
    );
    this.#refused(checked.error, `${message}\n${signature}`);
    return false;
  }

  #refused(reason: ListRefusalReason, what: string): void {
    this.#o.refusals.record(null, reason, this.#o.clock());
    if (what === this.#lastRefused) return;
    this.#lastRefused = what;
    this.#o.onRefused?.();
  }
}
