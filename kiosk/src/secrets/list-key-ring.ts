// The list keys K a lane holds, kept in its sealed vault: the newest (the credentials'
// `listKey`/`listKeyId`) and, during a key rotation, the older ones a list is still keyed with.
// Every change is written through `LaneVault.update` (sealed again); a key no list uses is dropped.
import { fail, ok, type ListKeyAnswer, type Result } from '@checkpoint-lane/shared';
import { createSubjectKeyer, type SubjectKeyer } from '../agent/subject-keyer.js';
import type { LaneCredentials } from '../sync/credentials.js';
import type { VaultProblem } from './lane-vault.js';

/** The part of the vault the ring reads and writes. */
export interface KeyVault {
  readonly credentials: LaneCredentials;
  update(credentials: LaneCredentials): Result<void, VaultProblem>;
}

/** What taking the server's current key did. */
export type KeyAdoption = 'unchanged' | 'adopted';

/** The list keys held in the vault, by id, and a keyer for each. */
export class ListKeyRing {
  readonly #vault: KeyVault;
  /** One keyer per held key (the same function each time, so a caller can tell two keys apart). */
  readonly #keyers = new Map<string, SubjectKeyer>();

  constructor(vault: KeyVault) {
    this.#vault = vault;
  }

  /** The id of the newest key (0: the fleet-wide key of servers before key scopes). */
  newestId(): number {
    return this.#vault.credentials.listKeyId ?? 0;
  }

  /** The ids of every key held, newest first. */
  heldIds(): number[] {
    const c = this.#vault.credentials;
    return [this.newestId(), ...(c.olderListKeys ?? []).map((k) => k.keyId)];
  }

  /** Whether the key `keyId` is held. */
  holds(keyId: number): boolean {
    return this.#keyText(keyId) !== null;
  }

  /** The keyer of key `keyId`, or null when it is not held. */
  keyer(keyId: number): SubjectKeyer | null {
    const text = this.#keyText(keyId);
    if (text === null) return null;
    const cacheKey = `${keyId}:${text}`;
    let keyer = this.#keyers.get(cacheKey);
    if (keyer === undefined) {
      keyer = createSubjectKeyer(Buffer.from(text, 'base64'));
      this.#keyers.set(cacheKey, keyer);
    }
    return keyer;
  }

  /** The server's public key scans' subjects are sealed to (base64), or null when none is held. */
  scanSealKey(): string | null {
    return this.#vault.credentials.scanSealKey ?? null;
  }

  #keyText(keyId: number): string | null {
    const c = this.#vault.credentials;
    if (keyId === this.newestId()) return c.listKey;
    return c.olderListKeys?.find((k) => k.keyId === keyId)?.listKey ?? null;
  }

  /**
   * Takes the server's current key (and scan seal key) in as the newest, sealed in the vault;
   * the key it replaces is kept only if a list in `inUse` is still keyed with it. The same id
   * with other key bytes is refused (a key id names one key for good).
   */
  adopt(answer: ListKeyAnswer, inUse: readonly number[]): Result<KeyAdoption, VaultProblem> {
    const c = this.#vault.credentials;
    const held = this.#keyText(answer.keyId);
    if (held !== null && held !== answer.listKey) {
      return fail({ code: 'corrupt', message: `the server sent other bytes for list key ${answer.keyId}` });
    }
    if (answer.keyId === this.newestId()) {
      if (c.scanSealKey === answer.scanSealKey) return ok('unchanged');
      const written = this.#vault.update({ ...c, scanSealKey: answer.scanSealKey });
      return written.ok ? ok('unchanged') : written;
    }
    const previous = [{ keyId: this.newestId(), listKey: c.listKey }, ...(c.olderListKeys ?? [])];
    const older = previous.filter((k) => k.keyId !== answer.keyId && inUse.includes(k.keyId));
    const { olderListKeys: _dropped, ...rest } = c;
    const next: LaneCredentials = {
      ...rest,
      listKey: answer.listKey,
      listKeyId: answer.keyId,
      scanSealKey: answer.scanSealKey,
      ...(older.length > 0 && { olderListKeys: older }),
    };
    const written = this.#vault.update(next);
    if (!written.ok) return written;
    this.#forgetUnheld();
    return ok('adopted');
  }

  /** Drops from the vault every older key no list in `inUse` is keyed with; answers how many. */
  prune(inUse: readonly number[]): Result<number, VaultProblem> {
    const c = this.#vault.credentials;
    const older = c.olderListKeys ?? [];
    const kept = older.filter((k) => inUse.includes(k.keyId));
    if (kept.length === older.length) return ok(0);
    const { olderListKeys: _dropped, ...rest } = c;
    const written = this.#vault.update({ ...rest, ...(kept.length > 0 && { olderListKeys: kept }) });
    if (!written.ok) return written;
    this.#forgetUnheld();
    return ok(older.length - kept.length);
  }

  /** Forgets the keyers of keys no longer held. */
  #forgetUnheld(): void {
    for (const cacheKey of [...this.#keyers.keys()]) {
      const [id = '', text] = cacheKey.split(/:(.*)/s);
      if (this.#keyText(Number(id)) !== text) this.#keyers.delete(cacheKey);
    }
  }
}
