// What the server sends a lane of the lists is keyed with the current list key of the lane's key
// scope, never the index key its own tables use: snapshots, changes and urgent pushes, each signed
// for that key (`#k{id}` in the signed scope). A rotation makes the old key id answer 410 and the
// next snapshot come keyed with the new key. Real SQLite files, the real server (urgent pushes
// over real HTTP on 127.0.0.1).
import { ListKeys } from '../../lists/list-keys.js';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  canonicalChangeLine,
  canonicalSubjectKey,
  decodeSnapshot,
  LIST_ISSUED_AT_HEADER,
  LIST_KEY_ID_HEADER,
  LIST_SIGNATURE_HEADER,
  listSignatureMessage,
  listSignatureScope,
  parseListSignature,
  parseSubjectText,
  type EnrollAnswer,
  type ListChanges,
  type ListSigningKey,
  type SignedListFacts,
} from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { laneSubjectKey, laneSubjectKeyHex } from '../../lists/rekey.js';
import { subjectKey, subjectKeyToHex } from '../../lists/subject-key.js';
import { addCheckpoint, buildTestApp, importCsv, type TestApp } from '../../testing/build-test-app.js';

let t: TestApp;
const opened: { destroy(): void }[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) s.destroy();
  await t.close();
});

const H = 'id,status,since,until,name,note\n';
const W = 'id,category,valid_from,valid_until,checkpoints,name,note\n';
const IDS = ['001099012345', '001099012346', '001099012347'];

interface Lane {
  readonly checkpointId: string;
  readonly auth: { authorization: string };
  readonly keys: ListSigningKey[];
}

async function enroll(checkpointId: string): Promise<Lane> {
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
  expect(res.statusCode).toBe(201);
  const answer = res.json<EnrollAnswer>();
  return {
    checkpointId,
    auth: { authorization: `Bearer ${answer.token}` },
    keys: answer.listSigningKeys ?? [],
  };
}

/** The current list key of a checkpoint's key scope. */
const keyOf = (checkpointId: string) => new ListKeys(t.db).forCheckpoint(checkpointId);

const subjectOf = (id: string): string => {
  const subject = parseSubjectText(id);
  if (!subject) throw new Error(`not an ID: ${id}`);
  return canonicalSubjectKey(subject);
};

/** The server's own key of an ID (the index key), which no lane may get. */
const indexKeyHex = (id: string): string => {
  const subject = parseSubjectText(id);
  if (!subject) throw new Error(`not an ID: ${id}`);
  return subjectKeyToHex(subjectKey(t.listKey, subject));
};

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

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

const ascending = (x: bigint, y: bigint) => (x < y ? -1 : x > y ? 1 : 0);

async function snapshot(lane: Lane, list: 'health' | 'whitelist') {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/kiosk/lists/${list}/snapshot`,
    headers: lane.auth,
  });
  expect(res.statusCode).toBe(200);
  const keyId = Number(res.headers[LIST_KEY_ID_HEADER]);
  const decoded = decodeSnapshot(res.rawPayload);
  const facts = (scopeKeyId: number): SignedListFacts => ({
    kind: 'snapshot',
    list,
    scope: listSignatureScope(list, lane.checkpointId, scopeKeyId),
    fromVersion: 0,
    toVersion: decoded.header.version,
    count: decoded.entries.length,
    issuedAt: Number(res.headers[LIST_ISSUED_AT_HEADER]),
    digest: sha256(res.rawPayload),
  });
  const signature = res.headers[LIST_SIGNATURE_HEADER] as string;
  return {
    keyId,
    etag: res.headers.etag,
    keys: decoded.entries.map((e) => e.key),
    /** Whether the signature verifies as keyed with list key `scopeKeyId` at this lane's checkpoint. */
    verifiesAs: (scopeKeyId: number) => verifies(lane.keys, facts(scopeKeyId), signature),
  };
}

function changes(lane: Lane, list: string, since: number, keyId?: number) {
  return t.app.inject({
    method: 'GET',
    url: `/api/v1/kiosk/lists/${list}/changes?since=${since}${keyId === undefined ? '' : `&keyId=${keyId}`}`,
    headers: lane.auth,
  });
}

function changesVerify(lane: Lane, c: ListChanges, keyId: number): boolean {
  return verifies(
    lane.keys,
    {
      kind: 'changes',
      list: c.list,
      scope: listSignatureScope(c.list, lane.checkpointId, keyId),
      fromVersion: c.fromVersion,
      toVersion: c.toVersion,
      count: c.count ?? -1,
      issuedAt: c.issuedAt ?? -1,
      digest: sha256(c.changes.map(canonicalChangeLine).join('')),
    },
    c.signature,
  );
}

async function rotate(checkpointId: string): Promise<number> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/admin/lists/keys/rotate',
    headers: t.admin,
    payload: { checkpointId },
  });
  expect(res.statusCode).toBe(200);
  return res.json<{ keyId: number }>().keyId;
}

async function twoScopes(): Promise<{ a: Lane; b: Lane }> {
  t = await buildTestApp();
  await addCheckpoint(t, 'A', 'open', { blockingStatuses: ['F0'] });
  await addCheckpoint(t, 'B', 'open', { blockingStatuses: ['F0'], keyScope: 'HCM' });
  expect(await t.app.services.listKeys.scopeOf('B')).toBe('HCM');
  return { a: await enroll('A'), b: await enroll('B') };
}

describe('lists keyed per key scope', () => {
  it('keys each lane’s snapshots and changes with its scope’s list key; each verifies for its own key only', async () => {
    const { a, b } = await twoScopes();
    await importCsv(
      t,
      'health',
      `${H}${IDS.map((id, i) => `${id},${i % 2 ? 'F0' : 'F1'},,,,`).join('\n')}\n`,
    );
    await importCsv(t, 'whitelist', `${W}B1234567,shipper,,,A;B,,\n${IDS[0]},official,,,,,\n`);
    const ka = keyOf('A');
    const kb = keyOf('B');
    expect(ka.id).not.toBe(kb.id);

    for (const list of ['health', 'whitelist'] as const) {
      const ids = list === 'health' ? IDS : ['B1234567', IDS[0] ?? ''];
      const fromA = await snapshot(a, list);
      const fromB = await snapshot(b, list);
      expect([fromA.keyId, fromB.keyId]).toEqual([ka.id, kb.id]);
      expect(fromA.keys).toEqual(ids.map((id) => laneSubjectKey(ka.key, subjectOf(id))).sort(ascending));
      expect(fromB.keys).toEqual(ids.map((id) => laneSubjectKey(kb.key, subjectOf(id))).sort(ascending));
      expect(fromA.keys.filter((k) => fromB.keys.includes(k))).toEqual([]);
      expect(fromA.etag).not.toBe(fromB.etag);
      expect([fromA.verifiesAs(ka.id), fromA.verifiesAs(kb.id), fromA.verifiesAs(0)]).toEqual([
        true,
        false,
        false,
      ]);
      expect([fromB.verifiesAs(kb.id), fromB.verifiesAs(ka.id), fromB.verifiesAs(0)]).toEqual([
        true,
        false,
        false,
      ]);
    }
    // One cached file per list, checkpoint cut and list key, named by the key.
    expect(
      readdirSync(join(t.dir, 'snapshots'))
        .filter((f) => f.endsWith('.snap'))
        .sort(),
    ).toEqual([
      `health-_+HCM+k${kb.id}-1.snap`,
      `health-_+fleet+k${ka.id}-1.snap`,
      `whitelist-@A+fleet+k${ka.id}-1.snap`,
      `whitelist-@B+HCM+k${kb.id}-1.snap`,
    ]);

    // A delete and a put: both keyed with the lane's key, never the index key.
    await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/lists/health/entries/${IDS[1]}`,
      headers: t.admin,
    });
    await t.app.inject({
      method: 'PUT',
      url: `/api/v1/admin/lists/health/entries/${IDS[2]}`,
      headers: t.admin,
      payload: { status: 'F0' },
    });
    for (const [lane, key] of [
      [a, ka],
      [b, kb],
    ] as const) {
      const res = await changes(lane, 'health', 1, key.id);
      expect(res.statusCode).toBe(200);
      const c = res.json<ListChanges>();
      expect(c.keyId).toBe(key.id);
      expect(new Map(c.changes.map((x) => [x.key, x.op]))).toEqual(
        new Map([
          [laneSubjectKeyHex(key.key, subjectOf(IDS[1] ?? '')), 'delete'],
          [laneSubjectKeyHex(key.key, subjectOf(IDS[2] ?? '')), 'put'],
        ]),
      );
      expect(JSON.stringify(c)).not.toContain(indexKeyHex(IDS[1] ?? ''));
      expect(changesVerify(lane, c, key.id)).toBe(true);
      expect(changesVerify(lane, c, 0)).toBe(false);
    }

    // Another scope's key id, or none (key 0, the old fleet-wide key): fetch the key, take a snapshot.
    for (const keyId of [kb.id, undefined, 0]) {
      const res = await changes(a, 'health', 1, keyId);
      expect(res.statusCode).toBe(410);
      expect(res.json()).toEqual({
        error: 'list_key_rotated',
        message: expect.stringContaining('/list-key') as string,
      });
    }
  });

  it('after a rotation answers 410 list_key_rotated to the old key id and snapshots keyed with the new key; other scopes keep theirs', async () => {
    const { a, b } = await twoScopes();
    await importCsv(t, 'health', `${H}${IDS.map((id) => `${id},F1,,,,`).join('\n')}\n`);
    const old = keyOf('B');
    const fleet = keyOf('A');
    const before = await snapshot(b, 'health');
    expect(before.keyId).toBe(old.id);
    await snapshot(a, 'health');

    const fresh = await rotate('B');
    expect(fresh).toBeGreaterThan(old.id);
    expect(keyOf('B').id).toBe(fresh);
    const stale = await changes(b, 'health', 1, old.id);
    expect(stale.statusCode).toBe(410);
    expect(stale.json()).toMatchObject({ error: 'list_key_rotated' });
    const now = await changes(b, 'health', 1, fresh);
    expect(now.statusCode).toBe(200);
    expect(now.json<ListChanges>().keyId).toBe(fresh);

    const after = await snapshot(b, 'health');
    expect(after.keyId).toBe(fresh);
    expect(after.keys).toEqual(
      IDS.map((id) => laneSubjectKey(keyOf('B').key, subjectOf(id))).sort(ascending),
    );
    expect(after.keys.filter((k) => before.keys.includes(k))).toEqual([]);
    expect(after.verifiesAs(fresh)).toBe(true);
    expect(after.verifiesAs(old.id)).toBe(false);
    expect(after.etag).not.toBe(before.etag);
    // A Range resumed against the old key's snapshot gets the whole new one.
    const resumed = await t.app.inject({
      method: 'GET',
      url: '/api/v1/kiosk/lists/health/snapshot',
      headers: { ...b.auth, range: 'bytes=10-', 'if-range': String(before.etag) },
    });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.headers[LIST_KEY_ID_HEADER]).toBe(String(fresh));

    // The old key's cached snapshot is gone; the fleet scope's stays and its key still answers.
    expect(
      readdirSync(join(t.dir, 'snapshots'))
        .filter((f) => f.endsWith('.snap'))
        .sort(),
    ).toEqual([`health-_+HCM+k${fresh}-1.snap`, `health-_+fleet+k${fleet.id}-1.snap`]);
    expect((await changes(a, 'health', 1, fleet.id)).statusCode).toBe(200);
    expect((await snapshot(a, 'health')).keyId).toBe(fleet.id);
  });

  it('pushes urgent changes keyed with each scope’s current list key over real event streams', async () => {
    const { a, b } = await twoScopes();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as AddressInfo).port;
    const streams = new Map<string, { text: string }>();
    for (const lane of [a, b]) {
      const s = { text: '' };
      streams.set(lane.checkpointId, s);
      await new Promise<void>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/api/v1/kiosk/events', headers: lane.auth },
          (res: IncomingMessage) => {
            opened.push(res);
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              s.text += chunk;
              if (s.text.includes('event: hello')) resolve();
            });
          },
        );
        req.on('error', reject);
        req.end();
      });
    }
    /** The `urgent` events a lane's stream carried so far. */
    const urgents = (cp: string) =>
      [...(streams.get(cp)?.text ?? '').matchAll(/event: urgent\ndata: (.*)\n/g)].map(
        (m) =>
          JSON.parse(m[1] ?? '') as {
            fromVersion: number;
            toVersion: number;
            changes: { key: string; op: string; entry: { status: string } }[];
            keyId: number;
            signature: string;
            issuedAt: number;
          },
      );
    const until = async (what: () => boolean): Promise<void> => {
      const end = Date.now() + 5_000;
      while (!what()) {
        if (Date.now() > end) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const put = (id: string) =>
      t.app.inject({
        method: 'PUT',
        url: `/api/v1/admin/lists/health/entries/${id}`,
        headers: t.admin,
        payload: { status: 'F0' },
      });
    const check = (lane: Lane, n: number, id: string) => {
      const key = keyOf(lane.checkpointId);
      const u = urgents(lane.checkpointId)[n - 1];
      expect(u?.keyId).toBe(key.id);
      expect(u?.changes.map((c) => c.key)).toEqual([laneSubjectKeyHex(key.key, subjectOf(id))]);
      const facts: SignedListFacts = {
        kind: 'urgent',
        list: 'health',
        scope: `#k${key.id}`,
        fromVersion: u?.fromVersion ?? -1,
        toVersion: u?.toVersion ?? -1,
        count: 1,
        issuedAt: u?.issuedAt ?? -1,
        digest: sha256((u?.changes ?? []).map((c) => canonicalChangeLine(c as never)).join('')),
      };
      expect(verifies(lane.keys, facts, u?.signature)).toBe(true);
      expect(verifies(lane.keys, { ...facts, scope: '' }, u?.signature)).toBe(false);
    };

    expect((await put(IDS[0] ?? '')).statusCode).toBeLessThan(300);
    await until(() => urgents('A').length === 1 && urgents('B').length === 1);
    check(a, 1, IDS[0] ?? '');
    check(b, 1, IDS[0] ?? '');
    expect(urgents('A')[0]?.changes[0]?.key).not.toBe(urgents('B')[0]?.changes[0]?.key);

    // After B's scope rotates, B's pushes are keyed with its new key; A's with the fleet key still.
    const fleet = keyOf('A').id;
    const fresh = await rotate('B');
    expect((await put(IDS[1] ?? '')).statusCode).toBeLessThan(300);
    await until(() => urgents('A').length === 2 && urgents('B').length === 2);
    check(a, 2, IDS[1] ?? '');
    check(b, 2, IDS[1] ?? '');
    expect([urgents('A')[1]?.keyId, urgents('B')[1]?.keyId]).toEqual([fleet, fresh]);
    // Neither the ID, its canonical subject nor the index key ever went down a stream.
    for (const s of streams.values())
      for (const id of IDS.slice(0, 2)) {
        expect(s.text).not.toContain(id);
        expect(s.text).not.toContain(indexKeyHex(id));
      }
  });
});
