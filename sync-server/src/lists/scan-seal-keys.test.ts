import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUBJECT_SEAL_MAX_PLAINTEXT_BYTES, SUBJECT_SEALED_MAX_LENGTH } from '@checkpoint-lane/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/open-database.js';
import { SettingsRepository } from '../db/repositories/settings-repository.js';
import { sealAsLane } from './scan-seal.testkit.js';
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
