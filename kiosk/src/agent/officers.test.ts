import { randomBytes, scryptSync } from 'node:crypto';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashPin, OfficerRegistry } from './officers.js';

let dir: string;
const pinPepper = randomBytes(32);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lane-officers-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const file = (): string => join(dir, 'officers.json');
const readFile = (): {
  'officers-version': number;
  'pin-pepper-tag': string;
  officers: { pinHash: string }[];
} => JSON.parse(readFileSync(file(), 'utf8')) as never;

/** A logger that keeps what it was told. */
function recorder(): { lines: string[]; warn: (...a: unknown[]) => void; info: (...a: unknown[]) => void } {
  const lines: string[] = [];
  const keep = (...a: unknown[]): void => {
    lines.push(a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' '));
  };
  return { lines, warn: keep, info: keep };
}

describe('officers.json', () => {
  it('peppers a hand-written plain array on load and rewrites it at once (0600), never plain again', async () => {
    const plain = hashPin('1234');
    writeFileSync(file(), JSON.stringify([{ id: 'o1', role: 'officer', pinHash: plain }]), { mode: 0o644 });
    const log = recorder();
    const registry = OfficerRegistry.load(dir, { pinPepper, logger: log });
    expect(registry.version).toBe(0);
    expect(await registry.verify('o1', '1234', () => 0)).toMatchObject({ ok: true, officer: { id: 'o1' } });
    expect(await registry.verify('o1', '4321', () => 0)).toEqual({ ok: false, failure: 'wrong_pin' });

    const text = readFileSync(file(), 'utf8');
    expect(text).not.toContain(plain.split('$')[2]); // the scrypt key is gone from the disk
    expect(text).not.toMatch(/"scrypt\$/);
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['officers.json']);
    const stored = readFile();
    expect(stored['officers-version']).toBe(0);
    expect(stored['pin-pepper-tag']).toMatch(/^[0-9a-f]{16}$/);
    expect(stored.officers[0]?.pinHash).toMatch(/^scrypt-hmac-sha256\$N=16384,r=8,p=1,len=32\$/);
    // Same salt as the server's hash: the stored value is HMAC(pepper, scrypt key), not the key.
    expect(stored.officers[0]?.pinHash.split('$')[2]).toBe(plain.split('$')[1]);
    expect(log.lines.join('\n')).toMatch(/"converted":1.*plain PIN hashes peppered/);
    expect(log.lines.join('\n')).not.toContain('1234');

    // A second load reads the peppered file as it is (nothing to convert, nothing rewritten).
    const before = statSync(file()).mtimeMs;
    const again = OfficerRegistry.load(dir, { pinPepper });
    expect(statSync(file()).mtimeMs).toBe(before);
    expect(await again.verify('o1', '1234', () => 0)).toMatchObject({ ok: true });
  });

  it('zero-fills the replaced file that held plain hashes (its bytes, read through a descriptor kept open)', () => {
    const plain = hashPin('1234');
    writeFileSync(file(), JSON.stringify([{ id: 'o1', role: 'officer', pinHash: plain }]));
    const size = statSync(file()).size;
    const old = openSync(file(), 'r');
    try {
      OfficerRegistry.load(dir, { pinPepper });
      const bytes = Buffer.alloc(size);
      expect(readSync(old, bytes, 0, size, 0)).toBe(size);
      expect(bytes.every((b) => b === 0)).toBe(true);
    } finally {
      closeSync(old);
    }
    expect(readFileSync(file(), 'utf8')).toContain('"pin-pepper-tag"');
  });

  it('converts an old synced file ({"officers-version", officers} with plain hashes), keeping its version', async () => {
    writeFileSync(
      file(),
      JSON.stringify({
        'officers-version': 4,
        officers: [
          { id: 'o1', role: 'officer', pinHash: hashPin('1111') },
          { id: 's1', name: 'Minh', role: 'supervisor', pinHash: hashPin('99999') },
        ],
      }),
    );
    const registry = OfficerRegistry.load(dir, { pinPepper });
    expect(registry.version).toBe(4);
    expect(await registry.verify('s1', '99999', () => 0, 'supervisor')).toMatchObject({ ok: true });
    const stored = readFile();
    expect(stored['officers-version']).toBe(4);
    expect(stored.officers.map((o) => o.pinHash.startsWith('scrypt-hmac-sha256$'))).toEqual([true, true]);
  });

  it('writes a synced roster peppered, atomically, mode 0600, and reads it back', async () => {
    writeFileSync(file(), '[]');
    const registry = new OfficerRegistry([], { pinPepper });
    const plain = hashPin('87654321');
    registry.writeRoster(dir, { version: 7, officers: [{ id: 's1', role: 'supervisor', pinHash: plain }] });
    expect(registry.size).toBe(0); // writing does not take the roster in
    expect(readdirSync(dir)).toEqual(['officers.json']); // no temp file left behind
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(readFileSync(file(), 'utf8')).not.toContain(plain.split('$')[2]);
    expect(readFile()['officers-version']).toBe(7);
    const loaded = OfficerRegistry.load(dir, { pinPepper });
    expect(loaded.version).toBe(7);
    expect(await loaded.verify('s1', '87654321', () => 0, 'supervisor')).toMatchObject({
      ok: true,
      officer: { id: 's1' },
    });
  });

  it('sets aside a file peppered with another pepper: no officers, version 0, said in the log', async () => {
    new OfficerRegistry([], { pinPepper: randomBytes(32) }).writeRoster(dir, {
      version: 3,
      officers: [{ id: 'o1', role: 'officer', pinHash: hashPin('1234') }],
    });
    const log = recorder();
    const registry = OfficerRegistry.load(dir, { pinPepper, logger: log });
    expect(registry.version).toBe(0);
    expect(registry.size).toBe(0);
    expect(await registry.verify('o1', '1234', () => 0)).toEqual({ ok: false, failure: 'unknown_officer' });
    expect(log.lines.join('\n')).toMatch(/another PIN pepper/);
  });

  it('leaves out an officer whose hash cannot be used, by id in the log', () => {
    const salt = randomBytes(16);
    const short = `scrypt$${salt.toString('base64')}$${scryptSync('1234', salt, 8).toString('base64')}`;
    writeFileSync(
      file(),
      JSON.stringify([
        { id: 'bad', role: 'officer', pinHash: short },
        { id: 'good', role: 'officer', pinHash: hashPin('5555') },
      ]),
    );
    const log = recorder();
    const registry = OfficerRegistry.load(dir, { pinPepper, logger: log });
    expect(registry.list(0).map((o) => o.id)).toEqual(['good']);
    expect(log.lines.join('\n')).toMatch(/"officerId":"bad".*unusable PIN hash/);
    expect(readFile().officers).toHaveLength(1);
  });

  it('refuses a malformed file and a pepper that is not 32 bytes', () => {
    writeFileSync(file(), JSON.stringify({ 'officers-version': 1, officers: [{ id: 'x' }] }));
    expect(() => OfficerRegistry.load(dir, { pinPepper })).toThrow(/not a valid officers file/);
    writeFileSync(file(), JSON.stringify([{ id: 'x', role: 'officer', pinHash: 'bcrypt$abc$def' }]));
    expect(() => OfficerRegistry.load(dir, { pinPepper })).toThrow(/not a valid officers file/);
    expect(() => new OfficerRegistry([], { pinPepper: randomBytes(16) })).toThrow(/32 bytes/);
    expect(() => new OfficerRegistry([], { pinPepper: new Uint8Array(0) })).toThrow(/32 bytes/);
  });
});

describe('OfficerRegistry.replace', () => {
  it('swaps the officers and version but keeps each officer’s lock-out state', async () => {
    const registry = new OfficerRegistry([{ id: 'o1', role: 'officer', pinHash: hashPin('1111') }], {
      pinPepper,
      maxFailures: 3,
      lockoutMs: 1000,
    });
    expect((await registry.verify('o1', '9999', () => 0)).ok).toBe(false);
    expect((await registry.verify('o1', '9999', () => 0)).ok).toBe(false);
    registry.replace({ version: 2, officers: [{ id: 'o1', role: 'officer', pinHash: hashPin('2222') }] });
    expect(registry.version).toBe(2);
    // The third wrong PIN in a row still locks: the count survived the swap.
    expect(await registry.verify('o1', '9999', () => 10)).toEqual({
      ok: false,
      failure: 'locked_out',
      lockedUntil: 1010,
    });
    expect(await registry.verify('o1', '2222', () => 20)).toMatchObject({ ok: false, failure: 'locked_out' });
    expect(await registry.verify('o1', '2222', () => 2000)).toMatchObject({
      ok: true,
      officer: { id: 'o1' },
    });
    expect(await registry.verify('o1', '1111', () => 2000)).toEqual({ ok: false, failure: 'wrong_pin' });
  });

  it('keeps only peppered hashes in memory: a verified officer carries no scrypt key', async () => {
    const plain = hashPin('2468');
    const registry = new OfficerRegistry([], { pinPepper });
    registry.replace({ version: 1, officers: [{ id: 'o1', role: 'officer', pinHash: plain }] });
    const check = await registry.verify('o1', '2468', () => 0);
    expect(check.ok && check.officer.pinHash).toMatch(/^scrypt-hmac-sha256\$/);
    expect(JSON.stringify(check)).not.toContain(plain.split('$')[2]);
  });
});
