// Scan to decision inside the lane agent: bytes in at the serial framer (SuffixFramer.push) to
// the decision DecisionLoop.handle returns (parse, HMAC, SQLite lookups, policy, durable record),
// with a store of 10M whitelist and 1M health entries built through LaneStore.replace*().
// Not a test. Run: npx tsx bench/lane-scan-decision.ts
//   env: WHITELIST (10000000), HEALTH (1000000), SCANS (10000), STORE (reuse a store file built
//   by an earlier run with KEEP=1; its build time is then not measured)
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { CheckpointConfig } from '@checkpoint-lane/shared';
import pino from 'pino';
import {
  createSubjectKeyer,
  DecisionLoop,
  type LaneDecision,
  type LaneHealthEntry,
  LaneStore,
  type LaneWhitelistEntry,
  SuffixFramer,
} from '@checkpoint-lane/kiosk';
import {
  attrSeed,
  chipCardQr,
  healthAttrs,
  machine,
  personalId,
  population,
  row,
  SAMPLE_SCAN_RECORD,
  summarize,
  whitelistAttrs,
  type Summary,
} from './lane-support.js';

const W = Number(process.env['WHITELIST'] ?? 10_000_000);
const H = Number(process.env['HEALTH'] ?? 1_000_000);
const SCANS = Number(process.env['SCANS'] ?? 10_000);
const KEEP = process.env['KEEP'] === '1';

const pop = population(W, H);
const checkpoint: CheckpointConfig = {
  id: 'BENCH-1',
  name: 'Chốt bench',
  mode: 'open',
  freshnessBudgetSec: 6 * 3600,
  blockingStatuses: ['F0', 'F1'],
  repeatWindowSec: 5,
};

// ------------------------------------------------------------------ the store (10M + 1M)
const reuse = process.env['STORE'];
const dir = reuse === undefined ? mkdtempSync(join(tmpdir(), 'cl-lane-bench-scan-')) : null;
const file = reuse ?? join(dir ?? tmpdir(), 'lane.db');
// The temp store goes away however the run ends (unless KEEP=1 asks to reuse it).
process.on('exit', () => {
  if (dir !== null && !KEEP) rmSync(dir, { recursive: true, force: true });
});
const keyFile = `${file}.key`;
let build: Record<string, number> | null = null;
let listKey: Buffer;

console.log(
  `machine: ${machine()}; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const loadBefore = loadavg();
console.log(
  `store: ${W.toLocaleString('en')} whitelist + ${H.toLocaleString('en')} health entries in ${file}`,
);

if (reuse !== undefined && existsSync(file) && existsSync(keyFile)) {
  listKey = Buffer.from(readFileSync(keyFile, 'utf8'), 'base64');
  console.log('reusing the store (build not measured)');
} else {
  listKey = randomBytes(32);
  writeFileSync(keyFile, listKey.toString('base64'));
  build = buildStore(file, listKey);
}

function buildStore(path: string, key: Buffer): Record<string, number> {
  const keyer = createSubjectKeyer(key);
  const store = LaneStore.open(path);
  const now = Date.now();
  const out: Record<string, number> = {};
  const t0 = performance.now();
  for (const list of ['whitelist', 'health'] as const) {
    const [from, to] = list === 'whitelist' ? pop.whitelist : pop.health;
    const n = to - from;
    // Keys as the server computes them, then sorted: a snapshot arrives in key order.
    let t = performance.now();
    const keys = new BigInt64Array(n);
    for (let i = 0; i < n; i++) keys[i] = keyer({ kind: 'personal_id', value: personalId(from + i) });
    out[`${list}HmacMs`] = Math.round(performance.now() - t);
    t = performance.now();
    keys.sort();
    out[`${list}SortMs`] = Math.round(performance.now() - t);
    t = performance.now();
    const BATCH = 20_000;
    if (list === 'whitelist') {
      const r = store.replaceWhitelist();
      for (let b = 0; b < n; b += BATCH) {
        const batch: LaneWhitelistEntry[] = [];
        for (let i = b; i < Math.min(n, b + BATCH); i++) {
          const key = keys[i] ?? 0n;
          const a = whitelistAttrs(attrSeed(key));
          batch.push({
            key,
            entry: { category: a.category, validFrom: a.validFrom, validUntil: a.validUntil },
            validHere: a.validHere,
          });
        }
        r.add(batch);
        if (b % 1_000_000 === 0) process.stdout.write(`  ${list} ${b.toLocaleString('en')}\r`);
      }
      r.commit(1, now);
    } else {
      const r = store.replaceHealthList();
      for (let b = 0; b < n; b += BATCH) {
        const batch: LaneHealthEntry[] = [];
        for (let i = b; i < Math.min(n, b + BATCH); i++) {
          const key = keys[i] ?? 0n;
          batch.push({ key, entry: healthAttrs(attrSeed(key)) });
        }
        r.add(batch);
      }
      r.commit(1, now);
    }
    out[`${list}InsertMs`] = Math.round(performance.now() - t);
    console.log(
      `  ${list}: HMAC ${out[`${list}HmacMs`]} ms, sort ${out[`${list}SortMs`]} ms, replace${list === 'whitelist' ? 'Whitelist' : 'HealthList'}() add+commit ${out[`${list}InsertMs`]} ms`,
    );
  }
  out['totalMs'] = Math.round(performance.now() - t0);
  if (store.countEntries('whitelist') !== W || store.countEntries('health') !== H)
    throw new Error('bad counts');
  store.close();
  console.log(`  bulk load total ${(out['totalMs'] / 1000).toFixed(1)} s`);
  return out;
}

// ------------------------------------------------------------------ the scans
type Kind = 'whitelisted' | 'health' | 'both' | 'miss' | 'garbage';
interface Scan {
  bytes: Buffer;
  kind: Kind;
}

/** Subjects already used by some pass: every scan of a pass is a different subject. */
const used = new Set<number>();

/** A deterministic mix: 45% whitelisted only, 5% health only, 5% both, 43% not listed, 2% garbage. */
function scans(n: number, salt: number): Scan[] {
  const out: Scan[] = [];
  let x = 0x9e3779b9 ^ salt;
  const rnd = (m: number): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % m;
  };
  const [h0, h1] = pop.health;
  const pick = (from: number, to: number): number => {
    for (;;) {
      const i = from + rnd(to - from);
      if (!used.has(i)) {
        used.add(i);
        return i;
      }
    }
  };
  for (let s = 0; s < n; s++) {
    const r = rnd(100);
    let i: number;
    let kind: Kind;
    if (r < 45) [i, kind] = [pick(0, h0), 'whitelisted'];
    else if (r < 50) [i, kind] = [pick(W, h1), 'health'];
    else if (r < 55) [i, kind] = [pick(h0, W), 'both'];
    else if (r < 98) [i, kind] = [pick(pop.missFrom, pop.missFrom + 4_000_000), 'miss'];
    else {
      out.push({ bytes: Buffer.from(`garbage-${salt}-${s}-${rnd(1e9)}\r`), kind: 'garbage' });
      continue;
    }
    const id = personalId(i);
    const text = rnd(10) < 7 ? chipCardQr(id, i) : id;
    out.push({ bytes: Buffer.from(`${text}\r`, 'utf8'), kind });
  }
  return out;
}

/** Garbage collections seen (start, duration in ms), to tell GC pauses from disk waits. */
const gcs: [number, number][] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push([e.startTime, e.duration]);
}).observe({ entryTypes: ['gc'] });

const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));

function openLoop(store: LaneStore): DecisionLoop {
  const keyer = createSubjectKeyer(listKey);
  return new DecisionLoop({
    store,
    keyers: { keyerFor: () => keyer },
    checkpoint: () => checkpoint,
    logger,
  });
}

interface PassResult {
  all: Summary;
  /** CPU time of the process per scan (user + system): the work, without waits for the disk or a core. */
  cpu: Summary;
  byKind: Partial<Record<Kind, Summary>>;
  recorded: number;
  decisions: Record<string, number>;
  /** Start and end of each scan (performance.now()), for the attribution of slow scans. */
  spans: [number, number][];
  cpuMs: number[];
}

/**
 * Why scans over `slowMs` were slow: a GC ran during them, or they used little CPU (waited for
 * the disk or for a core), or they were CPU work.
 */
async function attribute(r: PassResult, slowMs = 2): Promise<Record<string, number>> {
  await yieldToLoop(); // let the observer deliver its entries
  await yieldToLoop();
  const out = { slow: 0, duringGc: 0, waiting: 0, cpu: 0, gcCount: 0, gcMs: 0 };
  const [first] = r.spans;
  const last = r.spans.at(-1);
  if (!first || !last) return out;
  const inPass = gcs.filter(([st]) => st >= first[0] && st <= last[1]);
  out.gcCount = inPass.length;
  out.gcMs = Math.round(inPass.reduce((a, [, d]) => a + d, 0));
  r.spans.forEach(([t0, t1], i) => {
    if (t1 - t0 <= slowMs) return;
    out.slow += 1;
    if (inPass.some(([st, d]) => st < t1 && st + d > t0)) out.duringGc += 1;
    else if ((r.cpuMs[i] ?? 0) < (t1 - t0) / 2) out.waiting += 1;
    else out.cpu += 1;
  });
  return out;
}

/** Feeds each scan's bytes to a CR framer and decides what comes out; times each scan. */
function pass(
  loop: DecisionLoop,
  list: readonly Scan[],
  check?: (d: LaneDecision, s: Scan) => void,
): PassResult {
  const framer = new SuffixFramer({ suffix: 'CR' });
  const times: number[] = [];
  const cpu: number[] = [];
  const spans: [number, number][] = [];
  const byKind = new Map<Kind, number[]>();
  const decisions: Record<string, number> = {};
  let recorded = 0;
  for (const s of list) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const { frames } = framer.push(s.bytes);
    let d: LaneDecision | undefined;
    for (const text of frames) d = loop.handle({ text, source: 'serial', device: 'bench' });
    const ms = performance.now() - t0;
    const c1 = process.cpuUsage(c0);
    if (!d) throw new Error('no decision');
    times.push(ms);
    spans.push([t0, t0 + ms]);
    cpu.push((c1.user + c1.system) / 1000);
    let k = byKind.get(s.kind);
    if (!k) byKind.set(s.kind, (k = []));
    k.push(ms);
    if (d.scanId !== null) recorded += 1;
    const label = `${s.kind}:${d.decision}`;
    decisions[label] = (decisions[label] ?? 0) + 1;
    check?.(d, s);
  }
  return {
    all: summarize(times),
    cpu: summarize(cpu),
    byKind: Object.fromEntries([...byKind].map(([k, v]) => [k, summarize(v)])),
    recorded,
    decisions,
    spans,
    cpuMs: cpu,
  };
}

function print(title: string, r: PassResult): void {
  console.log(`\n${title}`);
  console.log(row('  all scans', r.all));
  console.log(row('  all scans, process CPU time per scan', r.cpu));
  for (const [k, s] of Object.entries(r.byKind)) console.log(row(`  ${k}`, s));
  console.log(`  recorded ${r.recorded}; decisions ${JSON.stringify(r.decisions)}`);
}

const store = LaneStore.open(file); // reopened: SQLite's page cache is cold, the OS cache is not
// The store was built "now" at the latest; refresh sync times so that lists are fresh.
store.markSynced('health', Date.now());
store.markSynced('whitelist', Date.now());
const loop = openLoop(store);

// Warm-up (JIT, statement caches), not counted: 500 scans of other subjects.
pass(loop, scans(500, 999));

// A. The real path: every scan is a new subject, so every decision is durably recorded
//    (one WAL commit with synchronous=FULL: an fsync per scan).
const listA = scans(SCANS, 1);
const a = pass(loop, listA, (d, s) => {
  if (s.kind !== 'garbage' && d.scanId === null) throw new Error('a new subject was not recorded');
});
print(`A. recorded (real path; each scan = 1 fsync'd SQLite commit), ${SCANS} scans`, a);
const slowA = await attribute(a);
console.log(`  scans over 2 ms: ${JSON.stringify(slowA)}`);

// B. The real path for repeats: the same code again within repeatWindowSec is decided but not
//    recorded. Each scan of A' is followed at once by its repeat; only the repeat is timed here.
const listB = scans(SCANS, 2);
const repeatTimes: number[] = [];
{
  const framer = new SuffixFramer({ suffix: 'CR' });
  for (const s of listB) {
    for (const text of framer.push(s.bytes).frames) loop.handle({ text, source: 'serial', device: 'bench' });
    const t0 = performance.now();
    let d: LaneDecision | undefined;
    for (const text of framer.push(s.bytes).frames)
      d = loop.handle({ text, source: 'serial', device: 'bench' });
    repeatTimes.push(performance.now() - t0);
    if (d?.scanId !== null) throw new Error('a repeat was recorded');
  }
}
const b = summarize(repeatTimes);
console.log('\nB. repeats (real path, not recorded; lookups hit pages just read)');
console.log(row('  all scans', b));

// C. Without the record: the same path with LaneStore.appendRecord replaced by an in-memory
//    stand-in (instrumentation only), over new subjects, so lookups are as cold as in A.
let fakeSeq = store.lastSeq();
const realAppend = store.appendRecord.bind(store);
store.appendRecord = (record, at) => ({ ...record, seq: ++fakeSeq, id: `fake-${fakeSeq}`, at });
const c = pass(openLoop(store), scans(SCANS, 3));
store.appendRecord = realAppend;
print('C. without recording (appendRecord replaced in memory; cold lookups), new subjects', c);
const slowC = await attribute(c, 0.5);
console.log(`  scans over 0.5 ms: ${JSON.stringify(slowC)}`);

// D. The durable record alone, for comparison: LaneStore.appendRecord of a typical scan record.
const appendTimes: number[] = [];
for (let i = 0; i < 2000; i++) {
  const t0 = performance.now();
  store.appendRecord(
    { ...SAMPLE_SCAN_RECORD, reasons: [...SAMPLE_SCAN_RECORD.reasons], warnings: [] },
    Date.now(),
  );
  appendTimes.push(performance.now() - t0);
}
const dSum = summarize(appendTimes);
console.log("\nD. LaneStore.appendRecord alone (one fsync'd commit)");
console.log(row('  appendRecord', dSum));

// E. Lookups alone (HMAC + both SQLite point lookups), for the breakdown.
{
  const keyer = createSubjectKeyer(listKey);
  const times: number[] = [];
  for (let s = 0; s < SCANS; s++) {
    const i = (s * 7919 + 17) % (pop.missFrom + 1_000_000);
    const t0 = performance.now();
    const key = keyer({ kind: 'personal_id', value: personalId(i) });
    store.lookupHealth(key);
    store.lookupWhitelist(key);
    times.push(performance.now() - t0);
  }
  const e = summarize(times);
  console.log('\nE. HMAC + health and whitelist lookups alone');
  console.log(row('  lookups', e));
  store.close();
  if (dir !== null && KEEP) console.log(`kept the store: STORE=${file}`);

  const result = {
    bench: 'lane-scan-decision',
    date: new Date().toISOString(),
    machine: machine(),
    whitelist: W,
    health: H,
    scans: SCANS,
    bulkLoadMs: build,
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg(),
    recorded: { ...a.all, cpu: a.cpu, slow: slowA, byKind: a.byKind, decisions: a.decisions },
    repeatsNotRecorded: b,
    withoutRecording: { ...c.all, cpu: c.cpu, slow: slowC },
    appendRecordAlone: dSum,
    lookupsAlone: e,
    targetP99Ms: 2,
  };
  console.log(JSON.stringify(result));
}
