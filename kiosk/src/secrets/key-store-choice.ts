// From the `--key-store` choice to a KeyStore for a data folder: `file` only with the explicit
// insecure acknowledgement (`--insecure-key-file`).
import { fail, ok, type Result } from '@checkpoint-lane/shared';
import { FileKeyStore } from './file-key-store.js';
import { KEY_STORE_KINDS, type KeyStore, type KeyStoreKind } from './key-store.js';
import { SafeStorageKeyStore, type SafeStorageKeyStoreOptions } from './safe-storage-key-store.js';
import { TpmKeyStore, type TpmKeyStoreOptions } from './tpm-key-store.js';

/** The key store a lane was asked to use. */
export interface KeyStoreChoice {
  readonly kind: KeyStoreKind;
  /** `--insecure-key-file`: the `file` store is allowed (development only). */
  readonly insecureKeyFile?: boolean;
  /** The TPM store's PCRs and TCTI. */
  readonly tpm?: TpmKeyStoreOptions;
  /** How the safe-storage store finds Electron. */
  readonly safeStorage?: SafeStorageKeyStoreOptions;
}

/** Reads a `--key-store` word (or `CHECKPOINT_KEY_STORE`). */
export function parseKeyStoreKind(text: string): Result<KeyStoreKind, string> {
  return KEY_STORE_KINDS.includes(text as KeyStoreKind)
    ? ok(text as KeyStoreKind)
    : fail(`--key-store must be ${KEY_STORE_KINDS.join(', ')}; got "${text}"`);
}

/**
 * The key store for `dataDir`. Refuses `file` without `insecureKeyFile`, with a sentence that
 * says why and how.
 */
export function openKeyStore(dataDir: string, choice: KeyStoreChoice): Result<KeyStore, string> {
  switch (choice.kind) {
    case 'tpm':
      return ok(new TpmKeyStore(dataDir, choice.tpm));
    case 'file':
      if (choice.insecureKeyFile !== true) {
        return fail(
          "--key-store file keeps the lane's key in a plain file next to its lists (anyone who " +
            'copies the disk reads every listed ID): it is for development only and needs ' +
            '--insecure-key-file; lanes use --key-store tpm (or safe-storage in the Electron shell)',
        );
      }
      return ok(new FileKeyStore(dataDir));
    case 'safe-storage':
      return ok(new SafeStorageKeyStore(dataDir, choice.safeStorage));
  }
}

/** The development key store in `dataDir`, for tests and the demo (a plain key file). */
export function insecureFileKeyStore(dataDir: string): KeyStore {
  return new FileKeyStore(dataDir);
}
