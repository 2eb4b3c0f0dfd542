import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
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

/** A roster from the sync server: its version and the officers valid at this lane's checkpoint. */
export const OfficerRosterSchema = Type.Object({
  version: Type.Integer({ minimum: 0 }),
  officers: Type.Array(OfficerSchema, { maxItems: 100_000 }),
});
/** A roster from the sync server. */
export type OfficerRoster = Type.Static<typeof OfficerRosterSchema>;

/** `officers.json`: a plain array (hand-written, version 0) or the synced roster with its version. */
const OfficersFileSchema = Type.Union([
  Type.Array(OfficerSchema),
  Type.Object({ 'officers-version': Type.Integer({ minimum: 0 }), officers: Type.Array(OfficerSchema) }),
]);

const OFFICERS_FILE = 'officers.json';

/**
 * Writes a synced roster to `DATA/officers.json` atomically (temp file, fsync, rename; mode
 * 0600), as `{"officers-version": V, "officers": [...]}`.
 */
export function writeOfficersFile(dataDir: string, roster: OfficerRoster): void {
  const file = join(dataDir, OFFICERS_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  const text = `${JSON.stringify({ 'officers-version': roster.version, officers: roster.officers }, null, 2)}\n`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, file);
  } catch (error) {
    unlinkSync(temp);
    throw error;
  }
}

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
 * The lane's officers (from `DATA/officers.json`, kept current by the sync server's roster) and
 * PIN checks, with a lock-out after repeated wrong PINs so a PIN cannot be guessed at the
 * touchscreen.
 */
export class OfficerRegistry {
  #officers: readonly Officer[];
  #version: number;
  readonly #maxFailures: number;
  readonly #lockoutMs: number;
  #failures = 0;
  #lockedUntil = 0;

  constructor(
    officers: readonly Officer[],
    options: { maxFailures?: number; lockoutMs?: number; version?: number } = {},
  ) {
    this.#officers = officers;
    this.#version = options.version ?? 0;
    this.#maxFailures = options.maxFailures ?? 5;
    this.#lockoutMs = options.lockoutMs ?? 60_000;
  }

  /** Reads `officers.json` from a lane's data folder (none: no overrides possible). */
  static load(dataDir: string): OfficerRegistry {
    const file = join(dataDir, OFFICERS_FILE);
    if (!existsSync(file)) return new OfficerRegistry([]);
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!Value.Check(OfficersFileSchema, value)) throw new Error(`${file} is not a valid officers file`);
    if (Array.isArray(value)) return new OfficerRegistry(value);
    return new OfficerRegistry(value.officers, { version: value['officers-version'] });
  }

  /** The roster version these officers came with (0: a hand-written file, or none). */
  get version(): number {
    return this.#version;
  }

  /** How many officers may override here. */
  get size(): number {
    return this.#officers.length;
  }

  /** Takes a new roster in; the lock-out state (failures, locked until) stays as it was. */
  replace(roster: OfficerRoster): void {
    this.#officers = roster.officers;
    this.#version = roster.version;
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
