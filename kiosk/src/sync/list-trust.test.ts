import { listSignatureMessage, type ListSigningKey, type SignedListFacts } from '@checkpoint-lane/shared';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { LaneStore } from '../store/lane-store.js';
import { TestListSigner } from './list-signer.testkit.js';
import { ListRefusals, ListTrust, TRUSTED_KEYS_SETTING } from './list-trust.js';

const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;
const FACTS: SignedListFacts = {
  kind: 'changes',
  list: 'health',
  scope: '',
  fromVersion: 1,
  toVersion: 2,
  count: 5,
  issuedAt: 1,
  digest: 'cd'.repeat(32),
};

let store: LaneStore;
afterEach(() => {
  store.close();
});

function trust(enrolled: readonly ListSigningKey[] | undefined, kioskId = 'k1'): ListTrust {
  return new ListTrust({ settings: store, kioskId, enrolled, logger });
}

describe('ListTrust', () => {
  it('verifies only the pinned key’s signature over exactly the facts', () => {
    store = LaneStore.open(':memory:');
    const k1 = TestListSigner.create();
    const t = trust([k1.key]);
    expect(t.verify(FACTS, k1.sign(FACTS), 0)).toEqual({ ok: true, value: k1.key.id });
    expect(t.verify(FACTS, k1.sign({ ...FACTS, count: 6 }), 0)).toEqual({
      ok: false,
      error: 'bad_signature',
    });
    expect(t.verify(FACTS, TestListSigner.create().sign(FACTS), 0)).toEqual({
      ok: false,
      error: 'unknown_key',
    });
    expect(t.verify(FACTS, undefined, 0)).toEqual({ ok: false, error: 'unsigned' });
    expect(t.verify(FACTS, 'not a signature', 0)).toEqual({ ok: false, error: 'bad_signature' });
    // The message is the shared one: a signature over its text is the same signature.
    expect(t.verify(FACTS, k1.signText(listSignatureMessage(FACTS)), 0).ok).toBe(true);
  });

  it('follows a chain of rotations endorsed from the pinned key, and retires each old key at its end', () => {
    store = LaneStore.open(':memory:');
    const k1 = TestListSigner.create(0);
    const r2 = k1.rotate(10 * HOUR, 11 * HOUR);
    const r3 = r2.next.rotate(20 * HOUR, 21 * HOUR);
    const advertised = [r2.keys[0], r3.keys[0], r3.keys[1]]; // k1 retired, k2 retired, k3 current
    const t = trust([k1.key]);
    // Given newest first: the chain is followed in any order.
    expect(t.adopt([...advertised].reverse())).toEqual({
      added: [r2.next.key.id, r3.next.key.id],
      refused: 0,
    });
    expect(t.verify(FACTS, r3.next.sign(FACTS), 22 * HOUR).ok).toBe(true);
    expect(t.verify(FACTS, r2.next.sign(FACTS), 20.5 * HOUR).ok).toBe(true); // in its overlap
    expect(t.verify(FACTS, r2.next.sign(FACTS), 21 * HOUR + 1)).toEqual({ ok: false, error: 'retired_key' });
    expect(t.verify(FACTS, k1.sign(FACTS), 11 * HOUR + 1)).toEqual({ ok: false, error: 'retired_key' });

    // Kept in the store for this enrollment: a restart trusts the same keys, another enrollment does not.
    expect(trust([k1.key]).verify(FACTS, r3.next.sign(FACTS), 22 * HOUR).ok).toBe(true);
    expect(trust([k1.key], 'k2').verify(FACTS, r3.next.sign(FACTS), 22 * HOUR)).toEqual({
      ok: false,
      error: 'unknown_key',
    });
    expect(store.getSetting(TRUSTED_KEYS_SETTING)).not.toMatch(/private/i);
  });

  it('refuses a key whose endorsement does not verify, and one endorsed by a key it does not trust', () => {
    store = LaneStore.open(':memory:');
    const k1 = TestListSigner.create(0);
    const r2 = k1.rotate(HOUR, 2 * HOUR);
    const [retired, endorsed] = r2.keys;
    const t = trust([k1.key]);
    // The endorsement says k1 stops later than it signed: refused.
    expect(t.adopt([{ ...retired, validUntil: 3 * HOUR }, endorsed])).toEqual({ added: [], refused: 1 });
    // Another key's public half under the endorsement: refused.
    const swapped = { ...endorsed, publicKey: TestListSigner.create().key.publicKey };
    expect(t.adopt([retired, swapped]).refused).toBe(1);
    // Endorsed by a stranger's key: nothing to check it with, nothing taken.
    const stranger = TestListSigner.create().rotate(HOUR, 2 * HOUR);
    expect(t.adopt(stranger.keys)).toEqual({ added: [], refused: 0 });
    expect(t.knows(r2.next.key.id)).toBe(false);
    expect(t.verify(FACTS, k1.sign(FACTS), 3 * HOUR).ok).toBe(true); // k1 not retired by a bad statement
    expect(t.adopt(r2.keys).added).toEqual([r2.next.key.id]);
  });

  it('takes no endorsement from a retired key, even in its overlap, and never extends its end', () => {
    store = LaneStore.open(':memory:');
    const k1 = TestListSigner.create(0);
    const r2 = k1.rotate(HOUR, 2 * HOUR);
    const t = trust([k1.key]);
    expect(t.adopt(r2.keys).added).toEqual([r2.next.key.id]);
    // k1 leaked after it was retired: it endorses an evil key and claims to last much longer.
    const evil = k1.rotate(1.5 * HOUR, 100 * HOUR);
    expect(t.adopt([...evil.keys, r2.keys[1]])).toEqual({ added: [], refused: 0 });
    expect(t.knows(evil.next.key.id)).toBe(false);
    expect(t.verify(FACTS, evil.next.sign(FACTS), 1.5 * HOUR)).toEqual({ ok: false, error: 'unknown_key' });
    expect(t.verify(FACTS, k1.sign(FACTS), 1.5 * HOUR).ok).toBe(true); // still in its overlap
    expect(t.verify(FACTS, k1.sign(FACTS), 2 * HOUR + 1)).toEqual({ ok: false, error: 'retired_key' });
    // After a restart the same: the stored end of validity was not moved.
    expect(trust([k1.key]).verify(FACTS, k1.sign(FACTS), 2 * HOUR + 1)).toEqual({
      ok: false,
      error: 'retired_key',
    });
    // The current key still rotates as it should.
    const r3 = r2.next.rotate(3 * HOUR, 4 * HOUR);
    expect(t.adopt([r2.keys[0], ...r3.keys]).added).toEqual([r3.next.key.id]);
  });

  it('with no pinned key (enrolled before signed lists) trusts the server’s first key set, then its rules', () => {
    store = LaneStore.open(':memory:');
    const k1 = TestListSigner.create(0);
    const r2 = k1.rotate(HOUR, 2 * HOUR);
    const t = trust(undefined);
    expect(t.pinned()).toBe(false);
    expect(t.verify(FACTS, k1.sign(FACTS), 0)).toEqual({ ok: false, error: 'unknown_key' });
    expect(t.adopt(r2.keys).added).toEqual([r2.next.key.id]);
    expect(t.ids().sort()).toEqual([k1.key.id, r2.next.key.id].sort());
    // The first key set's ends of validity hold.
    expect(t.verify(FACTS, k1.sign(FACTS), 2 * HOUR + 1)).toEqual({ ok: false, error: 'retired_key' });
    // From now on a new root is not taken without an endorsement.
    expect(t.adopt([TestListSigner.create().key]).added).toEqual([]);
  });

  it('drops a pinned key whose id is not the hash of its public key', () => {
    store = LaneStore.open(':memory:');
    const k1 = TestListSigner.create();
    const t = trust([{ ...k1.key, id: '0123456789abcdef' }]);
    expect(t.pinned()).toBe(false);
  });
});

describe('ListRefusals', () => {
  it('counts refusals and names the last one', () => {
    store = LaneStore.open(':memory:');
    const r = new ListRefusals();
    expect(r.report()).toBeUndefined();
    r.record('health', 'bad_signature', 5);
    r.record(null, 'bad_key_statement', 9);
    expect(r.report()).toEqual({ count: 2, lastReason: 'bad_key_statement', lastAt: 9 });
  });
});
