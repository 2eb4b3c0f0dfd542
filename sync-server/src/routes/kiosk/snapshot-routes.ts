import {
  LIST_COUNT_HEADER,
  LIST_ISSUED_AT_HEADER,
  LIST_KEY_ID_HEADER,
  LIST_SIGNATURE_HEADER,
  LIST_VERSION_HEADER,
  listSignatureScope,
  ListPathParams,
  SNAPSHOT_MEDIA_TYPE,
  snapshotVersionPath,
  SnapshotVersionPathParams,
  SnapshotVersionQuery,
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

/** A year: how long a shared cache may keep a versioned snapshot (it never changes). */
const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

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
 * `GET /lists/:list/snapshot` (the current version) and `GET /lists/:list/snapshot/:version`
 * (one exact snapshot, immutable: a reverse proxy or CDN may keep it), both behind the kiosk
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

  /** Answers a snapshot: signed headers, then 304, 206 or 200. */
  const send = (
    req: FastifyRequest,
    reply: FastifyReply,
    snap: BuiltSnapshot,
    checkpointId: string,
    cacheControl: string,
  ): FastifyReply => {
    void reply
      .header('etag', snap.etag)
      .header('cache-control', cacheControl)
      .header('accept-ranges', 'bytes');
    if (notModified(req, snap)) return reply.code(304).send();
    const range = rangeOf(req, snap);
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
    const { start, end } = range ?? { start: 0, end: snap.size };
    void reply
      .header('content-type', SNAPSHOT_MEDIA_TYPE)
      .header(LIST_VERSION_HEADER, String(snap.version))
      .header(LIST_COUNT_HEADER, String(snap.count))
      .header(LIST_KEY_ID_HEADER, String(snap.keyId))
      .header(LIST_SIGNATURE_HEADER, signature)
      .header(LIST_ISSUED_AT_HEADER, String(issuedAt))
      .header('content-length', String(end - start));
    if (range) void reply.code(206).header('content-range', `bytes ${start}-${end - 1}/${snap.size}`);
    return reply.send(snapshotBody(snap, start, end));
  };

  app.get(
    '/lists/:list/snapshot',
    {
      schema: {
        summary:
          'The list at its current version, binary (see snapshot-format.md); resumable with Range + If-Range',
        description:
          'Keyed with the current list key of the lane’s key scope (its id in `x-list-key-id`). ' +
          SIGNED +
          ' `Content-Location` names the versioned URL of the same bytes (GET /lists/{list}/snapshot/{version}), ' +
          'which a shared cache may keep; this answer is `Cache-Control: no-cache`.',
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
      return send(req, reply, snap, lane.checkpointId, 'no-cache');
    },
  );

  app.get(
    '/lists/:list/snapshot/:version',
    {
      schema: {
        summary:
          'One exact snapshot: the list at `version`, keyed with list key `keyId` (whitelist: cut for `checkpoint`); immutable',
        description:
          'Answered while `version` is the list’s current version and `keyId` the current list key of the lane’s ' +
          'key scope: `Cache-Control: public, max-age=31536000, immutable`, strong `ETag`, Range + If-Range, ' +
          'If-None-Match (304). 410 `snapshot_version_gone` once the list has moved on (the message names the ' +
          'current version), 404 `snapshot_version_unknown` for a version the list has not reached, 410 ' +
          '`list_key_rotated` for a list key that is not current, 403 `wrong_checkpoint` for another checkpoint’s ' +
          'whitelist. ' +
          SIGNED +
          ' A shared cache keeps the signature headers with the bytes: their `x-list-issued-at` ages.',
        tags: ['kiosk'],
        security: kioskSecurity,
        params: SnapshotVersionPathParams,
        querystring: SnapshotVersionQuery,
        produces: [SNAPSHOT_MEDIA_TYPE],
        response: { ...errors(400, 401, 403, 404, 410, 416, 503) },
      },
    },
    async (req, reply) => {
      const lane = requireLane(req);
      const { list, version } = req.params;
      const { keyId, checkpoint } = req.query;
      if (listKind(list).snapshot.scoped) {
        if (checkpoint === undefined)
          throw new HttpError(400, 'checkpoint_required', `a ${list} snapshot URL names its checkpoint`);
        if (checkpoint !== lane.checkpointId)
          throw new HttpError(
            403,
            'wrong_checkpoint',
            `this lane gets the ${list} of its own checkpoint only`,
          );
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
    },
  );
}
