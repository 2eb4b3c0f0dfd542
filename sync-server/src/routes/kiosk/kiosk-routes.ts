import {
  ChangesQuery,
  HeartbeatAnswer,
  HeartbeatReport,
  LIST_NAMES,
  ListChanges,
  listSignatureScope,
  ListPathParams,
  OfficerRoster,
  ScanUploadAckSchema,
  ScanUploadSchema,
} from '@checkpoint-lane/shared';
import { requireLane } from '../../auth/auth-hooks.js';
import { openSse, sendLaneEvent } from '../../events/sse.js';
import { HttpError } from '../../http-error.js';
import { changesDigest } from '../../lists/list-signing.js';
import { LaneKeyMemo } from '../../lists/rekey.js';
import type { Services } from '../../services.js';
import { errors, kioskSecurity, type App } from '../schemas.js';
import { storableDevices, storableLaneRecords } from './lane-text.js';
import { registerSnapshotRoutes } from './snapshot-routes.js';

/**
 * `/api/v1/kiosk/…` behind the kiosk token: lists, events, scans, officers, heartbeat. Requests
 * and answers are the kiosk API contract's schemas (shared/src/contract/kiosk-api.ts).
 */
export function registerKioskRoutes(app: App, s: Services): void {
  const work = s.store.lane;
  // The lanes of a scope ask for the same changes after a write: each change is keyed once.
  const laneKeys = new LaneKeyMemo();
  // Every valid request of an authenticated lane counts as hearing from it (the fleet view's
  // online state); after validation, so a malformed request does not.
  app.addHook('preHandler', (req, _reply, done) => {
    s.fleet.seen(requireLane(req).id);
    done();
  });

  // GET /lists/:list/snapshot and its versioned, cacheable twin /lists/:list/snapshot/:version/key/:keyId[/checkpoint/:checkpoint].
  registerSnapshotRoutes(app, s);

  app.get(
    '/lists/:list/changes',
    {
      schema: {
        summary:
          'Changes since version V, latest state per key; 410 when V is older than the change log keeps',
        description:
          '409 when V is newer than the server (restored from a backup): take a snapshot in both cases. ' +
          '410 `list_key_rotated` when `keyId` (absent: 0) is not the current list key of the lane’s key scope: ' +
          'fetch /list-key, then a snapshot. The changes are keyed with that key (`keyId` in the answer). ' +
          '`signature` covers the CLSIG2 message (changes, list, scope with the list key id, fromVersion, ' +
          'toVersion, count, issuedAt, SHA-256 of the changes’ canonical lines); see shared/src/sync/list-signature.ts.',
        tags: ['kiosk'],
        security: kioskSecurity,
        params: ListPathParams,
        querystring: ChangesQuery,
        response: { 200: ListChanges, ...errors(400, 401, 409, 410) },
      },
    },
    async (req) => {
      const lane = requireLane(req);
      const { list } = req.params;
      const key = await s.listKeys.forCheckpoint(lane.checkpointId);
      const keyId = req.query.keyId ?? 0;
      // The delta and its changes' subjects, read at one version.
      const r = await work.changes(list, req.query.since, lane.checkpointId);
      if (r.kind === 'ahead') {
        throw new HttpError(
          409,
          'version_ahead',
          `the server's ${list} list is at version ${r.version}, behind yours; take a snapshot`,
        );
      }
      if (keyId !== key.id) {
        throw new HttpError(
          410,
          'list_key_rotated',
          `this lane's lists are keyed with list key ${key.id} now, not ${keyId}; fetch /list-key, then take a snapshot`,
        );
      }
      if (r.kind === 'gone') {
        throw new HttpError(
          410,
          'changes_gone',
          `changes before version ${r.changesFrom} are no longer kept; take a snapshot (version ${r.version})`,
        );
      }
      const laneKey = (indexKey: bigint): string => {
        const subject = r.subjects.get(indexKey);
        // A change logged without its subject cannot be keyed for a lane: it takes a snapshot.
        if (subject === undefined)
          throw new HttpError(410, 'changes_gone', `take a snapshot (version ${r.toVersion})`);
        return laneKeys.hex(key, subject);
      };
      const changes = r.changes.map((c) => ({
        key: laneKey(c.key),
        op: c.op,
        ...(c.entry !== undefined && {
          entry: {
            ...c.entry,
            ...('checkpoints' in c.entry && {
              checkpoints: c.entry.checkpoints && [...c.entry.checkpoints],
            }),
          },
        }),
      }));
      const issuedAt = s.clock();
      const signature = s.signer.signList({
        kind: 'changes',
        list,
        scope: listSignatureScope(list, lane.checkpointId, key.id),
        fromVersion: r.fromVersion,
        toVersion: r.toVersion,
        count: r.count,
        issuedAt,
        digest: changesDigest(changes),
      });
      return {
        list,
        fromVersion: r.fromVersion,
        toVersion: r.toVersion,
        changes,
        count: r.count,
        signature,
        issuedAt,
        keyId: key.id,
      };
    },
  );

  app.get(
    '/events',
    {
      schema: {
        summary:
          'Server-sent events: `list-version` {list,version}, `urgent` (blocking health changes inline, keyed with the scope’s list key, signed), `list-key` {keyId} (the key scope’s list key rotated; fetch /list-key), `checkpoint` (new config), `officers` {version} (roster changed; fetch /officers), `signing-keys` (list-signing keys rotated), `revoked`',
        tags: ['kiosk'],
        security: kioskSecurity,
        produces: ['text/event-stream'],
      },
    },
    async (req, reply) => {
      const lane = requireLane(req);
      // Read before the stream opens: what it says first.
      const versions = await Promise.all(
        LIST_NAMES.map(async (list) => ({ list, ...(await s.lists.state(list)) })),
      );
      const officersVersion = await s.officers.version();
      let remove = (): void => undefined;
      const stream = openSse(
        reply,
        s.sseKeepAliveMs,
        () => {
          remove();
          s.fleet.streamClosed(lane.id);
        },
        s.sseMaxBufferBytes,
      );
      remove = s.hub.addLane(lane.id, lane.checkpointId, stream, () =>
        s.listKeys.forCheckpoint(lane.checkpointId),
      );
      sendLaneEvent(stream, {
        type: 'hello',
        data: { kioskId: lane.id, checkpointId: lane.checkpointId, serverTime: s.clock() },
      });
      for (const { list, version } of versions) {
        sendLaneEvent(stream, { type: 'list-version', data: { list, version } });
      }
      sendLaneEvent(stream, { type: 'officers', data: { version: officersVersion } });
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
          'stored flagged and raise an `override` alert, never refused. A NUL or other C0 control character in a ' +
          'text field is stored as U+FFFD (notes keep tab and line breaks), never refused.',
        tags: ['kiosk'],
        security: kioskSecurity,
        body: ScanUploadSchema,
        response: { 200: ScanUploadAckSchema, ...errors(400, 401, 413) },
      },
    },
    async (req) => {
      const lane = requireLane(req);
      const blocking = (await s.checkpoints.get(lane.checkpointId))?.blockingStatuses ?? [];
      const records = storableLaneRecords(req.body.records);
      if (records.replaced > 0)
        req.log.warn(
          { kioskId: lane.id, replaced: records.replaced },
          'control characters in uploaded lane records stored as U+FFFD',
        );
      const result = await work.upload(lane, records.value, s.clock(), blocking);
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
        response: { 200: OfficerRoster, ...errors(401) },
      },
    },
    async (req) => {
      const checkpointId = requireLane(req).checkpointId;
      const roster = await work.roster(checkpointId);
      return { ...roster, signature: s.signer.signRoster(checkpointId, roster) };
    },
  );

  app.post(
    '/heartbeat',
    {
      schema: {
        summary:
          'Lane health (with the list data it refused); answers server time, this lane’s checkpoint config and the list-signing keys',
        tags: ['kiosk'],
        security: kioskSecurity,
        body: HeartbeatReport,
        response: { 200: HeartbeatAnswer, ...errors(400, 401) },
      },
    },
    async (req) => {
      const lane = requireLane(req);
      const now = s.clock();
      const b = req.body;
      const devices = storableDevices(b.devices);
      if (devices.replaced > 0)
        req.log.warn(
          { kioskId: lane.id, replaced: devices.replaced },
          'control characters in heartbeat device reports stored as U+FFFD',
        );
      // Fastify's validator coerces types and tries `relay: string | null` string-first, so a
      // lane's `relay: null` (no relay board) arrives as "": read it back as null.
      const gate = b.gate && { ...b.gate, relay: b.gate.relay === '' ? null : b.gate.relay };
      const gateAlerts = await s.kiosks.heartbeat(
        lane.id,
        {
          health: b.listVersions.health,
          whitelist: b.listVersions.whitelist,
          backlog: b.backlog,
          devices: devices.value,
          clockSkewMs: b.clock - now,
          ...(gate !== undefined && { gate }),
        },
        now,
      );
      // The console's gate page follows each report live; a lane that stops reporting a gate is
      // told once (null). Gate alerts go out like every alert (no subject in them).
      if (gate !== undefined || gateAlerts.hadGate)
        s.hub.publishAdmin('gate', {
          kioskId: lane.id,
          checkpointId: lane.checkpointId,
          at: now,
          gate: gate ?? null,
        });
      // A reopened alert (its fault came back soon after clearing: a flap) goes out under its own
      // id, an update to an alert the consoles know, never a new one.
      for (const id of [...gateAlerts.raised, ...gateAlerts.cleared, ...gateAlerts.reopened]) {
        const alert = await s.scans.alert(id);
        if (alert) s.hub.publishAdmin('alert', alert);
      }
      if (gateAlerts.raised.length > 0)
        req.log.warn({ kioskId: lane.id, alerts: gateAlerts.raised.length }, 'gate alerts raised');
      if (gateAlerts.reopened.length > 0)
        req.log.info(
          { kioskId: lane.id, alerts: gateAlerts.reopened.length },
          'gate fault alerts reopened (flap)',
        );
      if (b.listRefusals !== undefined && (await work.listRefusals(lane.id, b.listRefusals, now)))
        req.log.warn(
          { kioskId: lane.id, list: b.listRefusals.lastList, reason: b.listRefusals.lastReason },
          'lane refused list data from this server',
        );
      const checkpoint = await s.checkpoints.get(lane.checkpointId);
      if (!checkpoint)
        throw new HttpError(404, 'unknown_checkpoint', 'this lane’s checkpoint no longer exists');
      const config = { ...checkpoint, blockingStatuses: [...checkpoint.blockingStatuses] };
      return {
        serverTime: now,
        checkpoint: config,
        officersVersion: await s.officers.version(),
        listSigningKeys: s.signer.publicKeys(),
        ...s.signer.checkpointSignatures(config),
        listKeyId: (await s.listKeys.forCheckpoint(lane.checkpointId)).id,
      };
    },
  );
}
