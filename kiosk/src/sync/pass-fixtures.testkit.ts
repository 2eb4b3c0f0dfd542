// Lane passes for the lane's tests: a pass key (Ed25519, node:crypto) that issues `CLP1:` texts
// exactly as the sync server does (shared's passSigningBytes / formatPass), and the signed pass
// directory answer a fake server sends (shared's CLPAS1 message, signed by a list-signing key).
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  formatPass,
  passDirectoryMessage,
  PASSES_SIGNATURE_HEADER,
  passSigningBytes,
  type PassBody,
  type PassDirectory,
  type PassKey,
} from '@checkpoint-lane/shared';
import type { FakeAnswer } from './fake-sync-server.testkit.js';
import type { TestListSigner } from './list-signer.testkit.js';

/** Hanoi (01) → Ho Chi Minh City (79), a district and ward at the destination. */
export const SAMPLE_ROUTE = {
  from: { province: 1, district: null, ward: null },
  to: { province: 79, district: 760, ward: 26734 },
} as const;

/** One pass key: its public half as a directory lists it, and passes it signs. */
export class TestPassKey {
  readonly key: PassKey;
  readonly #private: KeyObject;

  private constructor(key: PassKey, privateKey: KeyObject) {
    this.key = key;
    this.#private = privateKey;
  }

  /** A fresh key `keyId`, for passes beginning in [validFrom, validUntil]. */
  static create(keyId = 1, validFrom = 0, validUntil: number | null = null): TestPassKey {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const x = publicKey.export({ format: 'jwk' }).x ?? '';
    return new TestPassKey({ keyId, publicKey: x, validFrom, validUntil }, privateKey);
  }

  /**
   * A pass's text for `personalId`, valid from `validFrom` (epoch ms, whole seconds) for
   * `minutes`, signed by this key; `body` overrides any field (a random pass id otherwise).
   */
  issue(personalId: string, validFrom: number, minutes = 24 * 60, body: Partial<PassBody> = {}): string {
    const full: PassBody = {
      keyId: this.key.keyId,
      passId: randomBytes(8).toString('hex'),
      personalId,
      validFrom,
      validUntil: validFrom + minutes * 60_000,
      ...SAMPLE_ROUTE,
      plate: null,
      ...body,
    };
    return formatPass(full, sign(null, passSigningBytes(full), this.#private));
  }
}

/** `GET /passes` answered with `directory`, signed by `signer` (or with `signature` as given). */
export function passDirectoryAnswer(
  signer: TestListSigner,
  directory: PassDirectory,
  signature: string | null = signer.signText(passDirectoryMessage(directory)),
): FakeAnswer {
  return {
    json: directory,
    headers: signature === null ? {} : { [PASSES_SIGNATURE_HEADER]: signature },
  };
}
