// Lane pass check: what a lane pays per scanned pass, offline — parsePass + checkPass (Ed25519
// verify with cached public keys), and the whole pure path parsePayload + checkPass + decide —
// over N passes signed by 3 pass keys (one rotated out), with a revocation set of R pass ids.
// Issue 16 asks p99 ≤ 2 ms per scan → decision. Not a test.
// Run: npx tsc -b shared && npx tsx bench/lane-pass-check.ts   (N=100000 R=10000 by default)
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { loadavg } from 'node:os';
import {
  CHECKPOINT_DEFAULTS,
  decide,
  formatPass,
  parsePass,
  parsePayload,
  passSigningBytes,
  type CheckpointConfig,
  type PassBody,
} from '@checkpoint-lane/shared';
import { checkPass, type PassKey } from '@checkpoint-lane/shared/pass-verify';
import { machine, stats } from './server-bench-support.js';

const N = Number(process.env.N ?? 100_000);
const R = Number(process.env.R ?? 10_000);
const DAY = 86_400_000;
const now = Date.UTC(2026, 11, 1, 8, 0, 0);
const rotatedAt = now - 10 * DAY;

const pairs = [1, 2, 3].map((keyId) => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { keyId, privateKey, x: publicKey.export({ format: 'jwk' }).x ?? '' };
});
// Key 1 rotated out 10 days ago; keys 2 and 3 current (e.g. two issuing servers).
const keys: PassKey[] = pairs.map((p) => ({
  keyId: p.keyId,
  publicKey: p.x,
  validFrom: p.keyId === 1 ? now - 400 * DAY : rotatedAt,
  validUntil: p.keyId === 1 ? rotatedAt : null,
}));
const revoked = new Set(Array.from({ length: R }, () => randomBytes(8).toString('hex')));

console.log(
  `lane pass check — ${machine()}, load average ${loadavg()[0]?.toFixed(1)}; N=${N} passes, 3 keys, ${R} revoked ids`,
);
const t0 = process.hrtime.bigint();
const texts: string[] = [];
for (let i = 0; i < N; i++) {
  const pair = pairs[i % 3]!;
  const validFrom = Math.floor((pair.keyId === 1 ? rotatedAt - DAY : now - DAY) / 1000) * 1000;
  const body: PassBody = {
    keyId: pair.keyId,
    passId: randomBytes(8).toString('hex'),
    personalId: String(1_090_000_000 + i).padStart(12, '0'),
    validFrom,
    validUntil: validFrom + 30 * DAY,
    from: { province: 1 + (i % 96), district: 1 + (i % 999), ward: 1 + (i % 99_999) },
    to: { province: 79, district: 760, ward: 26734 },
    plate: i % 2 === 0 ? '51F12345' : null,
  };
  texts.push(formatPass(body, sign(null, passSigningBytes(body), pair.privateKey)));
}
console.log(
  `signed ${N} passes in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms (server side, for scale)`,
);

const checkpoint: CheckpointConfig = { id: 'CP-1', name: 'Chốt 1', mode: 'closed', ...CHECKPOINT_DEFAULTS };
const listsSyncedAt = { health: now - 60_000, whitelist: now - 60_000 };

function run(label: string, one: (text: string) => string): void {
  for (let i = 0; i < Math.min(5000, N); i++) one(texts[i]!); // warm-up
  const times = new Float64Array(N);
  const counts = new Map<string, number>();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const s = process.hrtime.bigint();
    const out = one(texts[i]!);
    times[i] = Number(process.hrtime.bigint() - s) / 1e6;
    counts.set(out, (counts.get(out) ?? 0) + 1);
  }
  const cpu = process.cpuUsage(cpu0);
  // CPU time per pass (user + system): what the check costs without other processes' preemption.
  const cpuUs = (cpu.user + cpu.system) / N;
  const st = stats(Array.from(times));
  console.log(
    `${label}: p50 ${(st.p50 * 1000).toFixed(0)} µs, p90 ${(st.p90 * 1000).toFixed(0)} µs, ` +
      `p99 ${(st.p99 * 1000).toFixed(0)} µs, max ${st.max.toFixed(2)} ms; CPU ${cpuUs.toFixed(0)} µs/pass; ` +
      JSON.stringify(Object.fromEntries(counts)),
  );
  console.log(
    JSON.stringify({
      bench: 'lane-pass-check',
      case: label,
      n: N,
      p50Ms: st.p50,
      p90Ms: st.p90,
      p99Ms: st.p99,
      maxMs: st.max,
      cpuUsPerPass: cpuUs,
      loadAverage: loadavg()[0],
    }),
  );
}

run('parsePass + checkPass', (text) => {
  const p = parsePass(text);
  return p.ok ? checkPass(p.value, keys, revoked, now) : p.error.code;
});
run('parsePayload + checkPass + decide', (text) => {
  const payload = parsePayload(text, { now });
  const pass = payload.ok && payload.value.pass ? checkPass(payload.value.pass, keys, revoked, now) : null;
  return decide({
    payload,
    health: null,
    whitelist: null,
    checkpoint,
    listsSyncedAt,
    lastSameScanAt: null,
    now,
    pass,
  }).decision;
});
