// Every snapshot, changes answer and urgent push the server sends a lane is signed over what the
// lane will hold; the lane pins the keys at enrollment and learns rotations from heartbeats.
// Checked here with node:crypto against the shared message, as a lane checks them.
import { createHash, createPublicKey, verify } from 'node:crypto';
import {
  canonicalChangeLine,
  decodeSnapshot,
  keyEndorsementMessage,
  LIST_COUNT_HEADER,
  LIST_ISSUED_AT_HEADER,
  LIST_KEY_ID_HEADER,
  LIST_SIGNATURE_HEADER,
  listSignatureMessage,
  listSignatureScope,
  parseListSignature,
  type EnrollAnswer,
  type HeartbeatAnswer,
  type ListChanges,
  type ListSigningKey,
  type ListSigningKeysAnswer,
  type SignedListFacts,
} from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub, urgentHealthChange } from '../../events/event-hub.js';
import type { SseStream } from '../../events/sse.js';
import { ListKeys } from '../../lists/list-keys.js';
import { ListSigner } from '../../lists/list-signing.js';
import { laneSubjectKeyHex } from '../../lists/rekey.js';
import { openDatabase } from '../../db/open-database.js';
import {
  addAccount,
  addCheckpoint,
  buildTestApp,
  importCsv,
  signIn,
  type TestApp,
} from '../../testing/build-test-app.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});

const H = 'id,status,since,until,name,note\n';
const W = 'id,category,valid_from,valid_until,checkpoints,name,note\n';

/** Enrolls a lane at `checkpointId` and returns its auth header and the enrollment answer. */
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
  const answer = res.json<EnrollAnswer>();
  return { auth: { authorization: `Bearer ${answer.token}` }, answer };
}

/** Whether `signature` is a valid signature by one of `keys` over `facts`. */
function verifies(
  keys: readonly ListSigningKey[],
  facts: SignedListFacts,
  signature: string | undefined,
): boolean {
  const parsed = signature === undefined ? null : parseListSignature(signature);
  const key = keys.find((k) => k.id === parsed?.keyId);
  if (parsed === null || key === undefined) return false;
  const pub = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.publicKey, 'base64').toString('base64url') },
    format: 'jwk',
  });
  return verify(null, Buffer.from(listSignatureMessage(facts)), pub, Buffer.from(parsed.signature, 'base64'));
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function snapshot(auth: Record<string, string>, list: string) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/kiosk/lists/${list}/snapshot`,
    headers: auth,
  });
  expect(res.statusCode).toBe(200);
  return res;
}

/** The id of the current list key of a checkpoint's key scope. */
const keyIdOf = (checkpointId: string): number => new ListKeys(t.db).forCheckpoint(checkpointId).id;

/** A changes answer for the lane at `checkpointId`, asked with its scope's current list key. */
async function changes(
  auth: Record<string, string>,
  list: string,
  since: number,
  checkpointId: string,
): Promise<ListChanges> {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/kiosk/lists/${list}/changes?since=${since}&keyId=${keyIdOf(checkpointId)}`,
    headers: auth,
  });
  expect(res.statusCode).toBe(200);
  return res.json<ListChanges>();
}

/** The facts a lane at `checkpointId` checks a changes answer against. */
function changesFacts(c: ListChanges, checkpointId: string): SignedListFacts {
  return {
    kind: 'changes',
    list: c.list,
    scope: listSignatureScope(c.list, checkpointId, c.keyId),
    fromVersion: c.fromVersion,
    toVersion: c.toVersion,
    count: c.count ?? -1,
    issuedAt: c.issuedAt ?? -1,
    digest: sha256(c.changes.map(canonicalChangeLine).join('')),
  };
}

describe('signed list answers', () => {
  it('gives each lane the public keys at enrollment, never a private half', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A');
    const { answer } = await enroll('A');
    const keys = answer.listSigningKeys ?? [];
    expect(keys).toHaveLength(1);
    const key = keys[0] as ListSigningKey;
    expect(key.id).toBe(sha256(Buffer.from(key.publicKey, 'base64')).slice(0, 16));
    expect(key.validUntil).toBeNull();
    expect(JSON.stringify(answer)).not.toMatch(/private/i);

    // Published in OpenAPI from the contract's schemas.
    const doc = JSON.stringify((await t.app.inject({ method: 'GET', url: '/openapi.json' })).json());
    const paths = (JSON.parse(doc) as { paths: Record<string, unknown> }).paths;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/api/v1/admin/lists/signing-keys', '/api/v1/admin/lists/signing-keys/rotate']),
    );
    expect(JSON.stringify(paths['/api/v1/kiosk/lists/{list}/changes'])).toContain('"signature"');
    expect(JSON.stringify(paths['/api/v1/kiosk/heartbeat'])).toContain('"listRefusals"');
  });

  it('signs snapshots over their exact bytes, count, version and the lane’s checkpoint', async () => {
    t = await buildTestApp();
    for (const id of ['A', 'B']) await addCheckpoint(t, id);
    const a = await enroll('A');
    const b = await enroll('B');
    const keys = a.answer.listSigningKeys ?? [];
    await importCsv(t, 'health', `${H}001099012345,F0,,,,\n001099012346,F1,,,,\n`);
    await importCsv(
      t,
      'whitelist',
      `${W}B1234567,shipper,,,A,,\n001099012345,official,,,,,\nB7654321,permit,,,B,,\n`,
    );

    const health = await snapshot(a.auth, 'health');
    const decoded = decodeSnapshot(health.rawPayload);
    expect(health.headers[LIST_KEY_ID_HEADER]).toBe(String(keyIdOf('A')));
    const facts: SignedListFacts = {
      kind: 'snapshot',
      list: 'health',
      scope: `#k${keyIdOf('A')}`,
      fromVersion: 0,
      toVersion: decoded.header.version,
      count: 2,
      issuedAt: Number(health.headers[LIST_ISSUED_AT_HEADER]),
      digest: sha256(health.rawPayload),
    };
    expect(health.headers[LIST_COUNT_HEADER]).toBe('2');
    // Signed at send time, by the server's clock.
    expect(Math.abs(facts.issuedAt - Date.now())).toBeLessThan(60_000);
    expect(
      verifies(
        keys,
        { ...facts, issuedAt: facts.issuedAt - 1 },
        health.headers[LIST_SIGNATURE_HEADER] as string,
      ),
    ).toBe(false);
    expect(verifies(keys, facts, health.headers[LIST_SIGNATURE_HEADER] as string)).toBe(true);
    // Bound to the list key: the same bytes do not verify as keyed with another key.
    expect(verifies(keys, { ...facts, scope: '' }, health.headers[LIST_SIGNATURE_HEADER] as string)).toBe(
      false,
    );
    const flipped = Buffer.from(health.rawPayload);
    flipped[10] = (flipped[10] ?? 0) ^ 1;
    expect(
      verifies(keys, { ...facts, digest: sha256(flipped) }, health.headers[LIST_SIGNATURE_HEADER] as string),
    ).toBe(false);
    expect(
      verifies(
        keys,
        { ...facts, toVersion: facts.toVersion + 1 },
        health.headers[LIST_SIGNATURE_HEADER] as string,
      ),
    ).toBe(false);

    // A's whitelist: 2 entries (its own and the one valid everywhere), signed for A only.
    const wa = await snapshot(a.auth, 'whitelist');
    expect(wa.headers[LIST_COUNT_HEADER]).toBe('2');
    const waFacts: SignedListFacts = {
      kind: 'snapshot',
      list: 'whitelist',
      scope: `A#k${keyIdOf('A')}`,
      fromVersion: 0,
      toVersion: decodeSnapshot(wa.rawPayload).header.version,
      count: 2,
      issuedAt: Number(wa.headers[LIST_ISSUED_AT_HEADER]),
      digest: sha256(wa.rawPayload),
    };
    const sig = wa.headers[LIST_SIGNATURE_HEADER] as string;
    expect(verifies(keys, waFacts, sig)).toBe(true);
    expect(verifies(keys, { ...waFacts, scope: `B#k${keyIdOf('B')}` }, sig)).toBe(false);
    const wb = await snapshot(b.auth, 'whitelist');
    expect(
      verifies(
        keys,
        {
          ...waFacts,
          scope: `B#k${keyIdOf('B')}`,
          issuedAt: Number(wb.headers[LIST_ISSUED_AT_HEADER]),
          digest: sha256(wb.rawPayload),
        },
        wb.headers[LIST_SIGNATURE_HEADER] as string,
      ),
    ).toBe(true);
  });

  it('signs changes over their canonical form with the count the lane then holds, through every kind of write', async () => {
    t = await buildTestApp();
    for (const id of ['A', 'B']) await addCheckpoint(t, id);
    const a = await enroll('A');
    const b = await enroll('B');
    const keys = a.answer.listSigningKeys ?? [];
    /** The entries a lane holds by the server's snapshot (counted from its rows). */
    const held = async (auth: Record<string, string>, list: string) =>
      decodeSnapshot((await snapshot(auth, list)).rawPayload).entries.length;
    const check = async (list: string, since: number) => {
      for (const [lane, cp] of [
        [a, 'A'],
        [b, 'B'],
      ] as const) {
        const c = await changes(lane.auth, list, since, cp);
        expect(verifies(keys, changesFacts(c, cp), c.signature)).toBe(true);
        expect(typeof c.issuedAt).toBe('number');
        expect(verifies(keys, { ...changesFacts(c, cp), issuedAt: (c.issuedAt ?? 0) + 1 }, c.signature)).toBe(
          false,
        );
        expect(c.count).toBe(await held(lane.auth, list));
      }
    };
    await importCsv(t, 'health', `${H}001099012345,F0,,,,\n001099012346,F1,,,,\n`); // v1
    await check('health', 0);
    await t.app.inject({
      method: 'DELETE',
      url: '/api/v1/admin/lists/health/entries/001099012346',
      headers: t.admin,
    });
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/lists/health/entries/001099012347',
      headers: t.admin,
      payload: { status: 'F0' },
    });
    await check('health', 1);
    // A replacing import deletes what it does not name.
    await importCsv(t, 'health', `${H}001099012399,F2,,,,\n`, '?replace=true');
    await check('health', 2);
    expect((await changes(a.auth, 'health', 0, 'A')).count).toBe(1);

    await importCsv(
      t,
      'whitelist',
      `${W}B1234567,shipper,,,A;B,,\n001099012345,official,,,,,\nB7654321,permit,,,B,,\n`,
    );
    await check('whitelist', 0);
    expect((await changes(a.auth, 'whitelist', 0, 'A')).count).toBe(2);
    expect((await changes(b.auth, 'whitelist', 0, 'B')).count).toBe(3);
    await t.app.inject({
      method: 'PUT',
      url: '/api/v1/admin/lists/whitelist/entries/B1234567',
      headers: t.admin,
      payload: { category: 'shipper', checkpoints: ['B'] },
    });
    await check('whitelist', 1);
    expect((await changes(a.auth, 'whitelist', 1, 'A')).count).toBe(1);

    // One byte of an entry changed: the signature no longer covers it; B's delta does not verify at A.
    const c = await changes(b.auth, 'whitelist', 0, 'B');
    const tampered = JSON.parse(JSON.stringify(c).replace('"permit"', '"medical"')) as ListChanges;
    expect(verifies(keys, changesFacts(tampered, 'B'), c.signature)).toBe(false);
    expect(verifies(keys, changesFacts(c, 'A'), c.signature)).toBe(false);
  });

  it('signs urgent pushes once per list key and set of blocking statuses', async () => {
    const db = openDatabase(':memory:');
    try {
      const signer = await ListSigner.open(db, 1);
      const listKeys = new ListKeys(db);
      const fleet = listKeys.current('fleet');
      const hcm = listKeys.current('HCM');
      const scopeOf: Record<string, typeof fleet> = { A: fleet, B: fleet, C: hcm };
      let signatures = 0;
      const blocking: Record<string, readonly ('F0' | 'F1')[]> = {
        A: ['F0'],
        B: ['F0', 'F1'],
        C: ['F1', 'F0'],
      };
      const hub = new EventHub(
        (cp) => Promise.resolve(blocking[cp] ?? []),
        (f) => {
          signatures++;
          return signer.signList(f);
        },
        () => 1_234_567,
      );
      const sent: Record<
        string,
        { event: string; data: { changes: { key: string }[]; signature?: string; issuedAt?: number } }[]
      > = {
        A: [],
        B: [],
        C: [],
        D: [],
      };
      const stream = (cp: string): SseStream => ({
        send: (event, data) => sent[cp]?.push({ event, data: data as never }),
        comment: () => undefined,
        close: () => undefined,
      });
      for (const cp of ['A', 'B', 'C'])
        hub.addLane(`l${cp}`, cp, stream(cp), () => Promise.resolve(scopeOf[cp] ?? fleet));
      // A stream without a list key gets the version, never an urgent push.
      hub.addLane('lD', 'D', stream('D'));
      const subjects = ['personal_id:001099012345', 'personal_id:001099012346'];
      const changes = [
        urgentHealthChange('0000000000000001', subjects[0] ?? '', { status: 'F0', since: null, until: null }),
        urgentHealthChange('0000000000000002', subjects[1] ?? '', { status: 'F1', since: 5, until: null }),
      ];
      await hub.publishListVersion('health', 8, 7, changes);
      // A (F0) and B (F0, F1) share the fleet key; C has B's statuses with another key.
      expect(signatures).toBe(3);
      expect(sent['D']?.map((e) => e.event)).toEqual(['list-version']);
      const keys = signer.publicKeys();
      for (const [cp, n] of [
        ['A', 1],
        ['B', 2],
        ['C', 2],
      ] as const) {
        const key = scopeOf[cp] ?? fleet;
        const urgent = sent[cp]?.find((e) => e.event === 'urgent')?.data as
          { changes: { key: string }[]; signature?: string; issuedAt?: number; keyId?: number } | undefined;
        expect(urgent?.changes).toHaveLength(n);
        expect(urgent?.keyId).toBe(key.id);
        // Keyed with the scope's list key from the subject, never the index key; the subject stays home.
        expect(urgent?.changes.map((c) => c.key)).toEqual(
          subjects.slice(0, n).map((subject) => laneSubjectKeyHex(key.key, subject)),
        );
        expect(JSON.stringify(urgent)).not.toMatch(/personal_id|0000000000000001/);
        const facts: SignedListFacts = {
          kind: 'urgent',
          list: 'health',
          scope: `#k${key.id}`,
          fromVersion: 7,
          toVersion: 8,
          count: n,
          issuedAt: 1_234_567,
          digest: sha256((urgent?.changes ?? []).map((c) => canonicalChangeLine(c as never)).join('')),
        };
        expect(urgent?.issuedAt).toBe(1_234_567);
        expect(verifies(keys, facts, urgent?.signature)).toBe(true);
        expect(verifies(keys, { ...facts, scope: '' }, urgent?.signature)).toBe(false);
      }
      expect(sent['A']?.[0]?.data.changes[0]?.key).not.toBe(sent['C']?.[0]?.data.changes[0]?.key);
    } finally {
      db.close();
    }
  });

  it('rotates the signing key: the new key is endorsed by the old one, signs from then on, and lanes hear of it', async () => {
    let now = 1_700_000_000_000;
    t = await buildTestApp({ clock: () => now });
    await addCheckpoint(t, 'A');
    const a = await enroll('A');
    const [first] = a.answer.listSigningKeys ?? [];
    now += 1000;
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/lists/signing-keys/rotate',
      headers: t.admin,
    });
    expect(res.statusCode).toBe(200);
    const rotated = res.json<ListSigningKeysAnswer>();
    expect(rotated.keys).toHaveLength(2);
    const [old, fresh] = rotated.keys as [ListSigningKey, ListSigningKey];
    expect(old.id).toBe(first?.id);
    expect(old.validUntil).toBe(now + 3_600_000);
    expect(fresh).toMatchObject({ validFrom: now, validUntil: null, endorsement: { by: old.id } });
    expect(rotated.current).toBe(fresh.id);
    const endorsed = verify(
      null,
      Buffer.from(keyEndorsementMessage(fresh, { id: old.id, validUntil: old.validUntil ?? 0 })),
      createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(old.publicKey, 'base64').toString('base64url') },
        format: 'jwk',
      }),
      Buffer.from(fresh.endorsement?.signature ?? '', 'base64'),
    );
    expect(endorsed).toBe(true);

    // The old key signs nothing more; heartbeats name both keys.
    const c = await changes(a.auth, 'health', 0, 'A');
    expect(parseListSignature(c.signature ?? '')?.keyId).toBe(fresh.id);
    expect(verifies([fresh], changesFacts(c, 'A'), c.signature)).toBe(true);
    const hb = await t.app.inject({
      method: 'POST',
      url: '/api/v1/kiosk/heartbeat',
      headers: a.auth,
      payload: { listVersions: { health: 0, whitelist: 0 }, backlog: 0, devices: [], clock: now },
    });
    expect(hb.json<HeartbeatAnswer>().listSigningKeys).toEqual(rotated.keys);
    const listed = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/lists/signing-keys',
      headers: t.admin,
    });
    expect(listed.json()).toEqual(rotated);
    const audit = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/audit?action=list.signing_key_rotate',
      headers: t.admin,
    });
    expect(JSON.stringify(audit.json())).toContain(fresh.id);

    // A viewer may look, not rotate.
    await addAccount(t, 'xem', 'viewer');
    const viewer = await signIn(t, 'xem');
    const refused = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/lists/signing-keys/rotate',
      headers: { ...viewer.write, origin: 'http://localhost:80' },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: 'forbidden_role' });
  });

  it('records a lane’s report of refused list data, audits it once and shows it in the fleet view', async () => {
    t = await buildTestApp();
    await addCheckpoint(t, 'A');
    const a = await enroll('A');
    const beat = (listRefusals?: Record<string, unknown>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/kiosk/heartbeat',
        headers: a.auth,
        payload: {
          listVersions: { health: 0, whitelist: 0 },
          backlog: 0,
          devices: [],
          clock: 5,
          ...(listRefusals && { listRefusals }),
        },
      });
    const report = { count: 2, lastReason: 'bad_signature', lastList: 'health', lastAt: 4 };
    expect((await beat(report)).statusCode).toBe(200);
    expect((await beat(report)).statusCode).toBe(200);
    expect((await beat({ ...report, lastReason: 'secret' })).statusCode).toBe(400);
    const audit = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/audit?action=lane.list_refused',
      headers: t.admin,
    });
    const records = audit.json<{ records: { target: string; details: unknown }[] }>().records;
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ target: 'health', details: { reason: 'bad_signature', count: 2 } });
    // The fleet view shows it.
    const fleet = await t.app.inject({ method: 'GET', url: '/api/v1/admin/kiosks', headers: t.admin });
    expect(fleet.json<{ kiosks: { listRefusals?: unknown }[] }>().kiosks[0]?.listRefusals).toEqual(report);
  });
});
