import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OfficerRoster as ContractRoster, RosterOfficer, type DeskOfficer } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import Type from 'typebox';
import Value from 'typebox/value';
import { writePrivateFileAtomic } from '../util/private-file.js';

/** An officer who may override decisions at this lane (the kiosk API contract's roster entry). */
export const OfficerSchema = RosterOfficer;
/** An officer record. */
export type Officer = RosterOfficer;

/** A roster from the sync server (`GET /officers` in the kiosk API contract). */
export const OfficerRosterSchema = ContractRoster;
/** A roster from the sync server. */
export type OfficerRoster = ContractRoster;

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
  writePrivateFileAtomic(
    file,
    `${JSON.stringify({ 'officers-version': roster.version, officers: roster.officers }, null, 2)}\n`,
  );
}

/** Hashes a PIN for `officers.json`. */
export function hashPin(pin: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64')}$${scryptSync(pin, salt, 32).toString('base64')}`;
}

/**
 * Does `pin` match `pinHash`? Async `crypto.scrypt` runs in libuv's thread pool: a PIN check
 * (~55 ms of CPU) never stalls the event loop, so decisions go on while officers type PINs.
 */
async function pinMatches(pin: string, pinHash: string): Promise<boolean> {
  const [, saltB64 = '', hashB64 = ''] = pinHash.split('$');
  const expected = Buffer.from(hashB64, 'base64');
  if (expected.length === 0) return false;
  const actual = await new Promise<Buffer>((resolve, reject) => {
    scrypt(pin, Buffer.from(saltB64, 'base64'), expected.length, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
  return timingSafeEqual(expected, actual);
}

/** Why a PIN check failed. */
export type PinFailure = 'unknown_officer' | 'wrong_pin' | 'locked_out' | 'not_supervisor';

/** The outcome of a PIN check; a lock-out says until when. */
export type PinCheck =
  | { ok: true; officer: Officer }
  | { ok: false; failure: Exclude<PinFailure, 'locked_out'> }
  | { ok: false; failure: 'locked_out'; lockedUntil: number };

/** One officer's wrong-PIN state: wrong tries since the last success or lock, locks in a row, the last wrong try. */
interface PinState {
  failures: number;
  lockouts: number;
  lockedUntil: number;
  lastWrongAt: number;
}

/** Where the lock-out state survives restarts (the lane store's settings table). */
export interface PinStateStore {
  read(): string | null;
  write(text: string): void;
}

/** Options of the registry: lock-out policy, roster version, where lock-outs persist. */
export interface OfficerRegistryOptions {
  /** Wrong PINs in a row that lock an officer (5). */
  readonly maxFailures?: number;
  /** The first lock's length (60 s); each further lock in a row doubles it, up to `maxLockoutMs`. */
  readonly lockoutMs?: number;
  /** The longest lock (30 min): with 5 tries per lock a 4-digit PIN takes weeks to guess. */
  readonly maxLockoutMs?: number;
  /**
   * After this long with no wrong PIN (and no lock in force) an officer's record is forgotten:
   * wrong tries and the doubling start over (2 × `maxLockoutMs`, 1 h).
   */
  readonly quietMs?: number;
  /** Where a lock is logged (by officer id only); a supervisor's lock is a warning. */
  readonly logger?: Pick<Logger, 'warn' | 'info'>;
  readonly version?: number;
  readonly state?: PinStateStore;
}

/**
 * The lane's officers (from `DATA/officers.json`, kept current by the sync server's roster) and
 * PIN checks. The dialog names the officer first, so only that officer's hash is tried; wrong
 * PINs lock that officer alone (others and supervisors keep working), for a time that doubles
 * with each lock in a row until a quiet hour with no wrong PIN forgets the record; the count and
 * the lock survive a restart. Checks run one at a time, off the
 * event loop, so concurrent tries can neither outrun the count nor take both cores from decisions.
 */
export class OfficerRegistry {
  #officers: readonly Officer[];
  #version: number;
  readonly #maxFailures: number;
  readonly #lockoutMs: number;
  readonly #maxLockoutMs: number;
  readonly #quietMs: number;
  readonly #log: Pick<Logger, 'warn' | 'info'> | null;
  readonly #store: PinStateStore | null;
  readonly #states = new Map<string, PinState>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(officers: readonly Officer[], options: OfficerRegistryOptions = {}) {
    this.#officers = officers;
    this.#version = options.version ?? 0;
    this.#maxFailures = options.maxFailures ?? 5;
    this.#lockoutMs = options.lockoutMs ?? 60_000;
    this.#maxLockoutMs = Math.max(this.#lockoutMs, options.maxLockoutMs ?? 30 * 60_000);
    this.#quietMs = options.quietMs ?? 2 * this.#maxLockoutMs;
    this.#log = options.logger ?? null;
    this.#store = options.state ?? null;
    this.#readStates();
  }

  /** Reads `officers.json` from a lane's data folder (none: no overrides possible). */
  static load(dataDir: string, options: Omit<OfficerRegistryOptions, 'version'> = {}): OfficerRegistry {
    const file = join(dataDir, OFFICERS_FILE);
    if (!existsSync(file)) return new OfficerRegistry([], options);
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!Value.Check(OfficersFileSchema, value)) throw new Error(`${file} is not a valid officers file`);
    if (Array.isArray(value)) return new OfficerRegistry(value, options);
    return new OfficerRegistry(value.officers, { ...options, version: value['officers-version'] });
  }

  /** The roster version these officers came with (0: a hand-written file, or none). */
  get version(): number {
    return this.#version;
  }

  /** How many officers may override here. */
  get size(): number {
    return this.#officers.length;
  }

  /** Takes a new roster in; each officer's lock-out state stays as it was. */
  replace(roster: OfficerRoster): void {
    this.#officers = roster.officers;
    this.#version = roster.version;
  }

  /** The officers for the override dialog: no PIN hashes; a name (the id if the roster has none). */
  list(now: number): DeskOfficer[] {
    return this.#officers.map((o) => {
      const until = this.#states.get(o.id)?.lockedUntil ?? 0;
      return { id: o.id, name: o.name ?? o.id, role: o.role, lockedUntil: until > now ? until : null };
    });
  }

  /**
   * Checks `officerId`'s PIN (and that they are a supervisor, if `role` says so). Only that
   * officer's hash is tried. `now` is read when the check's turn comes, from `clock`.
   */
  verify(officerId: string, pin: string, clock: () => number, role?: 'supervisor'): Promise<PinCheck> {
    const run = this.#queue.then(() => this.#verifyNow(officerId, pin, clock, role));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #verifyNow(
    officerId: string,
    pin: string,
    clock: () => number,
    role: 'supervisor' | undefined,
  ): Promise<PinCheck> {
    const officer = this.#officers.find((o) => o.id === officerId);
    if (officer === undefined) return { ok: false, failure: 'unknown_officer' };
    if (role === 'supervisor' && officer.role !== 'supervisor')
      return { ok: false, failure: 'not_supervisor' };
    let state = this.#states.get(officer.id) ?? { failures: 0, lockouts: 0, lockedUntil: 0, lastWrongAt: 0 };
    if (clock() < state.lockedUntil)
      return { ok: false, failure: 'locked_out', lockedUntil: state.lockedUntil };
    // A long quiet spell forgets the record, so old locks do not make every later slip a 30 min lock.
    // The quiet is twice the longest lock, not twice the last one: waiting out a 1 min lock and
    // starting over would give a guesser 5 tries every 2 min instead of 5 per half hour.
    if (clock() - state.lastWrongAt >= this.#quietMs) {
      state = { failures: 0, lockouts: 0, lockedUntil: 0, lastWrongAt: 0 };
      this.#states.delete(officer.id);
    }
    const matches = await pinMatches(pin, officer.pinHash);
    if (matches) {
      if (state.failures > 0 || state.lockouts > 0) {
        this.#states.delete(officer.id);
        this.#writeStates();
      }
      return { ok: true, officer };
    }
    const now = clock();
    state.failures += 1;
    state.lastWrongAt = now;
    let lockedUntil: number | null = null;
    if (state.failures >= this.#maxFailures) {
      lockedUntil = now + Math.min(this.#maxLockoutMs, this.#lockoutMs * 2 ** state.lockouts);
      state.lockedUntil = lockedUntil;
      state.lockouts = Math.min(64, state.lockouts + 1);
      state.failures = 0;
      const lock = { officerId: officer.id, role: officer.role, lockedUntil, lockNo: state.lockouts };
      // A locked supervisor blocks every health-red → green override at this lane until it ends.
      if (officer.role === 'supervisor') this.#log?.warn(lock, 'supervisor locked out after wrong PINs');
      else this.#log?.info(lock, 'officer locked out after wrong PINs');
    }
    this.#states.set(officer.id, state);
    // Every wrong try is written (one small settings row, rare): a restart forgives nothing.
    this.#writeStates();
    return lockedUntil === null
      ? { ok: false, failure: 'wrong_pin' }
      : { ok: false, failure: 'locked_out', lockedUntil };
  }

  #readStates(): void {
    const text = this.#store?.read() ?? null;
    if (text === null) return;
    try {
      const value: unknown = JSON.parse(text);
      if (!Value.Check(PinStatesSchema, value)) return;
      // A state written before `lastWrongAt` existed: its lock started its quiet.
      for (const [id, state] of Object.entries(value))
        this.#states.set(id, { ...state, lastWrongAt: state.lastWrongAt ?? state.lockedUntil });
    } catch {
      // An unreadable state starts clean: at worst an officer gets five more tries.
    }
  }

  #writeStates(): void {
    this.#store?.write(JSON.stringify(Object.fromEntries(this.#states)));
  }
}

const PinStatesSchema = Type.Record(
  Type.String(),
  Type.Object({
    failures: Type.Integer({ minimum: 0 }),
    lockouts: Type.Integer({ minimum: 0, maximum: 64 }),
    lockedUntil: Type.Integer({ minimum: 0 }),
    lastWrongAt: Type.Optional(Type.Integer({ minimum: 0 })),
  }),
);
