import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Type from 'typebox';
import Value from 'typebox/value';

/** An officer who may override decisions at this lane; supervisors may also clear an F0 red. */
export const OfficerSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  role: Type.Enum(['officer', 'supervisor']),
  /** `scrypt$<salt b64>$<hash b64>` of the PIN; PINs are never stored in clear. */
  pinHash: Type.String({ pattern: '^scrypt\\$[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+$' }),
});
/** An officer record. */
export type Officer = Type.Static<typeof OfficerSchema>;

const OFFICERS_FILE = 'officers.json';

/** Hashes a PIN for `officers.json`. */
export function hashPin(pin: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${scryptSync(pin, salt, 32).toString('base64')}`;
}

function pinMatches(pin: string, pinHash: string): boolean {
  const [, saltB64 = '', hashB64 = ''] = pinHash.split('$');
  const expected = Buffer.from(hashB64, 'base64');
  const actual = scryptSync(pin, Buffer.from(saltB64, 'base64'), expected.length);
  return expected.length > 0 && timingSafeEqual(expected, actual);
}

/** Why a PIN check failed. */
export type PinFailure = 'wrong_pin' | 'locked_out' | 'not_supervisor';

/**
 * The lane's officers (from `DATA/officers.json`) and PIN checks, with a lock-out after
 * repeated wrong PINs so a PIN cannot be guessed at the touchscreen.
 */
export class OfficerRegistry {
  readonly #officers: readonly Officer[];
  readonly #maxFailures: number;
  readonly #lockoutMs: number;
  #failures = 0;
  #lockedUntil = 0;

  constructor(officers: readonly Officer[], options: { maxFailures?: number; lockoutMs?: number } = {}) {
    this.#officers = officers;
    this.#maxFailures = options.maxFailures ?? 5;
    this.#lockoutMs = options.lockoutMs ?? 60_000;
  }

  /** Reads `officers.json` from a lane's data folder (none: no overrides possible). */
  static load(dataDir: string): OfficerRegistry {
    const file = join(dataDir, OFFICERS_FILE);
    if (!existsSync(file)) return new OfficerRegistry([]);
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!Value.Check(Type.Array(OfficerSchema), value))
      throw new Error(`${file} is not a valid officers file`);
    return new OfficerRegistry(value);
  }

  /** The officer whose PIN this is (and who has `role`, if given), or why not. */
  verify(
    pin: string,
    now: number,
    role?: 'supervisor',
  ): { ok: true; officer: Officer } | { ok: false; failure: PinFailure } {
    if (now < this.#lockedUntil) return { ok: false, failure: 'locked_out' };
    const officer = this.#officers.find((o) => pinMatches(pin, o.pinHash));
    if (!officer) {
      this.#failures += 1;
      if (this.#failures >= this.#maxFailures) {
        this.#lockedUntil = now + this.#lockoutMs;
        this.#failures = 0;
      }
      return { ok: false, failure: 'wrong_pin' };
    }
    this.#failures = 0;
    if (role === 'supervisor' && officer.role !== 'supervisor')
      return { ok: false, failure: 'not_supervisor' };
    return { ok: true, officer };
  }
}
