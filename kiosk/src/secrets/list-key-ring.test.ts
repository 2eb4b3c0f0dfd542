// The list keys held in a real sealed vault (file key store): adopted as the newest, an older
// one kept only while a list is keyed with it, written sealed (never in a readable form).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_DEFAULTS, parseSubjectText } from '@checkpoint-lane/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSubjectKeyer } from '../agent/subject-keyer.js';
import type { LaneCredentials } from '../sync/credentials.js';
import { insecureFileKeyStore } from './key-store-choice.js';
import { LaneVault } from './lane-vault.js';
import { ListKeyRing } from './list-key-ring.js';

const K0 = randomBytes(32);
const K1 = randomBytes(32);
const K2 = randomBytes(32);
const SEAL = randomBytes(32).toString('base64');
const SUBJECT = parseSubjectText('001090123456')!;

let dir: string;

function credentials(): LaneCredentials {
  return {
    serverUrl: 'https://sync.example',
    kioskId: 'k-ring',
    token: 'tok',
    listKey: K0.toString('base64'),
    checkpoint: { id: 'CP-R', name: 'R', mode: 'open', ...CHECKPOINT_DEFAULTS },
  };
}

async function vault(): Promise<LaneVault> {
  const created = await LaneVault.create(dir, insecureFileKeyStore(dir), credentials());
  if (!created.ok) throw new Error(created.error.message);
  return created.value;
}

/** The vault as a restart opens it. */
async function reopened(): Promise<LaneCredentials> {
  const opened = await LaneVault.open(dir, insecureFileKeyStore(dir));
  if (!opened.ok) throw new Error(opened.error.message);
  return opened.value.credentials;
}

const answer = (keyId: number, key: Buffer) => ({
  keyId,
  listKey: key.toString('base64'),
  scanSealKey: SEAL,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'list-key-ring-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('ListKeyRing', () => {
  it('reads a lane enrolled before key scopes as holding key 0 only', async () => {
    const ring = new ListKeyRing(await vault());
    expect(ring.newestId()).toBe(0);
    expect(ring.heldIds()).toEqual([0]);
    expect(ring.holds(1)).toBe(false);
    expect(ring.scanSealKey()).toBeNull();
    expect(ring.keyer(0)?.(SUBJECT)).toBe(createSubjectKeyer(K0)(SUBJECT));
    expect(ring.keyer(1)).toBeNull();
  });

  it('adopts a new key sealed in the vault, keeps the old one while a list uses it, then drops it', async () => {
    const ring = new ListKeyRing(await vault());
    const oldKeyer = ring.keyer(0);
    expect(ring.adopt(answer(1, K1), [0, 0])).toEqual({ ok: true, value: 'adopted' });
    expect(ring.heldIds()).toEqual([1, 0]);
    expect(ring.keyer(0)).toBe(oldKeyer);
    expect(ring.keyer(1)?.(SUBJECT)).toBe(createSubjectKeyer(K1)(SUBJECT));
    expect(ring.scanSealKey()).toBe(SEAL);
    expect(await reopened()).toMatchObject({
      listKey: K1.toString('base64'),
      listKeyId: 1,
      scanSealKey: SEAL,
      olderListKeys: [{ keyId: 0, listKey: K0.toString('base64') }],
    });
    // One list swapped: the old key stays for the other.
    expect(ring.prune([1, 0])).toEqual({ ok: true, value: 0 });
    expect(ring.holds(0)).toBe(true);
    // Both swapped: the old key goes, from memory and from the sealed file.
    expect(ring.prune([1, 1])).toEqual({ ok: true, value: 1 });
    expect(ring.heldIds()).toEqual([1]);
    expect(ring.keyer(0)).toBeNull();
    const after = await reopened();
    expect(after.olderListKeys).toBeUndefined();
    expect(after.listKeyId).toBe(1);
  });

  it('drops at once a replaced key no list uses, and never holds more than the lists use', async () => {
    const ring = new ListKeyRing(await vault());
    ring.adopt(answer(1, K1), [0, 0]);
    // Rotated again before any list swapped to key 1: key 1 is not in use, key 0 still is.
    expect(ring.adopt(answer(2, K2), [0, 0]).ok).toBe(true);
    expect(ring.heldIds()).toEqual([2, 0]);
    expect((await reopened()).olderListKeys?.map((k) => k.keyId)).toEqual([0]);
  });

  it('answers unchanged for the key it holds, taking a new scan seal key only', async () => {
    const ring = new ListKeyRing(await vault());
    ring.adopt(answer(1, K1), [1, 1]);
    const other = randomBytes(32).toString('base64');
    expect(ring.adopt({ ...answer(1, K1), scanSealKey: other }, [1, 1])).toEqual({
      ok: true,
      value: 'unchanged',
    });
    expect((await reopened()).scanSealKey).toBe(other);
  });

  it('refuses other bytes under an id it holds, keeping what it has', async () => {
    const ring = new ListKeyRing(await vault());
    ring.adopt(answer(1, K1), [1, 1]);
    const refused = ring.adopt(answer(1, K2), [1, 1]);
    expect(refused.ok).toBe(false);
    expect(ring.keyer(1)?.(SUBJECT)).toBe(createSubjectKeyer(K1)(SUBJECT));
    expect((await reopened()).listKey).toBe(K1.toString('base64'));
  });

  it('writes no key in a readable form to any file of the folder', async () => {
    const ring = new ListKeyRing(await vault());
    ring.adopt(answer(1, K1), [0, 1]);
    ring.adopt(answer(2, K2), [0, 1]);
    const forms = [K0, K1, K2].flatMap((k) => [
      k,
      ...(['base64', 'base64url', 'hex'] as const).map((e) => Buffer.from(k.toString(e))),
    ]);
    for (const name of readdirSync(dir)) {
      const bytes = readFileSync(join(dir, name));
      expect(forms.some((f) => bytes.includes(f))).toBe(false);
    }
    expect(ring.heldIds()).toEqual([2, 1, 0]);
  });
});
