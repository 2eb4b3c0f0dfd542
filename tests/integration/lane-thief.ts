// The thief of a lane's disk: given only its data folder (and the IDs it hopes to find), it tries
// as the list key K every 32-byte window of every file, and every base64, base64url and hex token
// found in any file (decoded: whole, and each 32-byte window of it), keyed exactly as the lane
// keys subjects (createSubjectKeyer). A candidate "recovers" an ID when the keyed ID is one of
// the keys in the lane's health list. Prints one JSON line of counts and of the files a key was
// found in (no ID, no key).
// Run: node --import tsx tests/integration/lane-thief.ts DATA_DIR ID [ID …] (the lane code comes
// from kiosk/dist, as the packages resolve outside vitest: build first).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSubjectKeyer } from '@checkpoint-lane/kiosk';
import { parseSubjectText } from '@checkpoint-lane/shared';

const KEY_BYTES = 32;

/** Every regular file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) return filesUnder(path);
    return st.isFile() ? [path] : [];
  });
}

/** The subject keys of the lane's health list, read from its store file. */
function listedKeys(dataDir: string): Set<bigint> {
  const db = new Database(join(dataDir, 'lane.db'), { readonly: true, fileMustExist: true });
  try {
    db.defaultSafeIntegers(true);
    return new Set(
      (db.prepare('SELECT key FROM health_entries').all() as { key: bigint }[]).map((r) => r.key),
    );
  } finally {
    db.close();
  }
}

/** Tokens a file's bytes may hold a key in: base64, base64url, hex runs, decoded. */
function decodedTokens(bytes: Buffer): Buffer[] {
  const text = bytes.toString('latin1');
  const out: Buffer[] = [];
  for (const m of text.matchAll(/[0-9a-fA-F]{32,}/g)) {
    const hex = m[0].length % 2 === 0 ? m[0] : m[0].slice(0, -1);
    out.push(Buffer.from(hex, 'hex'));
  }
  for (const m of text.matchAll(/[A-Za-z0-9+/]{20,}={0,2}/g)) out.push(Buffer.from(m[0], 'base64'));
  for (const m of text.matchAll(/[A-Za-z0-9_-]{20,}/g)) out.push(Buffer.from(m[0], 'base64url'));
  return out.filter((b) => b.length >= 16);
}

function main(): void {
  const [dataDir, ...ids] = process.argv.slice(2);
  if (dataDir === undefined || ids.length === 0) throw new Error('usage: lane-thief DATA_DIR ID [ID …]');
  const subjects = ids.map((id) => {
    const s = parseSubjectText(id);
    if (s === null) throw new Error('an ID the lane would not read');
    return s;
  });
  const listed = listedKeys(dataDir);
  const recovered = new Set<number>();
  const hitFiles = new Set<string>();
  let candidates = 0;
  let keysHit = 0;
  let file = '';
  const tryKey = (key: Buffer): void => {
    candidates++;
    const keyer = createSubjectKeyer(key);
    let hit = false;
    for (const [i, s] of subjects.entries()) {
      if (listed.has(keyer(s))) {
        recovered.add(i);
        hit = true;
      }
    }
    if (hit) {
      keysHit++;
      hitFiles.add(file);
    }
  };
  const windows = (bytes: Buffer): void => {
    for (let i = 0; i + KEY_BYTES <= bytes.length; i++) tryKey(bytes.subarray(i, i + KEY_BYTES));
  };
  const files = filesUnder(dataDir).map((f) => f.slice(dataDir.length + 1));
  let bytes = 0;
  let tokens = 0;
  for (file of files) {
    const content = readFileSync(join(dataDir, file));
    bytes += content.length;
    windows(content);
    for (const token of decodedTokens(content)) {
      tokens++;
      tryKey(token);
      if (token.length > KEY_BYTES) windows(token);
    }
  }
  process.stdout.write(
    `${JSON.stringify({
      files: files.sort(),
      bytes,
      tokens,
      candidates,
      listed: listed.size,
      keysHit,
      recovered: recovered.size,
      hitFiles: [...hitFiles].sort(),
    })}\n`,
  );
}

main();
