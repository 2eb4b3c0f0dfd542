// Scan to decision for signed lane passes (issue 16) inside the lane agent: bytes in at the CR
// framer to the decision DecisionLoop.handle returns (parse + base45, Ed25519 check against the
// pass directory held, HMAC, SQLite lookups, policy, subject sealed to the server, durable
// record), at a closed checkpoint, with a store of WHITELIST + HEALTH entries.
// Sibling of lane-scan-decision.ts (same framing, store and timing). Not a test.
// Run: npx tsx bench/lane-pass-decision.ts
//   env: WHITELIST (1000000), HEALTH (1000000), SCANS (5000)
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createSubjectKeyer,
  createSubjectSealer,
  DecisionLoop,
  type LaneDecision,
  type LaneHealthEntry,
  LaneStore,
  type LaneWhitelistEntry,
  SuffixFramer,
} from '@checkpoint-lane/kiosk';
import {
  formatPass,
  parsePass,
  passSigningBytes,
  type CheckpointConfig,
  type PassBody,
  type PassKey,
} from '@checkpoint-lane/shared';
import { checkPass } from '@checkpoint-lane/shared/pass-verify';
import pino from 'pino';
import {
  attrSeed,
  healthAttrs,
  machine,
  personalId,
  population,
  row,
  summarize,
  whitelistAttrs,
  type Summary,
} from './lane-support.js';

const W = Number(process.env['WHITELIST'] ?? 1_000_000);
const H = Number(process.env['HEALTH'] ?? 1_000_000);
const SCANS = Number(process.env['SCANS'] ?? 5000);
const pop = population(W, H);
const now = Date.now();
const checkpoint: CheckpointConfig = {
  id: 'BENCH-1',
  name: 'Chốt bench',
  mode: 'closed',
  freshnessBudgetSec: 6 * 3600,
  blockingStatuses: ['F0', 'F1'],
  repeatWindowSec: 5,
};

console.log(
  `machine: ${machine()}; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const loadBefore = loadavg();

// ------------------------------------------------------------------ the store
const dir = mkdtempSync(join(tmpdir(), 'cl-lane-bench-pass-'));
process.on('exit', () => {
  rmSync(dir, { recursive: true, force: true });
});
const file = join(dir, 'lane.db');
const listKey = randomBytes(32);
const keyer = createSubjectKeyer(listKey);
{
  const store = LaneStore.open(file);
  const t0 = performance.now();
  for (const list of ['whitelist', 'health'] as const) {
    const [from, to] = list === 'whitelist' ? pop.whitelist : pop.health;
    const keys = new BigInt64Array(to - from);
    for (let i = 0; i < keys.length; i++)
      keys[i] = keyer({ kind: 'personal_id', value: personalId(from + i) });
    keys.sort();
    if (list === 'whitelist') {
      const r = store.replaceWhitelist();
      const batch: LaneWhitelistEntry[] = [];
      for (const key of keys) {
        const a = whitelistAttrs(attrSeed(key));
        batch.push({
          key,
          entry: { category: a.category, validFrom: a.validFrom, validUntil: a.validUntil },
          validHere: a.validHere,
        });
        if (batch.length === 20_000) r.add(batch.splice(0));
      }
      r.add(batch);
      r.commit(1, now);
    } else {
      const r = store.replaceHealthList();
      const batch: LaneHealthEntry[] = [];
      for (const key of keys) {
        batch.push({ key, entry: healthAttrs(attrSeed(key)) });
        if (batch.length === 20_000) r.add(batch.splice(0));
      }
      r.add(batch);
      r.commit(1, now);
    }
  }
  console.log(
    `store: ${W.toLocaleString('en')} whitelist + ${H.toLocaleString('en')} health entries built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  store.close();
}

// ------------------------------------------------------------------ pass keys and passes
/** Two keys: 1 retired (passes beginning until a week ago), 2 current. */
const pairs = [1, 2].map(() => generateKeyPairSync('ed25519'));
const passKeys: PassKey[] = pairs.map((p, i) => ({
  keyId: i + 1,
  publicKey: p.publicKey.export({ format: 'jwk' }).x ?? '',
  validFrom: i === 0 ? now - 60 * 86_400_000 : now - 7 * 86_400_000,
  validUntil: i === 0 ? now - 7 * 86_400_000 : null,
}));
const currentKey = pairs[1]?.privateKey;
if (currentKey === undefined) throw new Error('no key');
const signingKey: KeyObject = currentKey;
const revokedIds: string[] = [];

type Kind = 'valid' | 'valid_health' | 'revoked' | 'expired' | 'forged';
interface Scan {
  bytes: Buffer;
  kind: Kind;
}

let next = 0;
/** A deterministic mix: 85 % valid (some with a plate), 5 % of listed people, 4 % revoked, 3 % expired, 3 % forged. */
function scans(n: number): Scan[] {
  const out: Scan[] = [];
  for (let s = 0; s < n; s++) {
    const r = s % 100;
    const kind: Kind =
      r < 85 ? 'valid' : r < 90 ? 'valid_health' : r < 94 ? 'revoked' : r < 97 ? 'expired' : 'forged';
    // A new person each scan (health: inside the health range), as in lane-scan-decision.ts.
    const i = kind === 'valid_health' ? pop.health[0] + (next++ % H) : pop.missFrom + next++;
    const validFrom = Math.floor((kind === 'expired' ? now - 3 * 86_400_000 : now - 3_600_000) / 1000) * 1000;
    const body: PassBody = {
      keyId: 2,
      passId: randomBytes(8).toString('hex'),
      personalId: personalId(i),
      validFrom,
      validUntil: validFrom + 24 * 3_600_000,
      from: { province: 1, district: null, ward: null },
      to: { province: 79, district: 760, ward: 26734 },
      plate: s % 3 === 0 ? '51F12345' : null,
    };
    if (kind === 'revoked') revokedIds.push(body.passId);
    let text = formatPass(body, sign(null, passSigningBytes(body), signingKey));
    if (kind === 'forged') {
      // One character of the signature changed (kept readable).
      for (const c of '0123456789') {
        const t = `${text.slice(0, -10)}${c}${text.slice(-9)}`;
        if (t !== text && parsePass(t).ok) {
          text = t;
          break;
        }
      }
    }
    out.push({ bytes: Buffer.from(`${text}\r`, 'utf8'), kind });
  }
  return out;
}

const warm = scans(300);
const list = scans(SCANS);
const listC = scans(SCANS);
const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
const store = LaneStore.open(file);
store.markSynced('health', Date.now());
store.markSynced('whitelist', Date.now());
store.replacePassDirectory(
  { version: 1, keys: passKeys, revoked: revokedIds.map((passId) => ({ passId, until: now + 86_400_000 })) },
  Date.now(),
);
const sealKey = Buffer.from(
  generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x ?? '',
  'base64url',
).toString('base64');

function openLoop(seal: boolean): DecisionLoop {
  return new DecisionLoop({
    store,
    keyers: { keyerFor: () => keyer },
    sealSubject: seal ? createSubjectSealer(sealKey) : null,
    checkpoint: () => checkpoint,
    logger,
  });
}

const EXPECTED: Record<Kind, string> = {
  valid: 'green:pass_valid',
  valid_health: '',
  revoked: 'red:pass_revoked',
  expired: 'red:pass_expired',
  forged: 'amber:pass_signature_invalid',
};

function run(
  loop: DecisionLoop,
  scansIn: readonly Scan[],
): { all: Summary; byKind: Record<string, Summary> } {
  const framer = new SuffixFramer({ suffix: 'CR' });
  const times: number[] = [];
  const byKind = new Map<Kind, number[]>();
  for (const s of scansIn) {
    const t0 = performance.now();
    let d: LaneDecision | undefined;
    for (const text of framer.push(s.bytes).frames)
      d = loop.handle({ text, source: 'serial', device: 'bench' });
    const ms = performance.now() - t0;
    if (d === undefined || d.scanId === null) throw new Error('a pass was not decided and recorded');
    const got = `${d.decision}:${d.reasons[0] ?? ''}`;
    if (EXPECTED[s.kind] !== '' && got !== EXPECTED[s.kind]) throw new Error(`${s.kind} decided ${got}`);
    times.push(ms);
    let k = byKind.get(s.kind);
    if (!k) byKind.set(s.kind, (k = []));
    k.push(ms);
  }
  return {
    all: summarize(times),
    byKind: Object.fromEntries([...byKind].map(([k, v]) => [k, summarize(v)])),
  };
}

let control: Summary | null = null;
run(openLoop(true), warm);
// A. The real path: subject sealed to the server, each scan one fsync'd SQLite commit.
const a = run(openLoop(true), list);
console.log(`\nA. lane passes, recorded (real path: sealed subject, fsync'd commit), ${SCANS} scans`);
console.log(row('  all scans', a.all));
for (const [k, s] of Object.entries(a.byKind)) console.log(row(`  ${k}`, s));

// D. Control, same store, loop and load: bare 12-digit IDs of new people (no pass), recorded
//    and sealed the same way: what the pass adds is A minus D.
{
  const framer = new SuffixFramer({ suffix: 'CR' });
  const ids = openLoop(true);
  const times: number[] = [];
  for (let s = 0; s < SCANS; s++) {
    const bytes = Buffer.from(`${personalId(pop.missFrom + next++)}\r`, 'utf8');
    const t0 = performance.now();
    let d: LaneDecision | undefined;
    for (const text of framer.push(bytes).frames) d = ids.handle({ text, source: 'serial', device: 'bench' });
    times.push(performance.now() - t0);
    if (d === undefined || d.scanId === null) throw new Error('an ID was not decided and recorded');
  }
  control = summarize(times);
  console.log('\nD. control: bare IDs of new people at the same closed checkpoint, recorded and sealed');
  console.log(row('  all scans', control));
}

// C. Without the record: LaneStore.appendRecord replaced by an in-memory stand-in
//    (instrumentation only), so the figure is the pass path's own work, not the disk's.
let fakeSeq = store.lastSeq();
const realAppend = store.appendRecord.bind(store);
store.appendRecord = (record, at) => ({ ...record, seq: ++fakeSeq, id: `fake-${fakeSeq}`, at });
const c = run(openLoop(true), listC);
store.appendRecord = realAppend;
console.log('\nC. lane passes without recording (appendRecord replaced in memory)');
console.log(row('  all scans', c.all));

// B. The pass check alone (checkPass over parsed passes, the directory held).
const parsed = list.map((s) => parsePass(s.bytes.toString('utf8').slice(0, -1)));
const dirHeld = store.passDirectory();
const checkTimes: number[] = [];
for (const p of parsed) {
  if (!p.ok) throw new Error('unreadable pass');
  const t0 = performance.now();
  checkPass(p.value, dirHeld.keys, dirHeld.revoked, Date.now());
  checkTimes.push(performance.now() - t0);
}
const b = summarize(checkTimes);
console.log('\nB. checkPass alone (Ed25519 verify, key objects cached)');
console.log(row('  checkPass', b));
store.close();

console.log(
  JSON.stringify({
    bench: 'lane-pass-decision',
    date: new Date().toISOString(),
    machine: machine(),
    whitelist: W,
    health: H,
    scans: SCANS,
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg(),
    recorded: a,
    withoutRecording: c.all,
    controlIds: control,
    checkPassAlone: b,
    targetP99Ms: 2,
  }),
);
