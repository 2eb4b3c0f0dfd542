// The kiosk API (`/api/v1/kiosk/…`): what a lane and the sync server say to each other.
// Schema and type come from one TypeBox definition; the server's routes validate with these
// schemas and the lane's client decodes with them.
//
// Words: "kiosk" is the HTTP and database word (the paths `/api/v1/kiosk/…`, the `kiosks`
// table, the JSON field `kioskId`: the published contract, never renamed); "lane" is the word
// in code (types, functions, variables) for the same thing.
import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { Counter, DateMs, EpochMs } from '../schemas/bounds.js';
import { CheckpointConfig } from '../schemas/checkpoint-schemas.js';
import { ListName } from '../schemas/list-schemas.js';
import { LaneRecordSchema } from '../schemas/scan-schemas.js';
import { GateReportSchema } from './gate.js';
import type { Result } from '../result.js';
import { LIST_SIGNATURE_PATTERN, LIST_SIGNING_KEY_ID_PATTERN } from '../sync/list-signature.js';
import { PassesEventSchema } from '../sync/pass-directory.js';
import { LIST_NAMES, OFFICER_ROLES } from '../vocabulary.js';
import { literalUnion } from './literal-union.js';
import { SafeText } from './safe-text.js';

const Version = Type.Integer({ minimum: 0 });

/** Epoch ms, or null for an open end (a list entry's validity window). */
const EpochOrNull = Type.Union([DateMs(), Type.Null()]);

/**
 * A list entry as a change carries it: a health entry's fields or a whitelist entry's. The words
 * (status, category) are checked per list by the lane's list descriptor, not here; the server's
 * answers carry exactly these fields.
 */
export const WireEntry = Type.Object({
  status: Type.Optional(Type.String()),
  since: Type.Optional(EpochOrNull),
  until: Type.Optional(EpochOrNull),
  category: Type.Optional(Type.String()),
  validFrom: Type.Optional(EpochOrNull),
  validUntil: Type.Optional(EpochOrNull),
  checkpoints: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
});

/** One change to a list entry as a delta or an `urgent` push carries it. */
export const WireChange = Type.Object({
  key: Type.String({ pattern: '^[0-9a-f]{16}$' }),
  op: Type.Union([Type.Literal('put'), Type.Literal('delete')]),
  entry: Type.Optional(WireEntry),
});
/** One change to a list entry (the entry is checked per list by the lane's list descriptor). */
export type WireChange = Type.Static<typeof WireChange>;

/** Every error answer of the API: a stable code and a message for people. */
export const ErrorAnswer = Type.Object({ error: Type.String(), message: Type.String() });
/** An error answer. */
export type ErrorAnswer = Static<typeof ErrorAnswer>;

// --- List signatures (see sync/list-signature.ts for the signed bytes) ----------------------

/** A list-signing key's id: the first 16 hex digits of SHA-256 over its raw public key. */
export const ListSigningKeyId = Type.String({ pattern: LIST_SIGNING_KEY_ID_PATTERN });

/** `keyId:base64` of an Ed25519 signature (64 bytes). */
export const ListSignature = Type.String({
  pattern: LIST_SIGNATURE_PATTERN,
  description: 'keyId:base64 of the Ed25519 signature over the CLSIG1 message',
});

/**
 * A public list-signing key. Every key after the first is endorsed by the key that was current
 * before it (an Ed25519 signature over the CLKEY1 message), so a lane that pins one key can
 * follow every rotation after it.
 */
export const ListSigningKey = Type.Object({
  id: ListSigningKeyId,
  publicKey: Type.String({
    pattern: '^[A-Za-z0-9+/]{43}=$',
    description: 'base64 of the raw 32-byte Ed25519 public key',
  }),
  validFrom: EpochMs(),
  validUntil: Type.Union([EpochMs(), Type.Null()], {
    description: 'after this a lane refuses data signed with it; null while it is current',
  }),
  endorsement: Type.Optional(
    Type.Object({
      by: ListSigningKeyId,
      signature: Type.String({ pattern: '^[A-Za-z0-9+/]{86}==$' }),
    }),
  ),
});
/** A public list-signing key. */
export type ListSigningKey = Static<typeof ListSigningKey>;

/** The server's public list-signing keys, oldest first (rotations are rare: a few over years). */
export const ListSigningKeys = Type.Array(ListSigningKey, { maxItems: 256 });

/** The server's list-signing keys and the id of the one that signs now. */
export const ListSigningKeysAnswer = Type.Object({ current: ListSigningKeyId, keys: ListSigningKeys });
/** The server's list-signing keys and the current one. */
export type ListSigningKeysAnswer = Static<typeof ListSigningKeysAnswer>;

/** Why a lane refused list data from the server (it kept its old list). */
export const LIST_REFUSAL_REASONS = [
  'unsigned',
  'unknown_key',
  'retired_key',
  'bad_signature',
  'count_mismatch',
  'bad_key_statement',
  // Signed too long ago (a replayed answer) or too far ahead of the lane's clock.
  'stale_answer',
  // A snapshot of a version below the one the lane holds, the server not having said it is behind.
  'version_rollback',
] as const;
/** Why a lane refused list data. */
export type ListRefusalReason = (typeof LIST_REFUSAL_REASONS)[number];

/** What a lane reports of the list data it refused since it started (no list: a key statement). */
export const ListRefusalReport = Type.Object({
  count: Counter(),
  lastReason: literalUnion(LIST_REFUSAL_REASONS),
  lastList: Type.Optional(ListName),
  lastAt: EpochMs({ description: 'lane clock, epoch ms' }),
});
/** The list data a lane refused. */
export type ListRefusalReport = Static<typeof ListRefusalReport>;

// --- List keys K (scoped and rotated; see docs/list-key-scope.md) -------------------------

/**
 * The id of a list key K: keys are numbered by the server (1, 2, …) as it creates them, one
 * current key per key scope (a province, or a checkpoint of its own). 0 is the one fleet-wide
 * key of servers before key scopes: a lane that holds it fetches its scope's key.
 */
export const ListKeyId = Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 });
/** The id of a list key K. */
export type ListKeyId = Static<typeof ListKeyId>;

/** base64 of a raw 32-byte key (a list key K, or an X25519 public key). */
const Key32Base64 = Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' });

/**
 * Answer of `GET /list-key`: the current list key K of the lane's key scope, and the server's
 * public key that scans' subjects are sealed to (`subjectSealed`). A revoked lane is refused.
 */
export const ListKeyAnswer = Type.Object({
  keyId: ListKeyId,
  listKey: Key32Base64,
  scanSealKey: Key32Base64,
});
/** The current list key of a lane's scope. */
export type ListKeyAnswer = Static<typeof ListKeyAnswer>;

/** Header of a snapshot answer: the id of the list key its entries are keyed with (decimal). */
export const LIST_KEY_ID_HEADER = 'x-list-key-id';

// --- POST /enroll (no token): a one-time code becomes a lane's identity -------------------

/** Body of `POST /enroll`. */
export const EnrollRequest = Type.Object({
  code: Type.String({ minLength: 4, maxLength: 32 }),
  name: SafeText({ minLength: 1, maxLength: 100 }),
});
/** Body of `POST /enroll`. */
export type EnrollRequest = Static<typeof EnrollRequest>;

/** Answer (201) of `POST /enroll`: the lane's id, token, checkpoint config and list key. */
export const EnrollAnswer = Type.Object({
  kioskId: Type.String({ minLength: 1 }),
  token: Type.String({ minLength: 1 }),
  checkpoint: CheckpointConfig,
  listKey: Type.String({ minLength: 1, description: 'base64 of the 32-byte list key K' }),
  // Always sent by this server; optional so credentials kept before signed lists still read.
  listSigningKeys: Type.Optional(ListSigningKeys),
  // Always sent by this server; absent in credentials kept before key scopes (then K is key 0).
  listKeyId: Type.Optional(ListKeyId),
  // Always sent by this server: the X25519 public key scans' subjects are sealed to.
  scanSealKey: Type.Optional(Key32Base64),
});
/** What enrollment answers. */
export type EnrollAnswer = Static<typeof EnrollAnswer>;

// --- GET /lists/:list/snapshot and /lists/:list/changes -----------------------------------

/** The `{list}` path parameter. */
export const ListPathParams = Type.Object({ list: literalUnion(LIST_NAMES) });

/** Media type of a snapshot answer (the binary format of docs/snapshot-format.md). */
export const SNAPSHOT_MEDIA_TYPE = 'application/vnd.checkpoint-lane.snapshot';
/** Header of a snapshot answer: the list version the snapshot holds (decimal). */
export const LIST_VERSION_HEADER = 'x-list-version';
/** The value of `LIST_VERSION_HEADER`, once read as a number. */
export const SnapshotVersion = Version;

// --- GET /lists/:list/snapshot/:version/key/:keyId[/checkpoint/:checkpoint] (immutable, cacheable)

/** A checkpoint id as it appears in a versioned snapshot URL. */
const SnapshotCheckpointId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });

/**
 * Path parameters of the versioned snapshot URL of a list that is the same at every checkpoint
 * (health): the list, its version (0 on a list never written) and the list key its entries are
 * keyed with. Every component that selects the bytes is in the path, so a cache keyed on the path
 * alone (a CDN ignoring the query) keeps one entry per snapshot.
 */
export const SnapshotVersionPathParams = Type.Object({
  list: literalUnion(LIST_NAMES),
  version: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  keyId: ListKeyId,
});

/** Path parameters of the versioned snapshot URL of a list cut per checkpoint (whitelist): plus the checkpoint. */
export const SnapshotCheckpointPathParams = Type.Object({
  list: literalUnion(LIST_NAMES),
  version: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  keyId: ListKeyId,
  checkpoint: SnapshotCheckpointId,
});

/**
 * The versioned snapshot URL's path under `/api/v1/kiosk` for (list, version, list key,
 * checkpoint): `/lists/{list}/snapshot/{version}/key/{keyId}`, plus `/checkpoint/{id}` for the
 * whitelist (`checkpointId` null for health).
 */
export function snapshotVersionPath(
  list: ListName,
  version: number,
  keyId: number,
  checkpointId: string | null,
): string {
  const cp = checkpointId === null ? '' : `/checkpoint/${encodeURIComponent(checkpointId)}`;
  return `/lists/${list}/snapshot/${version}/key/${keyId}${cp}`;
}

/** `{list}` and `{version}` of the first form of the versioned URL (`…/snapshot/{version}?keyId=…`), now a redirect. */
export const SnapshotLegacyPathParams = Type.Object({
  list: literalUnion(LIST_NAMES),
  version: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
});

/** Query of that first form: answered with a 308 to `snapshotVersionPath` of the same values. */
export const SnapshotLegacyQuery = Type.Object({
  keyId: ListKeyId,
  checkpoint: Type.Optional(SnapshotCheckpointId),
});

/**
 * Query of `GET /lists/:list/changes`: the version the lane holds and the id of the key its list
 * is keyed with (absent: 0). A key that is no longer its scope's current one answers 410, as a
 * version too old does: the lane fetches the new key and a snapshot keyed with it.
 */
export const ChangesQuery = Type.Object({ since: Counter(), keyId: Type.Optional(ListKeyId) });

/** Answer of `GET /lists/:list/changes`: the latest state per changed key between two versions. */
export const ListChanges = Type.Object({
  list: literalUnion(LIST_NAMES),
  fromVersion: Version,
  toVersion: Version,
  changes: Type.Array(WireChange),
  // Always sent by this server; optional so a lane reads an unsigned answer and refuses it as such.
  count: Type.Optional(
    Counter({ description: 'entries the lane holds for this list (and its checkpoint) at toVersion' }),
  ),
  signature: Type.Optional(ListSignature),
  // Always sent by this server: when it signed the answer (epoch ms, part of the signed message).
  issuedAt: Type.Optional(
    Type.Integer({ minimum: 0, description: 'when the server signed this answer (epoch ms)' }),
  ),
  // Always sent by this server: the list key the changes' keys are made with (in the signed scope).
  keyId: Type.Optional(ListKeyId),
});
/** A delta between two list versions. */
export type ListChanges = Static<typeof ListChanges>;

// --- POST /scans ---------------------------------------------------------------------------

/** Body of `POST /scans`: scans, overrides and acknowledgements in one sequence. */
export const ScanUploadSchema = Type.Object({
  records: Type.Array(LaneRecordSchema, { minItems: 1, maxItems: 1000 }),
});
/** Body of `POST /scans`. */
export type ScanUpload = Static<typeof ScanUploadSchema>;
/** Answer of `POST /scans`: the highest contiguous sequence the server holds. */
export const ScanUploadAckSchema = Type.Object({ ackedThrough: Counter() });
/** Answer of `POST /scans`. */
export type ScanUploadAck = Static<typeof ScanUploadAckSchema>;

// --- POST /heartbeat -----------------------------------------------------------------------

/** A device as a lane reports it. */
export const DeviceReport = Type.Object({
  name: Type.String({ maxLength: 64 }),
  kind: Type.String({ maxLength: 32 }),
  status: Type.String({ maxLength: 32 }),
});
/** A device as a lane reports it. */
export type DeviceReport = Static<typeof DeviceReport>;

/** Body of `POST /heartbeat`: what a lane reports of itself. */
export const HeartbeatReport = Type.Object({
  listVersions: Type.Object({ health: Counter(), whitelist: Counter() }),
  backlog: Counter(),
  devices: Type.Array(DeviceReport, { maxItems: 32 }),
  clock: EpochMs({ description: 'lane clock, epoch ms' }),
  listRefusals: Type.Optional(ListRefusalReport),
  // Optional: sent by a lane in gate mode or driving a relay (contract/gate.ts).
  gate: Type.Optional(GateReportSchema),
  // Optional: sent only by a lane given several servers (`--server URL1,URL2,…`).
  servers: Type.Optional(
    Type.Object({
      index: Type.Integer({
        minimum: 0,
        maximum: 63,
        description: 'the server the lane uses now (0: first listed)',
      }),
      count: Type.Integer({ minimum: 1, maximum: 64, description: 'servers the lane lists' }),
      failovers: Counter({
        description: 'times the lane moved from a failed server to one that is up, since it started',
      }),
    }),
  ),
});
/** What a lane reports in its heartbeat. */
export type HeartbeatReport = Static<typeof HeartbeatReport>;

/** Answer of `POST /heartbeat`: server time, the lane's checkpoint config, the roster version. */
export const HeartbeatAnswer = Type.Object({
  serverTime: Type.Integer(),
  checkpoint: CheckpointConfig,
  // Always sent by this server; optional so a lane still talks to one without central rosters.
  officersVersion: Type.Optional(
    Type.Integer({
      description: 'the officer roster version; fetch /officers when it differs from the lane’s',
    }),
  ),
  // Always sent by this server: a lane takes a new key only with an endorsement by one it pins.
  listSigningKeys: Type.Optional(ListSigningKeys),
  // Always sent by this server (CLCFG1, config-signature.ts); a lane that trusts keys refuses a config without it.
  checkpointSignature: Type.Optional(ListSignature),
  // Always sent by this server (CLCFG2: CLCFG1 and vehicleMode); absent from servers before it.
  checkpointSignatureV2: Type.Optional(ListSignature),
  // Always sent by this server: the current list key of the lane's scope; fetch /list-key when it differs.
  listKeyId: Type.Optional(ListKeyId),
});
/** What a heartbeat answers. */
export type HeartbeatAnswer = Static<typeof HeartbeatAnswer>;

// --- GET /officers -------------------------------------------------------------------------

/** An officer who may override decisions at a lane; supervisors may also clear an F0 red. */
export const RosterOfficer = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  /** Shown in the override dialog's officer list; absent from older rosters and files. */
  name: Type.Optional(
    Type.String({ maxLength: 120, description: 'shown in the lane’s override dialog to pick the officer' }),
  ),
  role: literalUnion(OFFICER_ROLES),
  /** `scrypt$<salt b64>$<hash b64>` of the PIN; PINs are never stored in clear. */
  pinHash: Type.String({
    pattern: '^scrypt\\$[A-Za-z0-9+/=]+\\$[A-Za-z0-9+/=]+$',
    description: 'scrypt$<salt b64>$<hash b64> (N=16384, r=8, p=1, 32 bytes)',
  }),
});
/** An officer on a roster. */
export type RosterOfficer = Static<typeof RosterOfficer>;

/** Answer of `GET /officers`: the roster version and the officers valid at the lane's checkpoint. */
export const OfficerRoster = Type.Object({
  version: Version,
  officers: Type.Array(RosterOfficer, { maxItems: 100_000 }),
  // Always sent by this server (CLROS1, config-signature.ts); a lane that trusts keys refuses a roster without it.
  signature: Type.Optional(ListSignature),
});
/** A roster from the sync server. */
export type OfficerRoster = Static<typeof OfficerRoster>;

// --- GET /events ---------------------------------------------------------------------------

/** The body of each event the server sends on `GET /api/v1/kiosk/events`, by event name. */
export const LANE_EVENT_SCHEMAS = {
  /** First event of every stream. */
  hello: Type.Object({ kioskId: Type.String(), checkpointId: Type.String(), serverTime: Type.Integer() }),
  /** A list is at a new version: fetch its changes. */
  'list-version': Type.Object({ list: ListName, version: Version }),
  /** Health entries that block at this lane's checkpoint, ahead of their delta. */
  urgent: Type.Object({
    list: Type.Literal('health'),
    fromVersion: Type.Optional(Version),
    toVersion: Type.Optional(Version),
    // A server sends at most URGENT_MAX_CHANGES (vocabulary.ts); a lane takes more, for a newer server.
    changes: Type.Array(WireChange, { maxItems: 1000 }),
    signature: Type.Optional(ListSignature),
    issuedAt: Type.Optional(Type.Integer({ minimum: 0 })),
    // The list key the changes' keys are made with: a lane whose list is keyed otherwise fetches.
    keyId: Type.Optional(ListKeyId),
  }),
  /** The lane's key scope has a new list key K (a rotation): fetch it from /list-key. */
  'list-key': Type.Object({ keyId: ListKeyId }),
  /** The list-signing keys changed (a rotation): the whole set, as heartbeats answer it. */
  'signing-keys': Type.Object({ keys: ListSigningKeys }),
  /** This lane's checkpoint has a new config (the whole config, as heartbeats answer it). */
  checkpoint: Type.Object({
    ...CheckpointConfig.properties,
    checkpointSignature: Type.Optional(ListSignature),
    checkpointSignatureV2: Type.Optional(ListSignature),
  }),
  /** The officer roster is at a new version: fetch this checkpoint's roster. */
  officers: Type.Object({ version: Version }),
  /** This lane's token was revoked. */
  revoked: Type.Object({ kioskId: Type.Optional(Type.String()) }),
  /** The pass directory (pass keys, revoked passes) is at a new version: fetch /passes. */
  passes: PassesEventSchema,
};

/** Name of an event on a lane's stream. */
export type LaneEventName = keyof typeof LANE_EVENT_SCHEMAS;

/** One event on a lane's stream: switch on `type` and the compiler knows `data`. */
export type LaneEvent = {
  [K in LaneEventName]: { readonly type: K; readonly data: Type.Static<(typeof LANE_EVENT_SCHEMAS)[K]> };
}[LaneEventName];

/** Why an event was not taken: a name this lane does not know (a newer server), or a bad body. */
export type LaneEventRefusal = 'unknown' | 'unreadable' | 'invalid';

/** Decodes one server-sent event against its schema: the one place a lane reads its stream. */
export function decodeLaneEvent(name: string, data: string): Result<LaneEvent, LaneEventRefusal> {
  if (!Object.hasOwn(LANE_EVENT_SCHEMAS, name)) return { ok: false, error: 'unknown' };
  const type = name as LaneEventName;
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return { ok: false, error: 'unreadable' };
  }
  if (!Value.Check(LANE_EVENT_SCHEMAS[type], body)) return { ok: false, error: 'invalid' };
  return { ok: true, value: { type, data: body } as LaneEvent };
}

/**
 * Checks a value (a parsed answer or body) against a contract schema: the value, typed, or
 * where it first fails (`/path: message`), for a lane's `invalid` failure.
 */
export function decodeAs<S extends TSchema>(schema: S, value: unknown): Result<Static<S>, string> {
  if (Value.Check(schema, value)) return { ok: true, value };
  const first = Value.Errors(schema, value)[0];
  return { ok: false, error: first ? `${first.instancePath || '/'}: ${first.message}` : 'does not match' };
}
