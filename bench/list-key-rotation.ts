// A list key rotation of one key scope (issue 13) on a real server database: HEALTH health entries
// and a WHITELIST-row whitelist (95 % valid at the bench checkpoint), filled directly in one
// transaction per list in key order (the import path has its own bench; the stored index keys are
// ascending stand-ins, as a snapshot build reads only the raw subjects).
// 1. The app in this process (`buildServer`, its real SnapshotService, requests through
//    `inject`): LANES lanes enrolled in scope HCM, the snapshots built with the scope's first key,
//    the scope rotated (POST /admin/lists/keys/rotate), the snapshots built again with the new key.
//    Per build: wall and CPU time, the longest stretch without an event-loop turn (the build's own
//    time slices, wall and CPU, and this process's event-loop delay), peak RSS. The new health
//    snapshot is decoded and spot-checked against the key GET /list-key gives the lane.
// 2. A checkpoint-server process on the same data: LANES lanes download both lists at once, from
//    the snapshot cache (bytes per lane, serve time, server CPU).
// Build first (`npx tsc -b`); run: npx tsx bench/list-key-rotation.ts
// Env: HEALTH (10M), WHITELIST (1M), LANES (100).
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  LIST_KEY_ID_HEADER,
  SnapshotDecoder,
  subjectKeyFromDigest,
  type ListKeyAnswer,
} from '@checkpoint-lane/shared';
import { buildServer, hashToken, openDatabase } from '@checkpoint-lane/sync-server';
import { healthAttrs, personalId, whitelistAttrs } from './lane-support.js';
import { machine, startServer, stats } from './server-bench-support.js';

function env(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

const HEALTH = env('HEALTH', 10_000_000);
const WHITELIST = env('WHITELIST', 1_000_000);
const LANES = env('LANES', 100);
const ADMIN = 'bench-admin-token-0123456789abcdef';
const CHECKPOINT = 'HCM-01';
const SCOPE = 'HCM';

const s = (x: number, digits = 2): string => x.toFixed(digits);
const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
const load = (): string => loadavg()[0]?.toFixed(2) ?? '?';

/** `n` ascending, distinct signed 64-bit keys spread over the whole range (stand-in index keys). */
function* ascendingKeys(n: number): Generator<bigint> {
  const step = (1n << 64n) / BigInt(n);
  let x = 0x243f6a88n;
  for (let i = 0; i < n; i++) {
    x = (x * 1_103_515_245n + 12_345n) & 0x7fffffffn;
    yield -(1n << 63n) + BigInt(i) * step + (x % step);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'cl-bench-rotation-'));
process.on('exit', () => {
  rmSync(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------ the database
{
  const t0 = performance.now();
  const db = openDatabase(join(dir, 'server.db'));
  const h = db.prepare(
    'INSERT INTO health_entries (subject_key, subject, status, since, until, version, updated_at) VALUES (?, ?, ?, ?, ?, 1, 0)',
  );
  db.transaction(() => {
    let i = 0;
    for (const key of ascendingKeys(HEALTH)) {
      const a = healthAttrs(i);
      h.run(key, `personal_id:${personalId(i)}`, a.status, a.since, a.until);
      i++;
    }
  })();
  const w = db.prepare(
    `INSERT INTO whitelist_entries (subject_key, subject, category, valid_from, valid_until, checkpoints, version, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, 1, 0)`,
  );
  db.transaction(() => {
    let i = 0;
    for (const key of ascendingKeys(WHITELIST)) {
      const a = whitelistAttrs(i);
      const checkpoints = !a.validHere ? ';HN-01;' : i % 4 === 0 ? `;${CHECKPOINT};HCM-02;` : null;
      // Whitelisted people are a separate population from the health list (offset past it).
      w.run(key, `personal_id:${personalId(HEALTH + i)}`, a.category, a.validFrom, a.validUntil, checkpoints);
      i++;
    }
    db.prepare('UPDATE list_state SET version = 1, changes_from = 1').run();
  })();
  db.close();
  console.log(
    `database: ${HEALTH} health + ${WHITELIST} whitelist entries written in ${s((performance.now() - t0) / 1000, 1)} s`,
  );
}

// ------------------------------------------------------------------------------ 1. builds, in process

/** CPU seconds (user + system) a process has used, from /proc (Linux, 100 ticks/s). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function procStatus(pid: number, field: string): Promise<number> {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(await readFile(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const tokens: string[] = [];
let rotatedKey = 0;
let bytesPerLane = 0;
console.log(`machine: ${machine()}; load ${load()}`);
{
  const db = openDatabase(join(dir, 'server.db'));
  const app = await buildServer({
    db,
    adminTokenHash: hashToken(ADMIN),
    listKey: randomBytes(32),
    snapshotDir: join(dir, 'snapshots'),
    logger: false,
    enrollRateLimit: 1_000_000,
  });
  const admin = { authorization: `Bearer ${ADMIN}` };
  const call = async <T>(
    method: 'GET' | 'POST',
    url: string,
    auth: Record<string, string>,
    payload?: object,
  ) => {
    const res = await app.inject({ method, url, headers: auth, ...(payload && { payload }) });
    if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return res.json<T>();
  };
  try {
    for (const id of [CHECKPOINT, 'HCM-02'])
      await call('POST', '/api/v1/admin/checkpoints', admin, {
        id,
        name: id,
        mode: 'closed',
        keyScope: SCOPE,
      });
    await call('POST', '/api/v1/admin/checkpoints', admin, { id: 'HN-01', name: 'HN-01', mode: 'closed' });
    for (let i = 0; i < LANES; i++) {
      const { code } = await call<{ code: string }>('POST', '/api/v1/admin/enrollments', admin, {
        checkpointId: CHECKPOINT,
      });
      const { token } = await call<{ token: string }>(
        'POST',
        '/api/v1/kiosk/enroll',
        {},
        {
          code,
          name: `bench lane ${i}`,
        },
      );
      tokens.push(token);
    }
    const lane = { authorization: `Bearer ${tokens[0] ?? ''}` };

    /** A lane's first snapshot of a list with a new key: the app builds it; measured around it. */
    const build = async (list: 'health' | 'whitelist') => {
      writeFileSync('/proc/self/clear_refs', '5');
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const res = await app.inject({
        method: 'GET',
        url: `/api/v1/kiosk/lists/${list}/snapshot`,
        headers: lane,
      });
      const wallS = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(cpu0);
      delay.disable();
      if (res.statusCode !== 200) throw new Error(`${list} snapshot: ${res.statusCode} ${res.body}`);
      const b = app.services.snapshots.lastBuild;
      if (b?.list !== list) throw new Error(`${list}: no build`);
      const keyId = Number(res.headers[LIST_KEY_ID_HEADER]);
      console.log(
        `  ${list} (key ${keyId}): ${b.entries} entries → ${res.rawPayload.length} B (${s(res.rawPayload.length / b.entries)} B/entry); ` +
          `build ${s(b.ms / 1000)} s (request ${s(wallS)} s, CPU ${s((c.user + c.system) / 1e6)} s); ` +
          `longest stretch without an event-loop turn ${s(b.longestSliceMs, 1)} ms wall / ${s(b.longestSliceCpuMs, 1)} ms CPU, ` +
          `event-loop delay max ${s(delay.max / 1e6, 1)} ms (p99 ${s(delay.percentile(99) / 1e6, 1)}); ` +
          `peak RSS ${(await procStatus(process.pid, 'VmHWM')).toFixed(0)} MiB; load ${load()}`,
      );
      return { keyId, body: res.rawPayload };
    };

    console.log(`before the rotation (the scope's first key):`);
    await build('health');
    await build('whitelist');
    const rotated = await call<{ keyId: number; checkpoints: string[] }>(
      'POST',
      '/api/v1/admin/lists/keys/rotate',
      admin,
      { checkpointId: CHECKPOINT },
    );
    rotatedKey = rotated.keyId;
    console.log(
      `rotated scope ${SCOPE} (checkpoints ${rotated.checkpoints.join(', ')}) to key ${rotatedKey}:`,
    );
    const health = await build('health');
    const whitelist = await build('whitelist');
    if (health.keyId !== rotatedKey || whitelist.keyId !== rotatedKey)
      throw new Error('a snapshot after the rotation is not keyed with the new key');
    bytesPerLane = health.body.length + whitelist.body.length;
    const stale = await app.inject({
      method: 'GET',
      url: `/api/v1/kiosk/lists/health/changes?since=1&keyId=${rotatedKey - 1}`,
      headers: lane,
    });
    const cached = readdirSync(join(dir, 'snapshots')).filter((f) => f.endsWith('.snap'));
    console.log(
      `  /changes with the old key id: ${stale.statusCode} ${stale.json<{ error: string }>().error}; cache: ${cached.sort().join(', ')}`,
    );

    // The lane's check: every entry decodes (CRC, count, ascending keys), sampled subjects are
    // found under the key GET /list-key gives the lane.
    const { listKey, keyId } = await call<ListKeyAnswer>('GET', '/api/v1/kiosk/list-key', lane);
    if (keyId !== rotatedKey) throw new Error('GET /list-key names another key');
    const key = Buffer.from(listKey, 'base64');
    const keys = new BigInt64Array(HEALTH);
    let n = 0;
    const dec = new SnapshotDecoder();
    for (let i = 0; i < health.body.length; i += 1 << 20)
      for (const e of dec.push(health.body.subarray(i, i + (1 << 20)))) keys[n++] = e.key;
    dec.end();
    if (n !== HEALTH) throw new Error(`decoded ${n} of ${HEALTH}`);
    const step = Math.max(1, Math.floor(HEALTH / 1000));
    for (let i = 0; i < HEALTH; i += step) {
      const k = subjectKeyFromDigest(
        createHmac('sha256', key)
          .update(`personal_id:${personalId(i)}`, 'utf8')
          .digest(),
      );
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((keys[mid] ?? 0n) < k) lo = mid + 1;
        else hi = mid;
      }
      if (keys[lo] !== k) throw new Error(`entry ${i} is not keyed with the lane's list key`);
    }
    console.log(`  checked: ${n} entries decode; 1000 sampled subjects found under list key ${keyId}`);
  } finally {
    await app.close();
    db.close();
  }
}

// ------------------------------------------------------------------------------ 2. serving, a server process

const server = await startServer(dir, ADMIN);
const pid = server.child.pid ?? 0;

async function download(
  token: string,
  list: 'health' | 'whitelist',
): Promise<{ keyId: number; bytes: number; firstByteMs: number; totalMs: number }> {
  const t0 = performance.now();
  const res = await fetch(`${server.url}/api/v1/kiosk/lists/${list}/snapshot`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const firstByteMs = performance.now() - t0;
  if (res.status !== 200 || !res.body) throw new Error(`${list} snapshot: ${res.status} ${await res.text()}`);
  let bytes = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
  }
  return {
    keyId: Number(res.headers.get(LIST_KEY_ID_HEADER)),
    bytes,
    firstByteMs,
    totalMs: performance.now() - t0,
  };
}

try {
  const cpu0 = await cpuSeconds(pid);
  const t0 = performance.now();
  const perLane = await Promise.all(
    tokens.map(async (token) => {
      const a = await download(token, 'health');
      const b = await download(token, 'whitelist');
      if (a.keyId !== rotatedKey || b.keyId !== rotatedKey) throw new Error('served another key');
      if (a.bytes + b.bytes !== bytesPerLane) throw new Error('served other bytes than were built');
      return {
        bytes: a.bytes + b.bytes,
        ms: a.totalMs + b.totalMs,
        firstByteMs: Math.max(a.firstByteMs, b.firstByteMs),
      };
    }),
  );
  const wallS = (performance.now() - t0) / 1000;
  const cpu = (await cpuSeconds(pid)) - cpu0;
  const total = perLane.reduce((sum, l) => sum + l.bytes, 0);
  const st = stats(perLane.map((l) => l.ms));
  const first = stats(perLane.map((l) => l.firstByteMs));
  console.log(
    `${LANES} lanes download health + whitelist at once from the cache (checkpoint-server process): ` +
      `${mb(total)} MB in ${s(wallS)} s (${mb(total / LANES)} MB a lane, ${s(total / wallS / 1e9)} GB/s); ` +
      `per lane p50 ${s(st.p50 / 1000)} s, p90 ${s(st.p90 / 1000)} s, slowest ${s(st.max / 1000)} s; ` +
      `first byte slowest ${s(first.max, 0)} ms; server CPU ${s(cpu)} s; peak RSS ${(await procStatus(pid, 'VmHWM')).toFixed(0)} MiB; load ${load()}`,
  );
} finally {
  await server.stop();
}
