// The thief with a lane's officers.json (issue 13, "officers.json copied to another machine"): a
// real lane folder gets a roster the server's way (plain scrypt hashes of 4-, 5-, 6- and 8-digit
// PINs, and a hand-written plain file converted on load), the file is copied to another folder,
// and everything that could check a PIN against it without the lane's pepper is tried.
//
// Trying every 4- and 6-digit PIN by scrypt (~55 ms each) would take 9 min and 15 h of CPU here.
// It is not needed to show that none is recovered: any attacker check of a candidate c is
// "stored == F(scrypt(c, salt))" for an F the attacker can compute. For the true PIN, the test
// shows that no such check holds: not plain scrypt (F = identity: the stored value is not the
// scrypt key), not the lane's own check with any other pepper, and the pepper is nowhere in the
// file. A check that rejects the true PIN recovers no PIN from a space that contains it. A sample
// of other candidates is run through the same checks too, and the cost an attacker faces is
// measured.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPin, pepperedPinMatches } from './officer-pin-hash.js';
import { OfficerRegistry, type OfficerRoster } from './officers.js';

const TRUE_PINS: Record<string, string> = {
  'CB-4': '0417',
  'CB-5': '52093',
  'CB-6': '305918',
  'GS-8': '77031946',
  'CB-HAND': '8802',
};

let root: string;
let laneDir: string;
let thiefDir: string;
const pinPepper = randomBytes(32);
/** The scrypt key of each officer's true PIN (what the server sent), to look for on the disk. */
const scryptKeys = new Map<string, Buffer>();

const scryptAsync = (pin: string, salt: Buffer, len: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    scrypt(pin, salt, len, (e, key) => {
      if (e) reject(e);
      else resolve(key);
    });
  });

/** The cracker's plain check, as for the server's format: scrypt(candidate, salt) == stored value. */
async function plainCheck(candidate: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  const salt = Buffer.from(parts.at(-2) ?? '', 'base64');
  const value = Buffer.from(parts.at(-1) ?? '', 'base64');
  return timingSafeEqual(value, await scryptAsync(candidate, salt, value.length));
}

/** Every byte string the file holds: raw, and each token decoded as base64 and as hex. */
function decodedBlobs(text: string): Buffer[] {
  const blobs = [Buffer.from(text, 'utf8')];
  for (const token of text.split(/["$,:=\s{}[\]]+/).filter((t) => t.length >= 8)) {
    blobs.push(Buffer.from(token, 'base64'));
    if (/^[0-9a-f]+$/i.test(token)) blobs.push(Buffer.from(token, 'hex'));
  }
  return blobs;
}

const containsWindow = (blobs: readonly Buffer[], needle: Buffer): boolean =>
  blobs.some((b) => b.indexOf(needle) >= 0);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'officers-theft-'));
  laneDir = join(root, 'lane');
  thiefDir = join(root, 'another-machine');
  mkdirSync(laneDir, { mode: 0o700 });
  mkdirSync(thiefDir);
  // A hand-written plain file first: converted when the lane loads it.
  const hand = hashPin(TRUE_PINS['CB-HAND'] ?? '');
  writeFileSync(
    join(laneDir, 'officers.json'),
    JSON.stringify([{ id: 'CB-HAND', role: 'officer', pinHash: hand }]),
  );
  const lane = OfficerRegistry.load(laneDir, { pinPepper });
  expect(await lane.verify('CB-HAND', TRUE_PINS['CB-HAND'] ?? '', () => 0)).toMatchObject({ ok: true });
  const handFile = readFileSync(join(laneDir, 'officers.json'), 'utf8');
  scryptKeys.set('CB-HAND', Buffer.from(hand.split('$')[2] ?? '', 'base64'));
  // Then the server's roster arrives and is written the lane's way, with the hand-written officer kept.
  const roster: OfficerRoster = { version: 9, officers: [] };
  for (const [id, pin] of Object.entries(TRUE_PINS)) {
    if (id === 'CB-HAND') continue;
    const pinHash = hashPin(pin);
    scryptKeys.set(id, Buffer.from(pinHash.split('$')[2] ?? '', 'base64'));
    roster.officers.push({ id, role: id.startsWith('GS') ? 'supervisor' : 'officer', pinHash });
  }
  lane.writeRoster(laneDir, roster);
  lane.replace(roster);
  // The lane checks every PIN of its roster (so the file is whole and the checks below can fail).
  for (const o of roster.officers)
    expect(await lane.verify(o.id, TRUE_PINS[o.id] ?? '', () => 0)).toMatchObject({ ok: true });
  expect(
    await OfficerRegistry.load(laneDir, { pinPepper }).verify('GS-8', '77031946', () => 0),
  ).toMatchObject({
    ok: true,
  });
  // The hand-written file as converted, kept beside the roster file for the thief too.
  writeFileSync(join(laneDir, 'hand-converted.json'), handFile);
  copyFileSync(join(laneDir, 'officers.json'), join(thiefDir, 'officers.json'));
  copyFileSync(join(laneDir, 'hand-converted.json'), join(thiefDir, 'hand-converted.json'));
}, 30_000);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** What the thief has: each stored officer (id and stored hash) from the copied files. */
function stolenHashes(): { id: string; stored: string }[] {
  const out: { id: string; stored: string }[] = [];
  for (const name of ['officers.json', 'hand-converted.json']) {
    const file = JSON.parse(readFileSync(join(thiefDir, name), 'utf8')) as {
      officers: { id: string; pinHash: string }[];
    };
    for (const o of file.officers) out.push({ id: o.id, stored: o.pinHash });
  }
  return out;
}

describe('officers.json copied to another machine', () => {
  it('holds neither the pepper nor any scrypt key of a true PIN, in any encoding', () => {
    const stolen = stolenHashes();
    expect(stolen.map((s) => s.id).sort()).toEqual(Object.keys(TRUE_PINS).sort());
    for (const name of ['officers.json', 'hand-converted.json']) {
      const blobs = decodedBlobs(readFileSync(join(thiefDir, name), 'utf8'));
      expect(containsWindow(blobs, pinPepper)).toBe(false);
      for (const key of scryptKeys.values()) expect(containsWindow(blobs, key)).toBe(false);
    }
    // The control: the search finds a key where one is (the server's plain form).
    const salt = randomBytes(16);
    const plain = `scrypt$${salt.toString('base64')}$${[...scryptKeys.values()][0]?.toString('base64') ?? ''}`;
    expect(
      containsWindow(
        decodedBlobs(JSON.stringify([{ pinHash: plain }])),
        [...scryptKeys.values()][0] ?? Buffer.alloc(0),
      ),
    ).toBe(true);
  });

  it('the lane itself, on the other machine with any other pepper, knows no officer', async () => {
    const others = [Buffer.alloc(32), Buffer.alloc(32, 0xff), randomBytes(32), randomBytes(32)];
    for (const other of others) {
      const registry = OfficerRegistry.load(thiefDir, { pinPepper: other });
      expect(registry.size).toBe(0);
      for (const [id, pin] of Object.entries(TRUE_PINS))
        expect(await registry.verify(id, pin, () => 0)).toEqual({ ok: false, failure: 'unknown_officer' });
    }
    // The same copy with the lane's pepper (as its sealed store gives it) works: only the pepper is missing.
    expect(
      await OfficerRegistry.load(thiefDir, { pinPepper }).verify('CB-6', '305918', () => 0),
    ).toMatchObject({
      ok: true,
    });
  });

  it('rejects the true PIN of every officer under plain scrypt and under the lane check with other peppers', async () => {
    const stolen = stolenHashes();
    // Peppers a thief could try: zeros, ones, random ones, and every 32-byte window of every
    // token in the files (the tag, the salts, the stored values).
    const windows: Buffer[] = [];
    for (const blob of decodedBlobs(readFileSync(join(thiefDir, 'officers.json'), 'utf8')).slice(1))
      for (let i = 0; i + 32 <= blob.length; i++) windows.push(blob.subarray(i, i + 32));
    const wrong = [Buffer.alloc(32), Buffer.alloc(32, 0xff), randomBytes(32), ...windows];
    expect(wrong.length).toBeGreaterThan(5);
    expect(wrong.some((w) => w.equals(pinPepper))).toBe(false);
    for (const { id, stored } of stolen) {
      const pin = TRUE_PINS[id] ?? '';
      expect(await plainCheck(pin, stored)).toBe(false);
      const results = await Promise.all(wrong.map((w) => pepperedPinMatches(pin, stored, w)));
      expect(results.filter(Boolean)).toEqual([]);
      // The control: the same check with the lane's pepper accepts it.
      expect(await pepperedPinMatches(pin, stored, pinPepper)).toBe(true);
    }
  }, 120_000);

  it('recovers no PIN from a sample of each space (true PIN included) and measures what a thief faces', async () => {
    const stolen = stolenHashes();
    const other = randomBytes(32);
    const sample = (digits: number, n: number): string[] =>
      Array.from({ length: n }, () => String(Math.floor(Math.random() * 10 ** digits)).padStart(digits, '0'));
    for (const { id, stored } of stolen) {
      const pin = TRUE_PINS[id] ?? '';
      const candidates = [pin, ...sample(4, 4), ...sample(6, 4)];
      const found: string[] = [];
      for (const c of candidates) {
        const [viaLane, viaPlain] = await Promise.all([
          pepperedPinMatches(c, stored, other),
          plainCheck(c, stored),
        ]);
        if (viaLane || viaPlain) found.push(c);
      }
      expect(found).toEqual([]);
    }
    // One lane check at a time, as a thief holding the pepper would pay per candidate: the median of 7.
    const one = stolen[0]?.stored ?? '';
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      await pepperedPinMatches('000000', one, pinPepper);
      times.push(performance.now() - t0);
    }
    const perTry = times.sort((a, b) => a - b)[3] ?? 0;
    // scrypt keeps its cost: the pepper comes on top of it, it does not replace it.
    expect(perTry).toBeGreaterThan(5);
    const hours = (n: number): string => ((n * perTry) / 3_600_000).toFixed(2);
    console.info(
      `officers.json thief: ${perTry.toFixed(1)} ms per PIN check (scrypt N=16384 r=8 p=1 + HMAC) here. ` +
        `Holding the pepper: all 4-digit PINs ${hours(1e4)} h, all 6-digit ${hours(1e6)} h per officer on one core. ` +
        `Without it: no candidate can be checked at all (the 32-byte pepper, 2^256, must be guessed first).`,
    );
  }, 120_000);
});
