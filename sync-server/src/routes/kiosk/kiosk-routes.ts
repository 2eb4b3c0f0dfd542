import {
  CheckpointConfig,
  Counter,
  EpochMs,
  ScanUploadAckSchema,
  ScanUploadSchema,
} from '@checkpoint-lane/shared';
import { createReadStream } from 'node:fs';
import Type from 'typebox';
import { requireKiosk } from '../../auth/auth-hooks.js';
import { openSse } from '../../events/sse.js';
import { HttpError } from '../../http-error.js';
import { subjectKeyToHex } from '../../lists/subject-key.js';
import type { Services } from '../../services.js';
import { EpochOrNull, errors, kioskSecurity, ListParams, type App } from '../schemas.js';

const ChangeSchema = Type.Object({
  key: Type.String({ pattern: '^[0-9a-f]{16}$' }),
  op: Type.Union([Type.Literal('put'), Type.Literal('delete')]),
  entry: Type.Optional(
    Type.Object({
      status: Type.Optional(Type.String()),
      since: Type.Optional(EpochOrNull),
      until: Type.Optional(EpochOrNull),
      category: Type.Optional(Type.String()),
      validFrom: Type.Optional(EpochOrNull),
      validUntil: Type.Optional(EpochOrNull),
      checkpoints: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
    }),
  ),
});

const HeartbeatBody = Type.Object({
  listVersions: Type.Object({
    health: Counter(),
    whitelist: Counter(),
  }),
  backlog: Counter(),
  devices: Type.Array(
    Type.Object({
      name: Type.String({ maxLength: 64 }),
      kind: Type.String({ maxLength: 32 }),
      status: Type.String({ maxLength: 32 }),
    }),
    { maxItems: 32 },
  ),
  clock: EpochMs({ description: 'lane clock, epoch ms' }),
});

/** `/api/v1/kiosk/…` behind the kiosk token: lists, events, scans, heartbeat. */
export function registerKioskRoutes(app: App, s: Services): void {
  app.get(
    '/lists/:list/snapshot',
    {
      schema: {
        summary:
          'The list at its current version, binary (see snapshot-format.md); resumable with Range + If-Range',
        tags: ['kiosk'],
        security: kioskSecurity,
        params: ListParams,
        produces: ['application/vnd.checkpoint-lane.snapshot'],
      },
    },
    async (req, reply) => {
      const kiosk = requireKiosk(req);
      const snap = await s.snapshots.current(req.params.list, kiosk.checkpointId);
      s.fleet.seen(kiosk.id);
      let start = 0;
      const range = req.headers.range;
      const ifRange = req.headers['if-range'];
      if (range !== undefined && (ifRange === undefined || ifRange === snap.etag)) {
        const m = /^bytes=(\d+)-$/.exec(range);
        if (!m) throw new HttpError(416, 'bad_range', 'only "Range: bytes=N-" is supported');
        start = Number(m[1]);
        if (start >= snap.size) {
          throw new HttpError(416, 'bad_range', `the snapshot has ${snap.size} bytes`);
        }
      }
      void reply
        .header('content-type', 'application/vnd.checkpoint-lane.snapshot')
        .header('x-list-version', String(snap.version))
        .header('etag', snap.etag)
        .header('accept-ranges', 'bytes')
        .header('cache-control', 'private, max-age=0')
        .header('content-length', String(snap.size - start));
      if (start > 0)
        void reply.code(206).header('content-range', `bytes ${start}-${snap.size - 1}/${snap.size}`);
      if (snap.bytes)
        return reply.send(Buffer.from(snap.bytes.buffer, snap.bytes.byteOffset + start, snap.size - start));
      return reply.send(createReadStream(snap.file ?? '', { start }));
    },
  );

  app.get(
    '/lists/:list/changes',
    {
      schema: {
        summary:
          'Changes since version V, latest state per key; 410 when V is older than the change log keeps',
        description:
          '409 when V is newer than the server (restored from a backup): take a snapshot in both cases.',
        tags: ['kiosk'],
        security: kioskSecurity,
        params: ListParams,
        querystring: Type.Object({ since: Counter() }),
        response: {
          200: Type.Object({
            list: Type.String(),
            fromVersion: Type.Integer(),
            toVersion: Type.Integer(),
            changes: Type.Array(ChangeSchema),
          }),
          ...errors(400, 401, 409, 410),
        },
      },
    },
    (req) => {
      const kiosk = requireKiosk(req);
      const { list } = req.params;
      const r = s.lists.changesSince(list, req.query.since, kiosk.checkpointId);
      s.fleet.seen(kiosk.id);
      if (r.kind === 'gone') {
        throw new HttpError(
          410,
          'changes_gone',
          `changes before version ${r.changesFrom} are no longer kept; take a snapshot (version ${r.version})`,
        );
      }
      if (r.kind === 'ahead') {
        throw new HttpError(
          409,
          'version_ahead',
          `the server's ${list} list is at version ${r.version}, behind yours; take a snapshot`,
        );
      }
      return {
        list,
        fromVersion: r.fromVersion,
        toVersion: r.toVersion,
        changes: r.changes.map((c) => ({
          key: subjectKeyToHex(c.key),
          op: c.op,
          ...(c.entry !== undefined && {
            entry: {
              ...c.entry,
              ...('checkpoints' in c.entry && {
                checkpoints: c.entry.checkpoints && [...c.entry.checkpoints],
              }),
            },
          }),
        })),
      };
    },
  );

  app.get(
    '/events',
    {
      schema: {
        summary:
          'Server-sent events: `list-version` {list,version}, `urgent` (blocking health changes inline), `checkpoint` (new config), `officers` {version} (roster changed; fetch /officers), `revoked`',
        tags: ['kiosk'],
        security: kioskSecurity,
        produces: ['text/event-stream'],
      },
    },
    (req, reply) => {
      const kiosk = requireKiosk(req);
      let remove = (): void => undefined;
      const stream = openSse(
        reply,
        s.sseKeepAliveMs,
        () => {
          remove();
          s.fleet.streamClosed(kiosk.id);
        },
        s.sseMaxBufferBytes,
      );
      remove = s.hub.addKiosk(kiosk.id, kiosk.checkpointId, stream);
      s.fleet.seen(kiosk.id);
      stream.send('hello', { kioskId: kiosk.id, checkpointId: kiosk.checkpointId, serverTime: s.clock() });
      for (const list of ['health', 'whitelist'] as const) {
        stream.send('list-version', { list, version: s.lists.state(list).version });
      }
      stream.send('officers', { version: s.officers.version() });
    },
  );

  app.post(
    '/scans',
    {
      schema: {
        summary:
          'Idempotent batched upload of scans, overrides and acknowledgements; answers the highest contiguous seq held',
        description:
          'Overrides and acknowledgements the centre distrusts (another lane’s scan, an unknown, disabled or ' +
          'unassigned officer, no supervisor, a lane time before the scan or over 10 min after receipt) are ' +
          'stored flagged and raise an `override` alert, never refused.',
        tags: ['kiosk'],
        security: kioskSecurity,
        body: ScanUploadSchema,
        response: { 200: ScanUploadAckSchema, ...errors(400, 401, 413) },
      },
    },
    (req) => {
      const kiosk = requireKiosk(req);
      const blocking = s.checkpoints.get(kiosk.checkpointId)?.blockingStatuses ?? [];
      const now = s.clock();
      const result = s.db.transaction(() => {
        const r = s.scans.ingest(kiosk.id, kiosk.checkpointId, req.body.records, now, blocking);
        // A health-blocked red let through is the most serious thing a lane does: audited.
        for (const h of r.healthReleases) {
          s.audit.record(now, `kiosk:${kiosk.id}`, 'override.health_release', h.scanId, {
            overrideId: h.overrideId,
            checkpointId: kiosk.checkpointId,
            officerId: h.officerId,
            supervisorId: h.supervisorId,
            reason: h.reason,
            verified: h.verified,
            ...(h.issues.length > 0 && { issues: h.issues }),
          });
        }
        return r;
      })();
      s.fleet.seen(kiosk.id);
      for (const alert of result.alerts) s.hub.publishAdmin('alert', alert);
      for (const alert of result.updatedAlerts) s.hub.publishAdmin('alert', alert);
      return { ackedThrough: result.ackedThrough };
    },
  );

  app.get(
    '/officers',
    {
      schema: {
        summary:
          'The active officers valid at this lane’s checkpoint, with their PIN hashes, and the roster version',
        tags: ['kiosk'],
        security: kioskSecurity,
        response: {
          200: Type.Object({
            version: Type.Integer({ minimum: 0 }),
            officers: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.String({ description: 'shown in the lane’s override dialog to pick the officer' }),
                role: Type.Union([Type.Literal('officer'), Type.Literal('supervisor')]),
                pinHash: Type.String({
                  description: 'scrypt$<salt b64>$<hash b64> (N=16384, r=8, p=1, 32 bytes)',
                }),
              }),
            ),
          }),
          ...errors(401),
        },
      },
    },
    (req) => {
      const kiosk = requireKiosk(req);
      s.fleet.seen(kiosk.id);
      return s.db.transaction(() => ({
        version: s.officers.version(),
        officers: s.officers
          .activeAt(kiosk.checkpointId)
          .map((o) => ({ id: o.id, name: o.name, role: o.role, pinHash: o.pinHash })),
      }))();
    },
  );

  app.post(
    '/heartbeat',
    {
      schema: {
        summary: 'Lane health; answers server time and this lane’s checkpoint config',
        tags: ['kiosk'],
        security: kioskSecurity,
        body: HeartbeatBody,
        response: {
          200: Type.Object({
            serverTime: Type.Integer(),
            checkpoint: CheckpointConfig,
            officersVersion: Type.Integer({
              description: 'the officer roster version; fetch /officers when it differs from the lane’s',
            }),
          }),
          ...errors(400, 401),
        },
      },
    },
    (req) => {
      const kiosk = requireKiosk(req);
      const now = s.clock();
      const b = req.body;
      s.kiosks.heartbeat(
        kiosk.id,
        {
          health: b.listVersions.health,
          whitelist: b.listVersions.whitelist,
          backlog: b.backlog,
          devices: b.devices,
          clockSkewMs: b.clock - now,
        },
        now,
      );
      s.fleet.seen(kiosk.id);
      const checkpoint = s.checkpoints.get(kiosk.checkpointId);
      if (!checkpoint)
        throw new HttpError(404, 'unknown_checkpoint', 'this lane’s checkpoint no longer exists');
      return {
        serverTime: now,
        checkpoint: { ...checkpoint, blockingStatuses: [...checkpoint.blockingStatuses] },
        officersVersion: s.officers.version(),
      };
    },
  );
}
