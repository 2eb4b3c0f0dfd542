import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashPin, OfficerRegistry, writeOfficersFile } from './officers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lane-officers-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('officers.json', () => {
  it('reads the hand-written plain array as roster version 0', async () => {
    writeFileSync(
      join(dir, 'officers.json'),
      JSON.stringify([{ id: 'o1', role: 'officer', pinHash: hashPin('1234') }]),
    );
    const registry = OfficerRegistry.load(dir);
    expect(registry.version).toBe(0);
    expect(await registry.verify('o1', '1234', () => 0)).toMatchObject({ ok: true, officer: { id: 'o1' } });
  });

  it('writes a synced roster atomically with its version beside it, mode 0600, and reads it back', async () => {
    writeFileSync(join(dir, 'officers.json'), '[]');
    writeOfficersFile(dir, {
      version: 7,
      officers: [{ id: 's1', role: 'supervisor', pinHash: hashPin('87654321') }],
    });
    expect(readdirSync(dir)).toEqual(['officers.json']); // no temp file left behind
    expect(statSync(join(dir, 'officers.json')).mode & 0o777).toBe(0o600);
    const text = JSON.parse(readFileSync(join(dir, 'officers.json'), 'utf8')) as Record<string, unknown>;
    expect(text['officers-version']).toBe(7);
    const registry = OfficerRegistry.load(dir);
    expect(registry.version).toBe(7);
    expect(await registry.verify('s1', '87654321', () => 0, 'supervisor')).toMatchObject({
      ok: true,
      officer: { id: 's1' },
    });
  });

  it('refuses a malformed file', () => {
    writeFileSync(
      join(dir, 'officers.json'),
      JSON.stringify({ 'officers-version': 1, officers: [{ id: 'x' }] }),
    );
    expect(() => OfficerRegistry.load(dir)).toThrow(/not a valid officers file/);
  });
});

describe('OfficerRegistry.replace', () => {
  it('swaps the officers and version but keeps each officer’s lock-out state', async () => {
    const registry = new OfficerRegistry([{ id: 'o1', role: 'officer', pinHash: hashPin('1111') }], {
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
});
