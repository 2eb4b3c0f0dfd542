// The list-signing keys a lane trusts, and the check every list answer passes before it is
// applied. The keys pinned at enrollment are the root; a key the server rotates to is taken only
// with an endorsement by a key already trusted; they are kept in the store's settings, bound to
// the enrollment (kiosk id) they were learned under.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
  canonicalChangeLine,
  keyEndorsementMessage,
  listSignatureMessage,
  parseListSignature,
  type CanonicalChange,
  type ListName,
  type ListRefusalReason,
  type ListRefusalReport,
  type ListSigningKey,
  type Result,
  type SignedListFacts,
} from '@checkpoint-lane/shared';
import type { Logger } from 'pino';

/** The store settings the trust keeps its keys in. */
export interface TrustSettings {
  getSetting(name: string): string | null;
  setSetting(name: string, value: string): void;
}

/** The settings row of the trusted keys: `{kioskId, keys}` (JSON). */
export const TRUSTED_KEYS_SETTING = 'list_signing_keys';

/** SHA-256 (hex) of changes in their canonical form, in the order given. */
export function changesDigest(changes: readonly CanonicalChange[]): string {
  const h = createHash('sha256');
  for (const c of changes) h.update(canonicalChangeLine(c), 'utf8');
  return h.digest('hex');
}

/** A key's Node form, or null when its text is not an Ed25519 key whose id is its hash. */
function keyObject(k: ListSigningKey): KeyObject | null {
  const raw = Buffer.from(k.publicKey, 'base64');
  if (raw.length !== 32) return null;
  if (createHash('sha256').update(raw).digest('hex').slice(0, 16) !== k.id) return null;
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
      format: 'jwk',
    });
  } catch {
    return null;
  }
}

interface Trusted {
  readonly key: ListSigningKey;
  readonly object: KeyObject;
}

/** Options of the trust. */
export interface ListTrustOptions {
  readonly settings: TrustSettings;
  /** The enrollment the keys belong to (stored keys of another are dropped). */
  readonly kioskId: string;
  /** The keys pinned at enrollment (absent for a lane enrolled before lists were signed). */
  readonly enrolled: readonly ListSigningKey[] | undefined;
  readonly logger: Logger;
}

/** What taking a key set from the server did. */
export interface KeysAdopted {
  /** Keys trusted now that were not before. */
  readonly added: readonly string[];
  /** Keys whose endorsement did not verify (not taken). */
  readonly refused: number;
}

/**
 * The keys a lane takes list data from. With none pinned (a lane enrolled before lists were
 * signed) the first key set the server answers over the lane's authenticated channel is
 * trusted as it is (trust on first use, logged), and then held to the same rules.
 */
export class ListTrust {
  readonly #o: ListTrustOptions;
  readonly #log: Logger;
  readonly #keys = new Map<string, Trusted>();

  constructor(options: ListTrustOptions) {
    this.#o = options;
    this.#log = options.logger;
    for (const k of options.enrolled ?? []) this.#add(k);
    const text = options.settings.getSetting(TRUSTED_KEYS_SETTING);
    if (text !== null) {
      try {
        const stored = JSON.parse(text) as { kioskId?: unknown; keys?: unknown };
        if (stored.kioskId === options.kioskId && Array.isArray(stored.keys))
          // Stored keys were taken under the same rules; they also hold validUntil learned since.
          for (const k of stored.keys as ListSigningKey[]) this.#add(k);
      } catch {
        this.#log.warn('stored list-signing keys unreadable; keeping the enrolled ones');
      }
    }
  }

  /** Whether any key is trusted (false only for a lane enrolled before signed lists, until it learns one). */
  pinned(): boolean {
    return this.#keys.size > 0;
  }

  /** The trusted keys' ids. */
  ids(): string[] {
    return [...this.#keys.keys()];
  }

  /** Whether data signed by this key id could verify (the key is trusted). */
  knows(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  #add(k: ListSigningKey): boolean {
    const object = keyObject(k);
    if (object === null) return false;
    this.#keys.set(k.id, { key: k, object });
    return true;
  }

  #save(): void {
    const keys = [...this.#keys.values()].map((t) => t.key);
    this.#o.settings.setSetting(TRUSTED_KEYS_SETTING, JSON.stringify({ kioskId: this.#o.kioskId, keys }));
  }

  /**
   * Takes the server's key set (heartbeat answer or `signing-keys` push): each key endorsed by
   * the current trusted key (one with no end of validity yet) is trusted too (following a
   * chain of rotations in any order), and the endorsing key's end of validity is taken from the
   * signed statement (never later than one already known). A retired key endorses nothing.
   * Nothing else changes.
   */
  adopt(advertised: readonly ListSigningKey[]): KeysAdopted {
    let roots: readonly ListSigningKey[] = [];
    if (!this.pinned()) {
      // Taken as current for the chain below, then given the end of validity the server named.
      roots = advertised
        .filter((k) => k.endorsement === undefined)
        .filter((k) => this.#add({ ...k, validUntil: null }));
      if (roots.length === 0) return { added: [], refused: 0 };
      this.#log.warn(
        { keys: roots.map((k) => k.id) },
        'no list-signing key pinned at enrollment (enrolled before signed lists): trusting the server’s keys on first use over its authenticated channel',
      );
    }
    const added: string[] = [];
    const failed = new Set<string>();
    let progress = true;
    while (progress) {
      progress = false;
      for (const k of advertised) {
        const e = k.endorsement;
        if (e === undefined || failed.has(k.id)) continue;
        const signer = this.#keys.get(e.by);
        // Only the current key (no end of validity known to the lane) endorses: a retired key,
        // even one still in its overlap, cannot bring in a key or move its own end.
        if (signer === undefined || signer.key.validUntil !== null) continue;
        const signerUntil = advertised.find((a) => a.id === e.by)?.validUntil;
        const known = this.#keys.get(k.id);
        const ok =
          typeof signerUntil === 'number' &&
          keyObject(k) !== null &&
          verify(
            null,
            Buffer.from(keyEndorsementMessage(k, { id: e.by, validUntil: signerUntil }), 'utf8'),
            signer.object,
            Buffer.from(e.signature, 'base64'),
          );
        if (!ok) {
          failed.add(k.id);
          continue;
        }
        if (known === undefined) {
          this.#add({ ...k, validUntil: null });
          added.push(k.id);
        }
        // The signer had no end of validity: one is set, never an earlier one extended.
        this.#keys.set(e.by, { ...signer, key: { ...signer.key, validUntil: signerUntil } });
        progress = true;
      }
    }
    for (const r of roots) {
      const t = this.#keys.get(r.id);
      if (t === undefined || r.validUntil === null) continue;
      const until = t.key.validUntil === null ? r.validUntil : Math.min(t.key.validUntil, r.validUntil);
      this.#keys.set(r.id, { ...t, key: { ...t.key, validUntil: until } });
    }
    const refused = [...failed].filter((id) => !this.#keys.has(id)).length;
    if (added.length > 0 || !this.#storedMatches()) this.#save();
    if (added.length > 0) this.#log.info({ keys: added }, 'list-signing keys learned from the server');
    if (refused > 0) this.#log.warn({ refused }, 'list-signing keys with a bad endorsement refused');
    return { added, refused };
  }

  #storedMatches(): boolean {
    const keys = [...this.#keys.values()].map((t) => t.key);
    return (
      this.#o.settings.getSetting(TRUSTED_KEYS_SETTING) === JSON.stringify({ kioskId: this.#o.kioskId, keys })
    );
  }

  /**
   * Checks a signature over list data at lane time `now`: absent, of an unknown or retired key,
   * or not over exactly these facts, it is refused with the reason.
   */
  verify(
    facts: SignedListFacts,
    signature: string | undefined,
    now: number,
  ): Result<string, ListRefusalReason> {
    return this.verifyDetached(listSignatureMessage(facts), signature, now);
  }

  /**
   * Checks a signature over a UTF-8 message (a list's CLSIG1, a checkpoint config's CLCFG1, an
   * officer roster's CLROS1) at lane time `now`, under the same rules as `verify`.
   */
  verifyDetached(
    message: string,
    signature: string | undefined,
    now: number,
  ): Result<string, ListRefusalReason> {
    if (signature === undefined) return { ok: false, error: 'unsigned' };
    const parsed = parseListSignature(signature);
    if (parsed === null) return { ok: false, error: 'bad_signature' };
    const trusted = this.#keys.get(parsed.keyId);
    if (trusted === undefined) return { ok: false, error: 'unknown_key' };
    if (trusted.key.validUntil !== null && now > trusted.key.validUntil)
      return { ok: false, error: 'retired_key' };
    const good = verify(
      null,
      Buffer.from(message, 'utf8'),
      trusted.object,
      Buffer.from(parsed.signature, 'base64'),
    );
    return good ? { ok: true, value: parsed.keyId } : { ok: false, error: 'bad_signature' };
  }
}

/**
 * The list data a lane refused since it started: counted, the last one named (list, reason,
 * time; never an entry or a key), and reported to the centre with every heartbeat.
 */
export class ListRefusals {
  #report: ListRefusalReport | undefined;

  /** Counts one refusal (`list` null: a key statement, not list data). */
  record(list: ListName | null, reason: ListRefusalReason, at: number): void {
    this.#report = {
      count: (this.#report?.count ?? 0) + 1,
      lastReason: reason,
      ...(list !== null && { lastList: list }),
      lastAt: at,
    };
  }

  /** What the heartbeat reports (undefined: nothing refused). */
  report(): ListRefusalReport | undefined {
    return this.#report;
  }
}
