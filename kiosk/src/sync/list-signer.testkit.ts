// A list signer for the lane's sync tests: an Ed25519 key (node:crypto) that signs snapshots,
// changes answers and urgent pushes exactly as the sync server does (the shared CLSIG2 message),
// and rotates to a new key endorsed by itself (the CLKEY1 message).
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import {
  checkpointConfigMessage,
  checkpointConfigMessageV2,
  formatListSignature,
  keyEndorsementMessage,
  LIST_COUNT_HEADER,
  LIST_ISSUED_AT_HEADER,
  LIST_KEY_ID_HEADER,
  LIST_SIGNATURE_HEADER,
  LIST_VERSION_HEADER,
  listSignatureMessage,
  listSignatureScope,
  rosterMessage,
  type CheckpointConfig,
  type ListName,
  type ListSigningKey,
  type OfficerRoster,
  type SignedListFacts,
  type WireChange,
} from '@checkpoint-lane/shared';
import type { FakeAnswer } from './fake-sync-server.testkit.js';
import { checkpointConfigDigest, checkpointConfigDigestV2, rosterDigest } from './config-trust.js';
import { changesDigest } from './list-trust.js';

/** A delta as a test writes it, before it is signed. */
export interface ChangesBody {
  readonly list: ListName;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly changes: readonly WireChange[];
}

/** One signing key, its public half as the server publishes it. */
export class TestListSigner {
  /** The `issuedAt` answers are signed with unless a test names one (a test file with a fixed lane clock sets it). */
  static issuedAt: () => number = Date.now;
  readonly key: ListSigningKey;
  readonly #private: KeyObject;

  private constructor(key: ListSigningKey, privateKey: KeyObject) {
    this.key = key;
    this.#private = privateKey;
  }

  /** A fresh key, current since `validFrom`. */
  static create(validFrom = 0): TestListSigner {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
    const key: ListSigningKey = {
      id: createHash('sha256').update(raw).digest('hex').slice(0, 16),
      publicKey: raw.toString('base64'),
      validFrom,
      validUntil: null,
    };
    return new TestListSigner(key, privateKey);
  }

  /** `keyId:base64` over a UTF-8 message. */
  signText(message: string): string {
    return formatListSignature(
      this.key.id,
      sign(null, Buffer.from(message, 'utf8'), this.#private).toString('base64'),
    );
  }

  /** The signature over what a lane will hold. */
  sign(facts: SignedListFacts): string {
    return this.signText(listSignatureMessage(facts));
  }

  /**
   * A new key endorsed by this one, which stops at `validUntil`: `[this key retired, the new
   * key endorsed]` as the server then publishes them, and the new signer.
   */
  rotate(now: number, validUntil: number): { keys: [ListSigningKey, ListSigningKey]; next: TestListSigner } {
    const fresh = TestListSigner.create(now);
    const endorsement = sign(
      null,
      Buffer.from(keyEndorsementMessage(fresh.key, { id: this.key.id, validUntil }), 'utf8'),
      this.#private,
    ).toString('base64');
    const endorsed: ListSigningKey = {
      ...fresh.key,
      endorsement: { by: this.key.id, signature: endorsement },
    };
    const next = new TestListSigner(endorsed, fresh.#private);
    return { keys: [{ ...this.key, validUntil }, endorsed], next };
  }

  /**
   * A snapshot answer: its bytes, version header and signature headers for a lane at
   * `checkpointId` that holds `count` entries once it is applied; keyed with list key `keyId`
   * (its header sent unless 0, as servers before key scopes answer).
   */
  snapshot(
    list: ListName,
    version: number,
    bytes: Uint8Array,
    count: number,
    checkpointId: string,
    issuedAt = TestListSigner.issuedAt(),
    keyId = 0,
  ): FakeAnswer {
    const digest = createHash('sha256').update(bytes).digest('hex');
    const signature = this.sign({
      kind: 'snapshot',
      list,
      scope: listSignatureScope(list, checkpointId, keyId),
      fromVersion: 0,
      toVersion: version,
      count,
      issuedAt,
      digest,
    });
    return {
      bytes,
      headers: {
        [LIST_VERSION_HEADER]: String(version),
        [LIST_COUNT_HEADER]: String(count),
        [LIST_SIGNATURE_HEADER]: signature,
        [LIST_ISSUED_AT_HEADER]: String(issuedAt),
        ...(keyId !== 0 && { [LIST_KEY_ID_HEADER]: String(keyId) }),
      },
    };
  }

  /**
   * A changes answer's body, signed for a lane at `checkpointId` that then holds `count` entries,
   * keyed with list key `keyId` (named in the body unless 0).
   */
  changes(
    body: ChangesBody,
    count: number,
    checkpointId: string,
    issuedAt = TestListSigner.issuedAt(),
    keyId = 0,
  ): ChangesBody & { count: number; signature: string; issuedAt: number; keyId?: number } {
    const signature = this.sign({
      kind: 'changes',
      list: body.list,
      scope: listSignatureScope(body.list, checkpointId, keyId),
      fromVersion: body.fromVersion,
      toVersion: body.toVersion,
      count,
      issuedAt,
      digest: changesDigest(body.changes),
    });
    return { ...body, count, signature, issuedAt, ...(keyId !== 0 && { keyId }) };
  }

  /** An urgent push's body, signed, keyed with list key `keyId` (named unless 0). */
  urgent(
    fromVersion: number,
    toVersion: number,
    changes: readonly WireChange[],
    issuedAt = TestListSigner.issuedAt(),
    keyId = 0,
  ) {
    const signature = this.sign({
      kind: 'urgent',
      list: 'health',
      scope: listSignatureScope('health', '', keyId),
      fromVersion,
      toVersion,
      count: changes.length,
      issuedAt,
      digest: changesDigest(changes),
    });
    return {
      list: 'health' as const,
      fromVersion,
      toVersion,
      changes: [...changes],
      signature,
      issuedAt,
      ...(keyId !== 0 && { keyId }),
    };
  }

  /** The CLCFG1 signature over a checkpoint config for lanes at `checkpointId` (default: the config's own). */
  checkpointSignature(config: CheckpointConfig, checkpointId = config.id): string {
    return this.signText(checkpointConfigMessage(checkpointId, checkpointConfigDigest(config)));
  }

  /** The CLCFG2 signature (vehicle mode covered) over a checkpoint config for lanes at `checkpointId`. */
  checkpointSignatureV2(config: CheckpointConfig, checkpointId = config.id): string {
    return this.signText(checkpointConfigMessageV2(checkpointId, checkpointConfigDigestV2(config)));
  }

  /** A `checkpoint` event's body: the config and its CLCFG1 signature (a server before CLCFG2). */
  checkpointEvent(config: CheckpointConfig): CheckpointConfig & { checkpointSignature: string } {
    return { ...config, checkpointSignature: this.checkpointSignature(config) };
  }

  /** A `checkpoint` event's body as servers since CLCFG2 send it: the config and both signatures. */
  checkpointEventV2(
    config: CheckpointConfig,
  ): CheckpointConfig & { checkpointSignature: string; checkpointSignatureV2: string } {
    return { ...this.checkpointEvent(config), checkpointSignatureV2: this.checkpointSignatureV2(config) };
  }

  /** An officers answer, signed for lanes at `checkpointId`. */
  roster(checkpointId: string, roster: OfficerRoster): OfficerRoster & { signature: string } {
    const signature = this.signText(
      rosterMessage(checkpointId, roster.version, rosterDigest(roster.officers)),
    );
    return { ...roster, signature };
  }
}
