import { Readable } from 'node:stream';
import {
  LIST_COUNT_HEADER,
  LIST_ISSUED_AT_HEADER,
  LIST_KEY_ID_HEADER,
  LIST_SIGNATURE_HEADER,
  LIST_VERSION_HEADER,
  listSignatureScope,
  ListPathParams,
  SNAPSHOT_MEDIA_TYPE,
  SnapshotCheckpointPathParams,
  SnapshotLegacyPathParams,
  SnapshotLegacyQuery,
  snapshotVersionPath,
  SnapshotVersionPathParams,
  type ListName,
} from '@checkpoint-lane/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requireLane } from '../../auth/auth-hooks.js';
import { HttpError } from '../../http-error.js';
import { listKind } from '../../lists/list-kinds.js';
import { KeyCollisionError } from '../../lists/rekey.js';
import { SnapshotBusyError, snapshotBody, type BuiltSnapshot } from '../../lists/snapshot-build.js';
import type { Services } from '../../services.js';
import { errors, kioskSecurity, type App } from '../schemas.js';

/** Where the kiosk routes are mounted (the versioned URL a `Content-Location` names is absolute). */
const KIOSK_PREFIX = '/api/v1/kiosk';

/**
 * A year: how long a shared cache may keep a versioned snapshot (it never changes). `public`
 * lets a cache serve it to requests without the lane's token: the proxy in front authenticates
 * lanes itself (snapshot-format.md, "Caching versioned snapshots").
 */
const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** The unversioned answer: the lane's own, revalidated every time, kept by no shared cache. */
const CURRENT_CACHE_CONTROL = 'private, no-cache';

/** Seconds a lane waits before asking again after a 503 (busy builder, snapshot pruned mid-read). */
const RETRY_AFTER_SEC = 5;

const SIGNED =
  'Signed: `x-list-signature` is `keyId:base64` of the Ed25519 signature over the CLSIG2 message ' +
  '(snapshot, list, scope with the list key id, 0, `x-list-version`, `x-list-count`, `x-list-issued-at`, ' +
  'SHA-256 of the whole body); see shared/src/sync/list-signature.ts. The strong `ETag` is that SHA-256 (hex).';

/** The byte range asked for: `bytes=N-` or `bytes=N-M`; null for the whole snapshot. */
function rangeOf(req: FastifyRequest, snap: BuiltSnapshot): { start: number; end: number } | null {
  const range = req.headers.range;
  const ifRange = req.headers['if-range'];
  // A Range against other bytes (another version, key or checkpoint) gets the whole snapshot.
  if (range === undefined || (ifRange !== undefined && ifRange !== snap.etag)) return null;
  const m = /^bytes=(\d{1,15})-(\d{1,15})?$/.exec(range);
  if (!m) throw new HttpError(416, 'bad_range', 'only "Range: bytes=N-" or "bytes=N-M" is supported');
  const start = Number(m[1]);
  const end = m[2] === undefined ? snap.size : Math.min(snap.size, Number(m[2]) + 1);
  if (start >= snap.size || end <= start)
    throw new HttpError(416, 'bad_range', `the snapshot has ${snap.size} bytes`);
  return { start, end };
}

/**
 * A snapshot's bytes [start, end); a 503 `snapshot_busy` when its stream waited too long for its
 * turn (a snapshot too large for the server's memory, streamed from a shared cache).
 */
async function bodyOf(snap: BuiltSnapshot, start: number, end: number): Promise<Buffer | Readable> {
  try {
    return await snapshotBody(snap, start, end);
  } catch (e) {
    if (e instanceof SnapshotBusyError) throw new HttpError(503, 'snapshot_busy', e.message);
    throw e;
  }
}

/** Whether `If-None-Match` names this snapshot's ETag (or `*`). */
function notModified(req: FastifyRequest, snap: BuiltSnapshot): boolean {
  const h = req.headers['if-none-match'];
  if (h === undefined) return false;
  return h
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === snap.etag);
}

/**
 * `GET /lists/:list/snapshot` (the current version) and
 * `GET /lists/:list/snapshot/:version/key/:keyId[/checkpoint/:checkpoint]` (one exact snapshot,
 * immutable: a reverse proxy or CDN may keep it; the first form of that URL, with `keyId` and
 * `checkpoint` in the query, answers a 308 to it), all behind the kiosk
 * token, both signed at send time, both resumable (Range, If-Range) and revalidated by their
 * strong ETag (the SHA-256 of the bytes; If-None-Match → 304).
 */
export function registerSnapshotRoutes(app: App, s: Services): void {
  /** The current snapshot of a list for the lane, keyed with its scope's list key. */
  const currentFor = async (list: ListName, checkpointId: string): Promise<BuiltSnapshot> => {
    const key = await s.listKeys.forCheckpoint(checkpointId);
    return s.snapshots.current(list, checkpointId, key).catch((e: unknown) => {
      if (e instanceof KeyCollisionError) throw new HttpError(503, 'list_key_collision', e.message);
      if (e instanceof SnapshotBusyError) throw new HttpError(503, 'snapshot_busy', e.message);
      throw e;
    });
  };

  /** The versioned URL of a snapshot cut for a lane at `checkpointId`. */
  const versionedUrl = (snap: BuiltSnapshot, checkpointId: string): string =>
    KIOSK_PREFIX +
    snapshotVersionPath(
      snap.list,
      snap.version,
      snap.keyId,
      listKind(snap.list).snapshot.scoped ? checkpointId : null,
    );

  /** Answers a snapshot: signed headers, then 304, 206 or 200 (its bytes found before any header is set). */
  const send = async (
    req: FastifyRequest,
    reply: FastifyReply,
    snap: BuiltSnapshot,
    checkpointId: string,
    cacheControl: string,
  ): Promise<FastifyReply> => {
    const fresh = notModified(req, snap);
    // The range and the bytes first: a 416 or a 503 (pruned) carries none of the headers below.
    const range = fresh ? null : rangeOf(req, snap);
    const { start, end } = range ?? { start: 0, end: snap.size };
    // A HEAD gets every header and no body: its bytes are not read (fastify drains a stream).
    const body = fresh ? null : req.method === 'HEAD' ? Readable.from([]) : await bodyOf(snap, start, end);
    void reply
      .header('etag', snap.etag)
      .header('cache-control', cacheControl)
      .header('accept-ranges', 'bytes');
    if (body === null) return reply.code(304).send();
    // Signed at send time (the digest is the build's): the lane judges how old the answer is.
    const issuedAt = s.clock();
    const signature = s.signer.signList({
      kind: 'snapshot',
      list: snap.list,
      scope: listSignatureScope(snap.list, checkpointId, snap.keyId),
      fromVersion: 0,
      toVersion: snap.version,
      count: snap.count,
      issuedAt,
      digest: snap.digest,
    });
    void reply
      .header('content-type', SNAPSHOT_MEDIA_TYPE)
      .header(LIST_VERSION_HEADER, String(snap.version))
      .header(LIST_COUNT_HEADER, String(snap.count))
      .header(LIST_KEY_ID_HEADER, String(snap.keyId))
      .header(LIST_SIGNATURE_HEADER, signature)
      .header(LIST_ISSUED_AT_HEADER, String(issuedAt))
      .header('content-length', String(end - start));
    if (range) void reply.code(206).header('content-range', `bytes ${start}-${end - 1}/${snap.size}`);
    return reply.send(body);
  };

  /**
   * Every answer of these routes other than a snapshot (200, 206) or its 304 is kept by no cache:
   * a 404 for a version not reached yet, a 401 or 403 for one lane, a 503 for a moment. A 503
   * says when to ask again.
   */
  const noStoreUnlessSnapshot = async (_req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const code = reply.statusCode;
    if (code !== 200 && code !== 206 && code !== 304) {
      void reply.header('cache-control', 'no-store');
      if (code === 503) void reply.header('retry-after', String(RETRY_AFTER_SEC));
    }
  };

  app.get(
    '/lists/:list/snapshot',
    {
      onSend: noStoreUnlessSnapshot,
      schema: {
        summary:
          'The list at its current version, binary (see snapshot-format.md); resumable with Range + If-Range',
        description:
          'Keyed with the current list key of the lane’s key scope (its id in `x-list-key-id`). ' +
          SIGNED +
          ' `Content-Location` names the versioned URL of the same bytes ' +
          '(GET /lists/{list}/snapshot/{version}/key/{keyId}[/checkpoint/{checkpoint}]), which a shared cache ' +
          'may keep; this answer is `Cache-Control: private, no-cache`. 503 `snapshot_busy` (with `Retry-After`) ' +
          'while the snapshot could not be built in time, 503 `snapshot_gone` when its cached bytes were pruned ' +
          'before they were sent.',
        tags: ['kiosk'],
        security: kioskSecurity,
        params: ListPathParams,
        produces: [SNAPSHOT_MEDIA_TYPE],
      },
    },
    async (req, reply) => {
      const lane = requireLane(req);
      const snap = await currentFor(req.params.list, lane.checkpointId);
      void reply.header('content-location', versionedUrl(snap, lane.checkpointId));
      return send(req, reply, snap, lane.checkpointId, CURRENT_CACHE_CONTROL);
    },
  );

  /** One exact snapshot, named by its path alone (`checkpoint` in it for a list cut per checkpoint). */
  const versioned = async (
    req: FastifyRequest,
    reply: FastifyReply,
    p: { list: ListName; version: number; keyId: number; checkpoint?: string },
  ): Promise<FastifyReply> => {
    const lane = requireLane(req);
    const { list, version, keyId, checkpoint } = p;
    if (listKind(list).snapshot.scoped) {
      if (checkpoint === undefined)
        throw new HttpError(400, 'checkpoint_required', `a ${list} snapshot URL names its checkpoint`);
      if (checkpoint !== lane.checkpointId)
        throw new HttpError(403, 'wrong_checkpoint', `this lane gets the ${list} of its own checkpoint only`);
    } else if (checkpoint !== undefined) {
      throw new HttpError(
        400,
        'checkpoint_not_expected',
        `the ${list} snapshot is the same at every checkpoint`,
      );
    }
    const snap = await currentFor(list, lane.checkpointId);
    if (keyId !== snap.keyId)
      throw new HttpError(
        410,
        'list_key_rotated',
        `this lane's lists are keyed with list key ${snap.keyId} now, not ${keyId}; fetch /list-key, then take a snapshot`,
      );
    const current = `GET ${versionedUrl(snap, lane.checkpointId)}`;
    if (version < snap.version)
      throw new HttpError(
        410,
        'snapshot_version_gone',
        `version ${version} of the ${list} list is no longer current: it is at version ${snap.version} (${current})`,
      );
    if (version > snap.version)
      throw new HttpError(
        404,
        'snapshot_version_unknown',
        `the ${list} list has no version ${version}: it is at version ${snap.version} (${current})`,
      );
    return send(req, reply, snap, lane.checkpointId, IMMUTABLE_CACHE_CONTROL);
  };

  const VERSIONED_DESCRIPTION =
    'Answered while `version` is the list’s current version (0 on a list never written) and `keyId` the ' +
    'current list key of the lane’s key scope: `Cache-Control: public, max-age=31536000, immutable`, strong ' +
    '`ETag`, Range + If-Range, If-None-Match (304). Every value that selects the bytes is in the path, so a ' +
    'cache keyed on the path keeps one entry per snapshot; `public` lets it serve them without asking this ' +
    'server, so a proxy in front must authenticate lanes itself (snapshot-format.md: a `HEAD` of the same URL ' +
    'with the lane’s token runs every check below and sends no body). 410 `snapshot_version_gone` once the ' +
    'list has moved on (the message names the current version), 404 `snapshot_version_unknown` for a version ' +
    'the list has not reached, 410 `list_key_rotated` for a list key that is not current, 403 ' +
    '`wrong_checkpoint` for another checkpoint’s whitelist, 400 `checkpoint_required` / ' +
    '`checkpoint_not_expected` for the wrong form; none of these is cacheable (`no-store`). ' +
    SIGNED +
    ' A shared cache keeps the signature headers with the bytes: their `x-list-issued-at` ages.';

  app.get(
    '/lists/:list/snapshot/:version/key/:keyId',
    {
      onSend: noStoreUnlessSnapshot,
      schema: {
        summary: 'One exact snapshot: the list at `version`, keyed with list key `keyId` (health); immutable',
        description: VERSIONED_DESCRIPTION,
        tags: ['kiosk'],
        security: kioskSecurity,
        params: SnapshotVersionPathParams,
        produces: [SNAPSHOT_MEDIA_TYPE],
        response: { ...errors(400, 401, 403, 404, 410, 416, 503) },
      },
    },
    async (req, reply) => versioned(req, reply, req.params),
  );

  app.get(
    '/lists/:list/snapshot/:version/key/:keyId/checkpoint/:checkpoint',
    {
      onSend: noStoreUnlessSnapshot,
      schema: {
        summary:
          'One exact snapshot: the list at `version`, keyed with list key `keyId`, cut for `checkpoint` (whitelist); immutable',
        description: VERSIONED_DESCRIPTION,
        tags: ['kiosk'],
        security: kioskSecurity,
        params: SnapshotCheckpointPathParams,
        produces: [SNAPSHOT_MEDIA_TYPE],
        response: { ...errors(400, 401, 403, 404, 410, 416, 503) },
      },
    },
    async (req, reply) => versioned(req, reply, req.params),
  );

  app.get(
    '/lists/:list/snapshot/:version',
    {
      onSend: noStoreUnlessSnapshot,
      schema: {
        summary: 'The first form of the versioned URL (`?keyId=…&checkpoint=…`): a 308 to the path form',
        description:
          'The values that select a snapshot moved from the query into the path ' +
          '(GET /lists/{list}/snapshot/{version}/key/{keyId}[/checkpoint/{checkpoint}]), so a cache that ignores ' +
          'the query cannot mix them; this answers a `308` to that URL, `Cache-Control: no-store`.',
        tags: ['kiosk'],
        security: kioskSecurity,
        params: SnapshotLegacyPathParams,
        querystring: SnapshotLegacyQuery,
        response: { ...errors(400, 401) },
      },
    },
    async (req, reply) => {
      requireLane(req);
      const { list, version } = req.params;
      const { keyId, checkpoint } = req.query;
      return reply
        .header('cache-control', 'no-store')
        .redirect(KIOSK_PREFIX + snapshotVersionPath(list, version, keyId, checkpoint ?? null), 308);
    },
  );
}
