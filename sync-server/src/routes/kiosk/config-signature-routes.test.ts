// The checkpoint config (heartbeat answer and `checkpoint` push) and the officer roster a lane
// gets are signed with the current list-signing key over the shared CLCFG1 / CLROS1 messages; the
// config also over CLCFG2 (vehicle mode covered), sent beside CLCFG1 so lanes from before it still
// verify. Checked here with node:crypto against the shared messages, as a lane checks them.
import { createHash, createPublicKey, verify } from 'node:crypto';
import {
  canonicalCheckpointConfig,
  canonicalCheckpointConfigV2,
  canonicalRosterLine,
  checkpointConfigMessage,
  checkpointConfigMessageV2,
  parseListSignature,
  rosterMessage,
  type CheckpointConfig,
  type HeartbeatAnswer,
  type ListSigningKey,
  type OfficerRoster,
} from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it } from 'vitest';
import type { SseStream } from '../../events/sse.js';
import { addCheckpoint, buildTestApp, type TestApp } from '../../testing/build-test-app.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** Whether `signature` is a valid signature by one of `keys` over `message`. */
function verifies(keys: readonly ListSigningKey[], message: string, signature: string | undefined): boolean {
  const parsed = signature === undefined ? null : parseListSignature(signature);
  const key = keys.find((k) => k.id === parsed?.keyId);
  if (parsed === null || key === undefined) return false;
  const pub = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.publicKey, 'base64').toString('base64url') },
    format: 'jwk',
  });
  return verify(null, Buffer.from(message, 'utf8'), pub, Buffer.from(parsed.signature, 'base64'));
}

const configMessage = (checkpointId: string, c: CheckpointConfig) =>
  checkpointConfigMessage(checkpointId, sha256(canonicalCheckpointConfig(c)));

const configMessageV2 = (checkpointId: string, c: CheckpointConfig) =>
  checkpointConfigMessageV2(checkpointId, sha256(canonicalCheckpointConfigV2(c)));

const rosterDigest = (r: OfficerRoster) => sha256(r.officers.map(canonicalRosterLine).join(''));

async function enroll(checkpointId: string) {
  const code = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/enrollments',
    headers: t.admin,
    payload: { checkpointId },
  });
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/kiosk/enroll',
    payload: { code: code.json<{ code: string }>().code, name: 'Lane' },
  });
  const answer = res.json<{ token: string; listSigningKeys: ListSigningKey[] }>();
  return { auth: { authorization: `Bearer ${answer.token}` }, keys: answer.listSigningKeys };
}

describe('signed checkpoint config and officer roster', () => {
  it('signs the heartbeat’s checkpoint config for the lane’s checkpoint; a changed config does not verify', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A', 'open', { blockingStatuses: ['F0', 'F1'] });
    await addCheckpoint(t, 'B');
    const lane = await enroll('A');
    expect(lane.keys.length).toBeGreaterThan(0);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/heartbeat',
      headers: lane.auth,
      payload: { listVersions: { health: 0, whitelist: 0 }, backlog: 0, devices: [], clock: 1 },
    });
    expect(res.statusCode).toBe(200);
    const hb = res.json<HeartbeatAnswer>();
    expect(hb.checkpoint).toMatchObject({ id: 'A', blockingStatuses: ['F0', 'F1'] });
    expect(verifies(lane.keys, configMessage('A', hb.checkpoint), hb.checkpointSignature)).toBe(true);
    const emptied = { ...hb.checkpoint, blockingStatuses: [] };
    expect(verifies(lane.keys, configMessage('A', emptied), hb.checkpointSignature)).toBe(false);
    expect(verifies(lane.keys, configMessage('B', hb.checkpoint), hb.checkpointSignature)).toBe(false);
  });

  it('signs the heartbeat’s config over CLCFG2 too: vehicle mode changed does not verify; CLCFG1 stays as old lanes check it', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A', 'open', { vehicleMode: true });
    const lane = await enroll('A');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/heartbeat',
      headers: lane.auth,
      payload: { listVersions: { health: 0, whitelist: 0 }, backlog: 0, devices: [], clock: 1 },
    });
    const hb = res.json<HeartbeatAnswer>();
    expect(hb.checkpoint).toMatchObject({ id: 'A', vehicleMode: true });
    expect(verifies(lane.keys, configMessageV2('A', hb.checkpoint), hb.checkpointSignatureV2)).toBe(true);
    const { vehicleMode: _on, ...off } = hb.checkpoint;
    expect(verifies(lane.keys, configMessageV2('A', off), hb.checkpointSignatureV2)).toBe(false);
    expect(verifies(lane.keys, configMessageV2('B', hb.checkpoint), hb.checkpointSignatureV2)).toBe(false);
    // The CLCFG2 signature is no CLCFG1 one, and CLCFG1 still verifies for lanes that know no other.
    expect(verifies(lane.keys, configMessage('A', hb.checkpoint), hb.checkpointSignatureV2)).toBe(false);
    expect(verifies(lane.keys, configMessage('A', hb.checkpoint), hb.checkpointSignature)).toBe(true);
  });

  it('signs the `checkpoint` push with the config it carries', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A');
    const lane = await enroll('A');
    const sent: { event: string; data: unknown }[] = [];
    const stream: SseStream = {
      send: (event, data) => sent.push({ event, data }),
      comment: () => undefined,
      close: () => undefined,
    };
    t.app.services.hub.addLane('la', 'A', stream);
    await addCheckpoint(t, 'A', 'closed', { freshnessBudgetSec: 600, vehicleMode: true });
    const pushed = sent.filter((e) => e.event === 'checkpoint');
    expect(pushed).toHaveLength(1);
    const { checkpointSignature, checkpointSignatureV2, ...config } = pushed[0]?.data as CheckpointConfig & {
      checkpointSignature?: string;
      checkpointSignatureV2?: string;
    };
    expect(config).toMatchObject({ id: 'A', mode: 'closed', freshnessBudgetSec: 600, vehicleMode: true });
    expect(verifies(lane.keys, configMessage('A', config), checkpointSignature)).toBe(true);
    expect(verifies(lane.keys, configMessage('A', { ...config, mode: 'open' }), checkpointSignature)).toBe(
      false,
    );
    expect(verifies(lane.keys, configMessageV2('A', config), checkpointSignatureV2)).toBe(true);
    expect(
      verifies(lane.keys, configMessageV2('A', { ...config, vehicleMode: false }), checkpointSignatureV2),
    ).toBe(false);
  });

  it('signs the officer roster for the lane’s checkpoint and version; an added supervisor does not verify', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A');
    await addCheckpoint(t, 'B');
    const put = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/officers/o-lan',
      headers: t.admin,
      payload: { name: 'Lan', role: 'officer', checkpoints: ['A'], pin: '123456' },
    });
    expect(put.statusCode).toBe(201);
    const lane = await enroll('A');
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/kiosk/officers', headers: lane.auth });
    expect(res.statusCode).toBe(200);
    const roster = res.json<OfficerRoster>();
    expect(roster.officers.map((o) => o.id)).toEqual(['o-lan']);
    const message = (r: OfficerRoster, cp = 'A') => rosterMessage(cp, r.version, rosterDigest(r));
    expect(verifies(lane.keys, message(roster), roster.signature)).toBe(true);
    const added = {
      ...roster,
      officers: [
        ...roster.officers,
        { id: 'x', role: 'supervisor' as const, pinHash: roster.officers[0]?.pinHash ?? '' },
      ],
    };
    expect(verifies(lane.keys, message(added), roster.signature)).toBe(false);
    expect(verifies(lane.keys, message({ ...roster, version: roster.version + 1 }), roster.signature)).toBe(
      false,
    );
    expect(verifies(lane.keys, message(roster, 'B'), roster.signature)).toBe(false);
  });
});
