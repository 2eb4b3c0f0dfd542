import type { Readable } from 'node:stream';
import {
  decodeLaneEvent,
  type CheckpointConfig,
  type CheckpointSignatures,
  type LaneEvent,
  type ListName,
  type ListSigningKey,
} from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import type { LinkState } from './link-state.js';
import type { ServerApi } from './server-api.js';
import { SseParser } from './sse-parser.js';

/** What the lane does with each event of its stream (revocation the link state handles itself). */
export interface LaneEventTargets {
  /** The stream (re)connected: a change made while it was down was pushed to nobody. */
  readonly connected: () => void;
  /** A list is at `version` on the server. */
  readonly listVersion: (list: ListName, version: number) => void;
  /** Health entries that block here, ahead of their delta (signed: checked before they are applied). */
  readonly urgent: (push: Extract<LaneEvent, { type: 'urgent' }>['data']) => void;
  /** The server's list-signing keys changed (a rotation). */
  readonly signingKeys: (keys: readonly ListSigningKey[]) => void;
  /** The lane's key scope has a new list key (a rotation). */
  readonly listKey: (keyId: number) => void;
  /** This lane's checkpoint config, changed centrally. */
  readonly checkpoint: (config: CheckpointConfig, signatures: CheckpointSignatures) => void;
  /** The officer roster is at `version` on the server. */
  readonly officers: (version: number) => void;
  /** The pass directory (pass keys, revoked passes) is at `version` on the server. */
  readonly passes: (version: number) => void;
}

/** Options of the event stream. */
export interface EventStreamOptions {
  readonly api: Pick<ServerApi, 'events'>;
  readonly link: LinkState;
  readonly logger: Logger;
  readonly targets: LaneEventTargets;
}

/**
 * The server's push channel (`GET /api/v1/kiosk/events`): kept open while the sync runs and
 * reconnected with back-off; each event decoded once (`decodeLaneEvent`) and dispatched by
 * type, so an event the server gains without a branch here does not compile.
 */
export class EventStream {
  readonly #o: EventStreamOptions;
  readonly #log: Logger;
  #done: Promise<void> = Promise.resolve();

  constructor(options: EventStreamOptions) {
    this.#o = options;
    this.#log = options.logger;
  }

  /** Starts the connect–read–reconnect loop (the link must be running); ends when it stops or is revoked. */
  start(): void {
    this.#done = this.#loop();
  }

  /** Resolves once the loop has ended. */
  done(): Promise<void> {
    return this.#done;
  }

  /** Decodes and dispatches one server-sent event; a bad or unknown one is logged and ignored. */
  receive(name: string, data: string): void {
    const decoded = decodeLaneEvent(name, data);
    if (!decoded.ok) {
      if (decoded.error === 'unknown') this.#log.debug({ event: name }, 'unknown event ignored');
      else this.#log.warn({ event: name, reason: decoded.error }, 'bad event ignored');
      return;
    }
    this.#dispatch(decoded.value);
  }

  #dispatch(e: LaneEvent): void {
    const t = this.#o.targets;
    switch (e.type) {
      case 'hello':
        t.connected();
        return;
      case 'list-version':
        t.listVersion(e.data.list, e.data.version);
        return;
      case 'urgent':
        t.urgent(e.data);
        return;
      case 'signing-keys':
        t.signingKeys(e.data.keys);
        return;
      case 'checkpoint': {
        const { checkpointSignature, checkpointSignatureV2, ...config } = e.data;
        t.checkpoint(config, {
          ...(checkpointSignature !== undefined && { checkpointSignature }),
          ...(checkpointSignatureV2 !== undefined && { checkpointSignatureV2 }),
        });
        return;
      }
      case 'officers':
        t.officers(e.data.version);
        return;
      case 'list-key':
        t.listKey(e.data.keyId);
        return;
      case 'passes':
        t.passes(e.data.version);
        return;
      case 'revoked':
        this.#o.link.revoke();
        return;
      default: {
        // A new event in LANE_EVENT_SCHEMAS without a branch here does not compile.
        const unhandled: never = e;
        return unhandled;
      }
    }
  }

  async #loop(): Promise<void> {
    const link = this.#o.link;
    let attempt = 0;
    while (link.running() && !link.revoked()) {
      const res = await this.#o.api.events(link.signal);
      if (res.ok) {
        attempt = 0;
        link.succeeded();
        this.#log.info('event stream connected');
        await this.#read(res.value);
        if (!link.running()) return;
        this.#log.info('event stream ended');
      } else {
        link.failed(res.error, 'events');
      }
      await link.sleep(link.retryDelay(attempt++));
    }
  }

  async #read(stream: Readable): Promise<void> {
    const parser = new SseParser();
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        for (const event of parser.push(chunk.toString('utf8'))) this.receive(event.event, event.data);
      }
    } catch {
      // The connection dropped (or we are stopping): the loop reconnects.
    }
  }
}
