// The lane's sealed secrets file over the file key store (and the TPM one against swtpm).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINT_DEFAULTS, fail, type Result } from '@checkpoint-lane/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LaneCredentials } from '../sync/credentials.js';
import { FileKeyStore, INSECURE_KEY_FILE } from './file-key-store.js';
import { openKeyStore } from './key-store-choice.js';
import type { KeyStore, KeyStoreProblem } from './key-store.js';
import { IDENTITY_FILE, LaneVault, SECRETS_FILE } from './lane-vault.js';
import { Swtpm, swtpmMissing } from './swtpm.testkit.js';
import { TpmKeyStore } from './tpm-key-store.js';

const LIST_KEY = randomBytes(32);
const TOKEN = `tok_${randomBytes(24).toString('base64url')}`;

function credentials(extra: Record<string, unknown> = {}): LaneCredentials {
  return {
    serverUrl: 'https://sync.example',
    kioskId: 'k-vault-1',
    token: TOKEN,
    listKey: LIST_KEY.toString('base64'),
    checkpoint: { id: 'CP-V', name: 'Chốt V', mode: 'open', ...CHECKPOINT_DEFAULTS },
    ...extra,
  };
}

/** Every secret form a reader of the folder must not find. */
function secretForms(pepper: Buffer): Buffer[] {
  return [LIST_KEY, pepper].flatMap((b) => [
    b,
    Buffer.from(b.toString('base64')),
    Buffer.from(b.toString('base64url')),
    Buffer.from(b.toString('hex')),
  ]);
}

/** A key store's methods as plain properties (to build a variant of it). */
function bind(store: KeyStore): KeyStore {
  return {
    kind: store.kind,
    exists: () => store.exists(),
    seal: (key) => store.seal(key),
    unseal: () => store.unseal(),
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lane-vault-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('LaneVault (file key store)', () => {
  it('creates, reopens and updates; the secrets file holds no secret in clear', async () => {
    const store = new FileKeyStore(dir);
    const created = await LaneVault.create(dir, store, credentials({ futureField: 'kept' }));
    expect(created.ok).toBe(true);
    if (!created.ok) return;
    const pepper = created.value.pinPepper;
    expect(pepper).toHaveLength(32);
    const file = join(dir, SECRETS_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file);
    for (const form of [...secretForms(pepper), Buffer.from(TOKEN)]) expect(text.includes(form)).toBe(false);
    expect(JSON.parse(text.toString('utf8'))).toMatchObject({
      version: 1,
      keyStore: 'file',
      cipher: 'aes-256-gcm',
    });
    expect(JSON.parse(readFileSync(join(dir, IDENTITY_FILE), 'utf8'))).toEqual({
      kioskId: 'k-vault-1',
      serverUrl: 'https://sync.example',
      checkpointId: 'CP-V',
      keyStore: 'file',
    });

    const opened = await LaneVault.open(dir, new FileKeyStore(dir));
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    // Every field of the enrollment comes back, even one this lane does not know yet.
    expect(opened.value.credentials).toEqual(credentials({ futureField: 'kept' }));
    expect(opened.value.pinPepper.equals(pepper)).toBe(true);

    expect(opened.value.update({ ...credentials(), token: 'tok_new' }).ok).toBe(true);
    const again = await LaneVault.open(dir, new FileKeyStore(dir));
    expect(again.ok && again.value.credentials.token).toBe('tok_new');
    expect(again.ok && again.value.pinPepper.equals(pepper)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('says missing when there is no secrets file', async () => {
    expect(await LaneVault.open(dir, new FileKeyStore(dir))).toMatchObject({
      ok: false,
      error: { code: 'missing' },
    });
  });

  it('refuses another key store than the one that sealed, naming it', async () => {
    await LaneVault.create(dir, new FileKeyStore(dir), credentials());
    const r = await LaneVault.open(dir, new TpmKeyStore(dir, { tcti: 'swtpm:path=/nonexistent' }));
    expect(r).toMatchObject({ ok: false, error: { code: 'wrong-store', message: /--key-store file/ } });
  });

  it('says corrupt for a damaged file, a flipped byte, a changed header, or another wrapping key', async () => {
    const store = new FileKeyStore(dir);
    await LaneVault.create(dir, store, credentials());
    const file = join(dir, SECRETS_FILE);
    const good = readFileSync(file, 'utf8');
    const parsed = JSON.parse(good) as Record<string, string>;
    const flipped = Buffer.from(parsed['ciphertext']!, 'base64');
    flipped[5]! ^= 1;
    const cases = [
      '{',
      JSON.stringify({ ...parsed, version: 2 }),
      JSON.stringify({ ...parsed, nonce: 'AAAA' }),
      JSON.stringify({ ...parsed, ciphertext: flipped.toString('base64') }),
      JSON.stringify({ ...parsed, tag: Buffer.alloc(16).toString('base64') }),
    ];
    for (const text of cases) {
      writeFileSync(file, text);
      expect(await LaneVault.open(dir, store)).toMatchObject({ ok: false, error: { code: 'corrupt' } });
    }
    // The header is bound to the ciphertext: relabelled for another store (which hands back the
    // very same wrapping key), the tag no longer matches.
    writeFileSync(file, JSON.stringify({ ...parsed, keyStore: 'safe-storage' }));
    const relabelled: KeyStore = { ...bind(store), kind: 'safe-storage' };
    expect(await LaneVault.open(dir, relabelled)).toMatchObject({ ok: false, error: { code: 'corrupt' } });
    // Another wrapping key does not open it either.
    writeFileSync(file, good);
    expect((await LaneVault.open(dir, store)).ok).toBe(true);
    await store.seal(randomBytes(32));
    expect(await LaneVault.open(dir, store)).toMatchObject({ ok: false, error: { code: 'corrupt' } });
  });

  it('says corrupt for a damaged key file, missing when it is gone', async () => {
    const store = new FileKeyStore(dir);
    await LaneVault.create(dir, store, credentials());
    writeFileSync(join(dir, INSECURE_KEY_FILE), '{"version":1,"key":"c2hvcnQ="}');
    expect(await LaneVault.open(dir, store)).toMatchObject({ ok: false, error: { code: 'corrupt' } });
    rmSync(join(dir, INSECURE_KEY_FILE));
    expect(await LaneVault.open(dir, store)).toMatchObject({ ok: false, error: { code: 'missing' } });
  });

  it('begin seals before any secret exists; a store that cannot seal writes nothing', async () => {
    const refusing: KeyStore = {
      kind: 'tpm',
      exists: () => false,
      seal: (): Promise<Result<void, KeyStoreProblem>> =>
        Promise.resolve(fail({ code: 'unavailable', message: 'no TPM here' })),
      unseal: () => Promise.resolve(fail({ code: 'missing', message: 'none' })),
    };
    expect(await LaneVault.begin(dir, refusing)).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(LaneVault.exists(dir)).toBe(false);
    const pending = await LaneVault.begin(dir, new FileKeyStore(dir));
    expect(pending.ok).toBe(true);
    expect(LaneVault.exists(dir)).toBe(false);
    if (pending.ok) expect(pending.value.commit(credentials()).ok).toBe(true);
    expect(LaneVault.exists(dir)).toBe(true);
  });

  it('openKeyStore refuses the file store without --insecure-key-file', () => {
    const r = openKeyStore(dir, { kind: 'file' });
    expect(r).toMatchObject({ ok: false, error: /--insecure-key-file/ });
    expect(openKeyStore(dir, { kind: 'file', insecureKeyFile: true }).ok).toBe(true);
    expect(openKeyStore(dir, { kind: 'tpm' })).toMatchObject({ ok: true, value: { kind: 'tpm' } });
  });
});

describe.skipIf(swtpmMissing() !== null)('LaneVault (TPM key store, swtpm)', () => {
  it('opens on the TPM that sealed it; a fresh TPM refuses', async () => {
    const tpm = await Swtpm.start();
    const other = await Swtpm.start();
    try {
      const created = await LaneVault.create(dir, new TpmKeyStore(dir, { tcti: tpm.tcti }), credentials());
      expect(created.ok).toBe(true);
      const opened = await LaneVault.open(dir, new TpmKeyStore(dir, { tcti: tpm.tcti }));
      expect(opened.ok && opened.value.credentials.listKey).toBe(LIST_KEY.toString('base64'));
      const refused = await LaneVault.open(dir, new TpmKeyStore(dir, { tcti: other.tcti }));
      expect(refused).toMatchObject({ ok: false, error: { code: 'refused' } });
    } finally {
      await tpm.destroy();
      await other.destroy();
    }
  });
});
