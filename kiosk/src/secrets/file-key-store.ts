// The development key store: the wrapping key in a plain 0600 file beside the sealed secrets.
// Anyone who copies the data folder can open the secrets; `--insecure-key-file` is required.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail, ok, type Result } from '@checkpoint-lane/shared';
import { writePrivateFileAtomic } from '../util/private-file.js';
import { WRAPPING_KEY_BYTES, type KeyStore, type KeyStoreProblem, errorText } from './key-store.js';

/** The file holding the wrapping key in plain form. */
export const INSECURE_KEY_FILE = 'lane-key.insecure.json';

/** The wrapping key in a plain file (development only: it protects nothing from a disk copy). */
export class FileKeyStore implements KeyStore {
  readonly kind = 'file' as const;
  readonly #file: string;

  constructor(dataDir: string) {
    this.#file = join(dataDir, INSECURE_KEY_FILE);
  }

  exists(): boolean {
    return existsSync(this.#file);
  }

  seal(wrappingKey: Uint8Array): Promise<Result<void, KeyStoreProblem>> {
    if (wrappingKey.length !== WRAPPING_KEY_BYTES) {
      return Promise.resolve(
        fail({ code: 'corrupt', message: `a wrapping key has ${String(WRAPPING_KEY_BYTES)} bytes` }),
      );
    }
    const text = `${JSON.stringify({ version: 1, key: Buffer.from(wrappingKey).toString('base64') })}\n`;
    try {
      writePrivateFileAtomic(this.#file, text);
    } catch (error) {
      return Promise.resolve(
        fail({ code: 'unavailable', message: `cannot write ${this.#file}: ${errorText(error)}` }),
      );
    }
    return Promise.resolve(ok(undefined));
  }

  unseal(): Promise<Result<Buffer, KeyStoreProblem>> {
    return Promise.resolve(this.#read());
  }

  #read(): Result<Buffer, KeyStoreProblem> {
    if (!this.exists()) return fail({ code: 'missing', message: `${this.#file} does not exist` });
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(this.#file, 'utf8'));
    } catch (error) {
      return fail({ code: 'corrupt', message: `${this.#file} is unreadable: ${errorText(error)}` });
    }
    const key =
      typeof value === 'object' && value !== null && 'key' in value && typeof value.key === 'string'
        ? Buffer.from(value.key, 'base64')
        : null;
    if (key?.length !== WRAPPING_KEY_BYTES) {
      return fail({
        code: 'corrupt',
        message: `${this.#file} holds no ${String(WRAPPING_KEY_BYTES)}-byte key`,
      });
    }
    return ok(key);
  }
}
