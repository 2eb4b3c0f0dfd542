import {
  LIST_NAMES,
  type CheckpointConfig,
  type CheckpointSignatures,
  type GateReport,
  type ListName,
  type ListRefusalReport,
  type ListSigningKey,
} from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { DeviceState } from '../scanners/scanner.js';
import type { LaneStore } from '../store/lane-store.js';
import type { LinkState } from './link-state.js';
import type { ServerApi } from './server-api.js';

/** Options of the heartbeat. */
export interface HeartbeatOptions {
  readonly api: Pick<ServerApi, 'heartbeat'>;
  readonly store: Pick<LaneStore, 'listState' | 'backlog'>;
  readonly link: LinkState;
  readonly logger: Logger;
  readonly clock: () => number;
  readonly devices: () => readonly DeviceState[];
  /** This lane's checkpoint (a pushed config of another is ignored). */
  readonly checkpointId: () => string;
  /** Takes in the checkpoint config the server answers or pushes. */
  readonly onCheckpoint?: (checkpoint: CheckpointConfig) => void;
  /**
   * The checkpoint config of this lane's checkpoint to adopt, checked by its signatures (the
   * config as sent, one with a field the signature does not cover kept as it was, or null:
   * refused); without it, every such config is adopted as sent.
   */
  readonly verifyCheckpoint?: (
    checkpoint: CheckpointConfig,
    signatures: CheckpointSignatures,
  ) => CheckpointConfig | null;
  /** The server named its officer roster version. */
  readonly onOfficersVersion?: (version: unknown) => void;
  /** The list data this lane refused so far (reported to the centre). */
  readonly listRefusals?: () => ListRefusalReport | undefined;
  /** The gate of a lane in gate mode or driving a relay (undefined: none). */
  readonly gate?: () => GateReport | undefined;
  /** The server named its list-signing keys. */
  readonly onSigningKeys?: (keys: readonly ListSigningKey[]) => void;
  /** The server named the current list key of this lane's key scope. */
  readonly onListKeyId?: (keyId: number) => void;
}

/**
 * The lane's heartbeat: reports list versions, backlog, devices (the relay board among them), the
 * list data it refused and its gate (gate mode or a relay);
 * takes the server's clock offset, checkpoint config, roster version, list-signing keys and
 * current list key id from the answer. It also owns the order of the
 * two ways a checkpoint config arrives: a config pushed while a heartbeat was in flight is
 * newer than that heartbeat's answer, which is then not applied.
 */
export class Heartbeat {
  readonly #o: HeartbeatOptions;
  readonly #log: Logger;
  #pending = false;
  /** Checkpoint configs pushed so far (a heartbeat answer older than one is not applied). */
  #pushes = 0;

  constructor(options: HeartbeatOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  /** Beats now and then every `everyMs` (each after the previous one ended) while the sync runs. */
  start(everyMs: number): void {
    this.#pending = false;
    const run = (): void => {
      void this.beat().finally(() => {
        this.#o.link.later(everyMs, run);
      });
    };
    run();
  }

  /**
   * Sends a heartbeat within a second (coalescing calls), so the fleet view sees a new list
   * version or device state now rather than at the next periodic heartbeat.
   */
  soon(): void {
    if (this.#pending) return;
    this.#pending = true;
    this.#o.link.later(1000, () => {
      this.#pending = false;
      void this.beat();
    });
  }

  /** Sends a heartbeat; adopts the checkpoint config the server answers with. */
  async beat(): Promise<void> {
    const { store, link, clock } = this.#o;
    const pushesBefore = this.#pushes;
    const running = link.running();
    const versions = Object.fromEntries(LIST_NAMES.map((l) => [l, store.listState(l).version])) as Record<
      ListName,
      number
    >;
    const refusals = this.#o.listRefusals?.();
    const gate = this.#o.gate?.();
    const res = await this.#o.api.heartbeat({
      listVersions: versions,
      backlog: store.backlog().count,
      devices: this.#o
        .devices()
        .map((d) => ({ name: d.device.slice(0, 64), kind: d.kind, status: d.status })),
      clock: clock(),
      ...(refusals !== undefined && { listRefusals: refusals }),
      ...(gate !== undefined && { gate }),
    });
    // Stopped while it was in flight: the lane's store may be closed already.
    if (running && !link.running()) return;
    if (!res.ok) {
      link.failed(res.error, 'heartbeat');
      return;
    }
    link.succeeded();
    link.setClockSkew(res.value.serverTime - clock());
    // Keys first: a config signed by a key the server just rotated to verifies in the same answer.
    if (res.value.listSigningKeys !== undefined) this.#o.onSigningKeys?.(res.value.listSigningKeys);
    // A config pushed while this heartbeat was in flight is newer than its answer.
    const adopted = this.#pushes === pushesBefore ? this.#acceptable(res.value.checkpoint, res.value) : null;
    if (adopted !== null) this.#o.onCheckpoint?.(adopted);
    this.#o.onOfficersVersion?.(res.value.officersVersion);
    if (res.value.listKeyId !== undefined) this.#o.onListKeyId?.(res.value.listKeyId);
    link.changed();
  }

  /**
   * The config from the server (answer or push) to adopt, or null: this lane's checkpoint,
   * signed (see `verifyCheckpoint`).
   */
  #acceptable(config: CheckpointConfig, signatures: CheckpointSignatures): CheckpointConfig | null {
    const mine = this.#o.checkpointId();
    if (config.id !== mine) {
      this.#log.warn({ checkpoint: config.id, mine }, 'config of another checkpoint ignored');
      // The check refuses it too and counts the refusal.
      this.#o.verifyCheckpoint?.(config, signatures);
      return null;
    }
    return this.#o.verifyCheckpoint === undefined ? config : this.#o.verifyCheckpoint(config, signatures);
  }

  /**
   * A checkpoint config pushed by the server: in force at once (mode, freshness budget,
   * blocking statuses), not at the next heartbeat. A heartbeat answer already on its way was
   * read before this push, so it must not put the old config back (see `beat`).
   */
  checkpointPushed(config: CheckpointConfig, signatures: CheckpointSignatures = {}): void {
    const adopted = this.#acceptable(config, signatures);
    if (adopted === null) return;
    this.#pushes++;
    this.#o.onCheckpoint?.(adopted);
    this.#log.info({ checkpoint: config.id, mode: config.mode }, 'checkpoint config pushed');
  }
}
