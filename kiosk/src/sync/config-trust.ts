// The check a checkpoint config and an officer roster pass before the lane adopts them: signed
// by a list-signing key the lane trusts (config-signature.ts in shared defines the bytes), for
// this lane's checkpoint. A lane that trusts no key yet (enrolled before signed lists, before its
// first heartbeat) takes them as before.
import { createHash } from 'node:crypto';
import {
  canonicalCheckpointConfig,
  canonicalRosterLine,
  checkpointConfigMessage,
  rosterMessage,
  type CheckpointConfig,
  type ListRefusalReason,
  type OfficerRoster,
} from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { ListRefusals, ListTrust } from './list-trust.js';

/** SHA-256 (hex) of a checkpoint config's canonical form. */
export function checkpointConfigDigest(config: CheckpointConfig): string {
  return createHash('sha256').update(canonicalCheckpointConfig(config), 'utf8').digest('hex');
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

  constructor(options: ConfigTrustOptions) {
    this.#o = options;
  }

  /**
   * Whether a checkpoint config may be adopted: of this lane's checkpoint and, once the lane
   * trusts a key, signed for this checkpoint. A refusal is logged (no config values) and counted.
   */
  checkpoint(config: CheckpointConfig, signature: string | undefined): boolean {
    const mine = this.#o.checkpointId();
    if (config.id !== mine) {
      if (this.#o.trust.pinned())
        this.#refused('bad_signature', `${canonicalCheckpointConfig(config)}\n${signature}`);
      return false;
    }
    if (!this.#o.trust.pinned()) return true;
    const message = checkpointConfigMessage(mine, checkpointConfigDigest(config));
    const checked = this.#o.trust.verifyDetached(message, signature, this.#o.clock());
    if (checked.ok) return true;
    this.#o.logger.warn(
      { reason: checked.error },
      'checkpoint config refused (signature); the current one stays in force',
    );
    this.#refused(checked.error, `${message}\n${signature}`);
    return false;
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
