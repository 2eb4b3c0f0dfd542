// Where a lane's wrapping key is sealed. The lane's secrets (list key K, token, PIN pepper) are
// encrypted on disk under one 32-byte wrapping key; a KeyStore keeps that wrapping key so that
// only this machine (its TPM, its OS keyring) can open it again. Implementations: tpm-key-store.ts
// (tpm2-tools), safe-storage-key-store.ts (Electron safeStorage through the shell), file-key-store.ts
// (plain 0600 file, development only).
import type { Result } from '@checkpoint-lane/shared';

/** The `--key-store` choices. */
export const KEY_STORE_KINDS = ['tpm', 'safe-storage', 'file'] as const;
/** Where the wrapping key is sealed. */
export type KeyStoreKind = (typeof KEY_STORE_KINDS)[number];

/** Bytes of the wrapping key a store seals. */
export const WRAPPING_KEY_BYTES = 32;

/** Why a wrapping key could not be unsealed (or sealed): a code and a plain sentence for the log. */
export interface KeyStoreProblem {
  /**
   * `missing`: nothing sealed here yet; `unavailable`: the sealing device or service cannot be
   * reached (no TPM, no keyring, the shell missing); `refused`: it answered but will not open
   * this seal (another machine, a changed boot state, a plain-text keyring); `corrupt`: the
   * sealed files are unreadable.
   */
  readonly code: 'missing' | 'unavailable' | 'refused' | 'corrupt';
  readonly message: string;
}

/** One place that keeps the lane's wrapping key sealed. */
export interface KeyStore {
  readonly kind: KeyStoreKind;
  /** Whether a sealed wrapping key is present in the data folder (files only; nothing is opened). */
  exists(): boolean;
  /** Seals a new wrapping key (replacing any older seal atomically). */
  seal(wrappingKey: Uint8Array): Promise<Result<void, KeyStoreProblem>>;
  /** Opens the sealed wrapping key into memory. */
  unseal(): Promise<Result<Buffer, KeyStoreProblem>>;
}

/** An error's message for a problem's sentence (never a secret: the stores' errors name files and tools). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
