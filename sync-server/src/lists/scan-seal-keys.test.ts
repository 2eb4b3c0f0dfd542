import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUBJECT_SEAL_MAX_PLAINTEXT_BYTES, SUBJECT_SEALED_MAX_LENGTH } from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/open-database.js';
import { SettingsRepository } from '../db/repositories/settings-repository.js';
import { laneSealer, sealAsLane } from './scan-seal.testkit.js';
import {
  openSealedSubject,
  rawX25519PublicKey,
  SCAN_SEAL_KEY_SETTING,
  ScanSealKeys,
} from './scan-seal-keys.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDbFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scan-seal-'));
  dirs.push(dir);
  return join(dir, 'server.db');
}

describe('ScanSealKeys', () => {
  it('makes the key pair once, keeps it in settings across restarts, and opens lane seals', () => {
    const file = tempDbFile();
    const db = openDatabase(file);
    const keys = ScanSealKeys.open(db, () => 1_700_000_000_000);
    const publicKey = keys.publicKeyBase64();
    expect(publicKey).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const stored = JSON.parse(new SettingsRepository(db).get(SCAN_SEAL_KEY_SETTING)!.toString('utf8')) as {
      createdAt: number;
    };
    expect(stored.createdAt).toBe(1_700_000_000_000);
    db.close();

    const again = openDatabase(file);
    const reopened = ScanSealKeys.open(again);
    expect(reopened.publicKeyBase64()).toBe(publicKey);
    expect(reopened.open(sealAsLane(publicKey, 'personal_id:001203004005'))).toBe('personal_id:001203004005');
    again.close();
  });

  it('shows only the public half when serialised or logged', () => {
    const db = openDatabase(':memory:');
    const keys = ScanSealKeys.open(db);
    const stored = JSON.parse(new SettingsRepository(db).get(SCAN_SEAL_KEY_SETTING)!.toString('utf8')) as {
      privateKey: string;
    };
    const shown = JSON.stringify(keys) + JSON.stringify({ keys });
    expect(shown).toContain(keys.publicKeyBase64());
    expect(shown).not.toContain(stored.privateKey);
    expect(Object.keys(keys)).toEqual([]);
  });

  it('refuses a settings row that is not an X25519 key', () => {
    const db = openDatabase(':memory:');
    const ed = generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'der', type: 'pkcs8' })
      .toString('base64');
    new SettingsRepository(db).set(
      SCAN_SEAL_KEY_SETTING,
      Buffer.from(JSON.stringify({ privateKey: ed, createdAt: 0 })),
    );
    expect(() => ScanSealKeys.open(db)).toThrow(/not an X25519 key/);
    new SettingsRepository(db).set(SCAN_SEAL_KEY_SETTING, Buffer.from('nonsense'));
    expect(() => ScanSealKeys.open(db)).toThrow(/not JSON/);
  });
});

describe('openSealedSubject', () => {
  const server = generateKeyPairSync('x25519');
  const serverPublic = rawX25519PublicKey(server.publicKey).toString('base64');
  const canonical = 'plate:51F123456';

  it('opens a seal of the longest subject the schema allows, within 512 characters', () => {
    const longest = `passport:${'A'.repeat(SUBJECT_SEAL_MAX_PLAINTEXT_BYTES - 9)}`;
    const sealed = sealAsLane(serverPublic, longest);
    expect(sealed.length).toBeLessThanOrEqual(SUBJECT_SEALED_MAX_LENGTH);
    expect(openSealedSubject(server.privateKey, sealed)).toBe(longest);
  });

  it('answers null when any one byte is flipped', () => {
    const bytes = Buffer.from(sealAsLane(serverPublic, canonical), 'base64');
    expect(openSealedSubject(server.privateKey, bytes.toString('base64'))).toBe(canonical);
    for (let i = 0; i < bytes.length; i++) {
      const tampered = Buffer.from(bytes);
      tampered[i]! ^= 0x01;
      expect(openSealedSubject(server.privateKey, tampered.toString('base64')), `byte ${i}`).toBeNull();
    }
  });

  it('answers null for another server key, truncation, bad base64 and non-strings', () => {
    const sealed = sealAsLane(serverPublic, canonical);
    const other: KeyObject = generateKeyPairSync('x25519').privateKey;
    expect(openSealedSubject(other, sealed)).toBeNull();
    const bytes = Buffer.from(sealed, 'base64');
    expect(
      openSealedSubject(server.privateKey, bytes.subarray(0, bytes.length - 1).toString('base64')),
    ).toBeNull();
    expect(openSealedSubject(server.privateKey, bytes.subarray(0, 61).toString('base64'))).toBeNull();
    expect(openSealedSubject(server.privateKey, `${sealed.slice(0, -4)}!!!!`)).toBeNull();
    expect(openSealedSubject(server.privateKey, sealed.replace(/=+$/, ''))).toBeNull();
    expect(openSealedSubject(server.privateKey, '')).toBeNull();
    expect(openSealedSubject(server.privateKey, 'A'.repeat(600))).toBeNull();
    expect(openSealedSubject(server.privateKey, null as unknown as string)).toBeNull();
    // An all-zero ephemeral key (a low-order point) gives no shared secret.
    const zero = Buffer.from(bytes);
    zero.fill(0, 1, 33);
    expect(openSealedSubject(server.privateKey, zero.toString('base64'))).toBeNull();
  });
});

describe('ScanSealKeys: one X25519 per ephemeral key', () => {
  function keysIn(cacheEntries?: number): ScanSealKeys {
    const db = openDatabase(tempDbFile());
    const keys = ScanSealKeys.open(db, Date.now, cacheEntries);
    db.close();
    return keys;
  }

  it('opens many seals under one ephemeral key with one derivation, each with its own nonce', () => {
    const keys = keysIn();
    const seal = laneSealer(keys.publicKeyBase64());
    const subjects = Array.from({ length: 50 }, (_, i) => `personal_id:0790${String(i).padStart(8, '0')}`);
    const sealed = subjects.map(seal);
    expect(new Set(sealed.map((s) => s.slice(0, 44))).size).toBe(1);
    expect(new Set(sealed.map((s) => s.slice(44, 60))).size).toBe(50);
    expect(sealed.map((s) => keys.open(s))).toEqual(subjects);
    expect(keys.derivations).toBe(1);
    // Another lane's ephemeral key costs one more.
    expect(keys.open(sealAsLane(keys.publicKeyBase64(), subjects[0]!))).toBe(subjects[0]);
    expect(keys.derivations).toBe(2);
  });

  it('refuses a tampered seal whose ephemeral key is cached, and keeps opening good ones', () => {
    const keys = keysIn();
    const seal = laneSealer(keys.publicKeyBase64());
    const good = seal('personal_id:079012345678');
    expect(keys.open(good)).toBe('personal_id:079012345678');
    const bytes = Buffer.from(seal('personal_id:079012345679'), 'base64');
    for (let i = 33; i < bytes.length; i++) {
      const tampered = Buffer.from(bytes);
      tampered[i]! ^= 0x01;
      expect(keys.open(tampered.toString('base64')), `byte ${i}`).toBeNull();
    }
    expect(keys.derivations).toBe(1);
    expect(keys.open(bytes.toString('base64'))).toBe('personal_id:079012345679');
  });

  it('caches only keys that opened a seal, and no more of them than it is told', () => {
    const keys = keysIn(2);
    const other = generateKeyPairSync('x25519').publicKey;
    const foreign = laneSealer(rawX25519PublicKey(other).toString('base64'));
    const forOther = foreign('personal_id:079012345678');
    expect(keys.open(forOther)).toBeNull();
    expect(keys.open(forOther)).toBeNull();
    expect(keys.derivations).toBe(2);

    const lanes = [0, 1, 2].map(() => laneSealer(keys.publicKeyBase64()));
    for (const lane of lanes) expect(keys.open(lane('personal_id:079012345678'))).not.toBeNull();
    expect(keys.derivations).toBe(5);
    // Lanes 1 and 2 are cached; lane 0 was the least recently used and went.
    keys.open(lanes[2]!('personal_id:079012345678'));
    keys.open(lanes[1]!('personal_id:079012345678'));
    expect(keys.derivations).toBe(5);
    keys.open(lanes[0]!('personal_id:079012345678'));
    expect(keys.derivations).toBe(6);
  });
});
