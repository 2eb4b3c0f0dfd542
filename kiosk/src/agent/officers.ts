import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OfficerRoster as ContractRoster, RosterOfficer, type DeskOfficer } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';
import Type from 'typebox';
import Value from 'typebox/value';
import { writePrivateFileAtomic } from '../util/private-file.js';
import {
  checkedPepper,
  isPepperedPinHash,
  isPlainPinHash,
  pepperedPinMatches,
  pepperPinHash,
  pepperTag,
  STORED_PIN_HASH_PATTERN,
} from './officer-pin-hash.js';

export { hashPin, PIN_PEPPER_BYTES } from './officer-pin-hash.js';

/** An officer who may override decisions at this lane (the kiosk API contract's roster entry). */
export const OfficerSchema = RosterOfficer;
/** An officer record (in a registry, `pinHash` is in the lane's peppered form). */
export type Officer = RosterOfficer;

/** A roster from the sync server (`GET /officers` in the kiosk API contract). */
export const OfficerRosterSchema = ContractRoster;
/** A roster from the sync server. */
export type OfficerRoster = ContractRoster;

/** An officer in `officers.json`: plain (hand-written, or from before peppering) or peppered. */
const StoredOfficerSchema = Type.Object({
  ...RosterOfficer.properties,
  pinHash: Type.String({ pattern: STORED_PIN_HASH_PATTERN }),
});

/**
 * `officers.json`: a plain array (hand-written, version 0) or the synced roster with its version
 * and the tag of the pepper its hashes were made with.
 */
const OfficersFileSchema = Type.Union([
  Type.Array(StoredOfficerSchema),
  Type.Object({
    'officers-version': Type.Integer({ minimum: 0 }),
    'pin-pepper-tag': Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$' })),
    officers: Type.Array(StoredOfficerSchema),
  }),
]);

const OFFICERS_FILE = 'officers.json';

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
  /**
   * This lane's 32-byte secret from its sealed store: every PIN hash the registry keeps (in
   * memory and in `officers.json`) is HMAC-SHA256(pepper, scrypt key), checkable only with it.
   */
  readonly pinPepper: Uint8Array;
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
  /** Where a lock, a converted file or a dropped hash is logged (by officer id only); a supervisor's lock is a warning. */
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
 * Hashes are kept only in the peppered form (see officer-pin-hash.ts): `officers.json` without
 * this lane's pepper checks no PIN.
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
  readonly #pepper: Buffer;
  readonly #states = new Map<string, PinState>();
  #queue: Promise<unknown> = Promise.resolve();

  /** `officers` may hold plain server hashes: they are peppered here, and kept only peppered. */
  constructor(officers: readonly Officer[], options: OfficerRegistryOptions) {
    this.#pepper = checkedPepper(options.pinPepper);
    this.#version = options.version ?? 0;
    this.#maxFailures = options.maxFailures ?? 5;
    this.#lockoutMs = options.lockoutMs ?? 60_000;
    this.#maxLockoutMs = Math.max(this.#lockoutMs, options.maxLockoutMs ?? 30 * 60_000);
    this.#quietMs = options.quietMs ?? 2 * this.#maxLockoutMs;
    this.#log = options.logger ?? null;
    this.#store = options.state ?? null;
    this.#officers = this.#peppered(officers);
    this.#readStates();
  }

  /**
   * Reads `officers.json` from a lane's data folder (none: no overrides possible). Plain hashes
   * in it are peppered and the file is rewritten at once (atomically, 0600) in the peppered form;
   * the replaced file's bytes are then overwritten with zeros.
   * A file peppered with another pepper (another lane's, or a lost store's) cannot be checked:
   * it is set aside as an empty roster of version 0, so the server's roster is fetched again.
   */
  static load(dataDir: string, options: Omit<OfficerRegistryOptions, 'version'>): OfficerRegistry {
    const file = join(dataDir, OFFICERS_FILE);
    if (!existsSync(file)) return new OfficerRegistry([], options);
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (!Value.Check(OfficersFileSchema, value)) throw new Error(`${file} is not a valid officers file`);
    const officers = Array.isArray(value) ? value : value.officers;
    const version = Array.isArray(value) ? 0 : value['officers-version'];
    const tag = Array.isArray(value) ? undefined : value['pin-pepper-tag'];
    if (
      officers.some((o) => isPepperedPinHash(o.pinHash)) &&
      tag !== pepperTag(checkedPepper(options.pinPepper))
    ) {
      options.logger?.warn(
        'officers.json was written with another PIN pepper: its PINs cannot be checked here; waiting for the server roster',
      );
      return new OfficerRegistry([], options);
    }
    const registry = new OfficerRegistry(officers, { ...options, version });
    const plain = officers.filter((o) => isPlainPinHash(o.pinHash)).length;
    if (plain > 0) {
      // The replaced file's bytes (plain hashes, checkable offline without the pepper) are zeroed.
      registry.#write(dataDir, version, registry.#officers, true);
      options.logger?.info({ converted: plain }, 'officers.json: plain PIN hashes peppered and rewritten');
    }
    return registry;
  }

  /** The roster version these officers came with (0: a hand-written file, or none). */
  get version(): number {
    return this.#version;
  }

  /** How many officers may override here. */
  get size(): number {
    return this.#officers.length;
  }

  /** Takes a new roster in (its hashes peppered); each officer's lock-out state stays as it was. */
  replace(roster: OfficerRoster): void {
    this.#officers = this.#peppered(roster.officers);
    this.#version = roster.version;
  }

  /**
   * Writes a synced roster to `DATA/officers.json` atomically (temp file, fsync, rename; mode
   * 0600) with its hashes peppered, as `{"officers-version": V, "pin-pepper-tag": …, "officers": [...]}`.
   * The registry itself is not changed (`replace` does that).
   */
  writeRoster(dataDir: string, roster: OfficerRoster): void {
    this.#write(dataDir, roster.version, this.#peppered(roster.officers));
  }

  #write(dataDir: string, version: number, officers: readonly Officer[], zeroReplaced = false): void {
    const file = { 'officers-version': version, 'pin-pepper-tag': pepperTag(this.#pepper), officers };
    writePrivateFileAtomic(join(dataDir, OFFICERS_FILE), `${JSON.stringify(file, null, 2)}\n`, {
      zeroReplaced,
    });
  }

  /**
   * Officers with every plain hash peppered; peppered ones are kept as they are. An officer whose
   * hash cannot be used (a salt or key of an unusable length) is left out, logged by id.
   */
  #peppered(officers: readonly Officer[]): Officer[] {
    const out: Officer[] = [];
    for (const o of officers) {
      const pinHash = isPlainPinHash(o.pinHash) ? pepperPinHash(o.pinHash, this.#pepper) : o.pinHash;
      if (pinHash === null || !isPepperedPinHash(pinHash)) {
        this.#log?.warn({ officerId: o.id }, 'officer left out: unusable PIN hash');
        continue;
      }
      out.push({ ...o, pinHash });
    }
    return out;
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
    const matches = await pepperedPinMatches(pin, officer.pinHash, this.#pepper);
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
