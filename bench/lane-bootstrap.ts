// Snapshot bootstrap of a real lane (the `checkpoint-lane` CLI as a child process) from a real
// `checkpoint-server` holding 10M whitelist and 1M health entries: time to both lists applied,
// peak RSS of the lane process (VmHWM), then its RSS at rest. Not a test.
// Run (after `npm run build`): npx tsx bench/lane-bootstrap.ts
//   env: WHITELIST (10000000), HEALTH (1000000), REST_S (60: idle time after bootstrap),
//        RUNS (2: the first lane finds the server's snapshot cache cold, later ones warm)
//
// The server's lists are written straight into its SQLite file (CSV import of 10M rows is not
// what is measured here): rows as `ListWriter` stores them (subject_key = the
// server's HMAC with its own list key, canonical subject, attributes, version 1), inserted in key
// order, and `list_state` moved to version 1 with `changes_from` = 1 as a big write does.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { createSubjectKeyer } from '@checkpoint-lane/kiosk';
import {
  attrSeed,
  BenchServer,
  freePort,
  healthAttrs,
  stdinLaneArgs,
  machine,
  personalId,
  population,
  procMemMiB,
  sleep,
  whitelistAttrs,
} from './lane-support.js';

const W = Number(process.env['WHITELIST'] ?? 10_000_000);
const H = Number(process.env['HEALTH'] ?? 1_000_000);
const REST_S = Number(process.env['REST_S'] ?? 60);
const RUNS = Number(process.env['RUNS'] ?? 2);
const ADMIN = 'bench-admin-token-lane-bootstrap-0123456789';
const CHECKPOINT = 'BENCH-1';

const dir = mkdtempSync(join(tmpdir(), 'cl-lane-bench-boot-'));
const server = new BenchServer(join(dir, 'server'), await freePort(), ADMIN);
console.log(`machine: ${machine()}`);
console.log(
  `server: ${W.toLocaleString('en')} whitelist + ${H.toLocaleString('en')} health entries, data in ${dir}`,
);

try {
  // 1. A fresh server database (migrations, list key), with the checkpoint.
  await server.start();
  await server.addCheckpoint(CHECKPOINT, 'open');
  await server.stop();

  // 2. The lists, written into server.db directly.
  const seedMs = seedServer(join(server.dataDir, 'server.db'));

  // 3. Lanes enroll and bootstrap from the running server.
  await server.start();
  const runs = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(await bootstrapLane(r, r === RUNS - 1 ? REST_S : 0));
  }
  await server.stop();

  const result = {
    bench: 'lane-bootstrap',
    date: new Date().toISOString(),
    machine: machine(),
    whitelist: W,
    health: H,
    serverSeedMs: seedMs,
    runs,
    targets: { bootstrapS: 60, peakRssMiB: 300, restRssMiB: 150 },
  };
  console.log(JSON.stringify(result));
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

function seedServer(file: string): Record<string, number> {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // bench data preparation only
  db.pragma('cache_size = -262144');
  const listKey = db.prepare("SELECT value FROM settings WHERE key = 'list_key'").pluck().get() as Buffer;
  const keyer = createSubjectKeyer(listKey);
  const pop = population(W, H);
  const now = Date.now();
  const out: Record<string, number> = {};
  for (const list of ['whitelist', 'health'] as const) {
    const [from, to] = list === 'whitelist' ? pop.whitelist : pop.health;
    const n = to - from;
    let t = performance.now();
    const keys = new BigInt64Array(n);
    // Sort order without a comparator: the key's top 40 bits with the index in the low 24.
    const packed = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const k = keyer({ kind: 'personal_id', value: personalId(from + i) });
      keys[i] = k;
      packed[i] = (k & ~0xffffffn) | BigInt(i);
    }
    out[`${list}HmacMs`] = Math.round(performance.now() - t);
    t = performance.now();
    packed.sort();
    const insert =
      list === 'whitelist'
        ? db.prepare(
            `INSERT OR REPLACE INTO whitelist_entries
               (subject_key, subject, category, valid_from, valid_until, checkpoints, name, note, version, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, 1, ?)`,
          )
        : db.prepare(
            `INSERT OR REPLACE INTO health_entries (subject_key, subject, status, since, until, name, note, version, updated_at)
             VALUES (?, ?, ?, ?, ?, NULL, NULL, 1, ?)`,
          );
    const batch = db.transaction((start: number, end: number) => {
      for (let p = start; p < end; p++) {
        const i = Number((packed[p] ?? 0n) & 0xffffffn);
        const key = keys[i] ?? 0n;
        const subject = `personal_id:${personalId(from + i)}`;
        if (list === 'whitelist') {
          const a = whitelistAttrs(attrSeed(key));
          insert.run(
            key,
            subject,
            a.category,
            a.validFrom,
            a.validUntil,
            a.validHere ? null : ';OTHER-9;',
            now,
          );
        } else {
          const a = healthAttrs(attrSeed(key));
          insert.run(key, subject, a.status, a.since, a.until, now);
        }
      }
    });
    for (let s = 0; s < n; s += 100_000) batch(s, Math.min(n, s + 100_000));
    // As a big write does: one new version, the change log truncated.
    db.transaction(() => {
      db.prepare('DELETE FROM list_changes WHERE list = ?').run(list);
      db.prepare(
        'UPDATE list_state SET version = version + 1, changes_from = version + 1 WHERE list = ?',
      ).run(list);
    })();
    out[`${list}InsertMs`] = Math.round(performance.now() - t);
    console.log(
      `  server ${list}: HMAC ${out[`${list}HmacMs`]} ms, sort + insert ${out[`${list}InsertMs`]} ms`,
    );
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return out;
}

interface Applied {
  list: string;
  entries: number;
  ms: number;
  atMs: number;
}

async function bootstrapLane(run: number, restS: number): Promise<Record<string, unknown>> {
  const laneDir = join(dir, `lane-${run}`);
  const code = await server.enrollmentCode(CHECKPOINT);
  const t0 = performance.now();
  const child = spawn(process.execPath, stdinLaneArgs(server.url, code, `bench-${run}`, laneDir), {
    stdio: ['pipe', 'ignore', 'pipe'],
    env: { ...process.env, CHECKPOINT_LOG_LEVEL: 'info' },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('no lane process');
  const applied: Applied[] = [];
  const errors: string[] = [];
  let allApplied: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allApplied = resolve));
  createInterface({ input: child.stderr }).on('line', (line) => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      errors.push(line);
      return;
    }
    if (o['msg'] === 'snapshot applied') {
      applied.push({
        list: String(o['list']),
        entries: Number(o['entries']),
        ms: Number(o['ms']),
        atMs: Math.round(performance.now() - t0),
      });
      if (applied.length === 2) allApplied();
    } else if (typeof o['level'] === 'number' && o['level'] >= 40) errors.push(line);
  });
  const exited = once(child, 'exit');
  // Sample the lane's memory while it bootstraps.
  const sampling = { on: true };
  const rssTrace: number[] = [];
  const sampler = (async () => {
    while (sampling.on) {
      try {
        rssTrace.push(Math.round(procMemMiB(pid).rss));
      } catch {
        return;
      }
      await sleep(250);
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, 600_000);
  });
  const outcome = await Promise.race([
    done.then(() => 'ok' as const),
    exited.then(() => 'exit' as const),
    timeout,
  ]);
  clearTimeout(timer);
  if (outcome !== 'ok')
    throw new Error(`lane ${outcome} before both snapshots were applied:\n${errors.join('\n')}`);
  const bootstrapMs = Math.round(performance.now() - t0);
  const afterBootstrap = procMemMiB(pid);
  console.log(
    `\nlane ${run} (${run === 0 ? 'server snapshot cache cold' : 'server snapshot cache warm'}): both lists applied ${(bootstrapMs / 1000).toFixed(1)} s after spawn`,
  );
  for (const a of applied)
    console.log(
      `  ${a.list}: ${a.entries.toLocaleString('en')} entries, snapshot ${a.ms} ms, applied at +${a.atMs} ms`,
    );
  console.log(
    `  peak RSS during bootstrap (VmHWM) ${afterBootstrap.hwm.toFixed(0)} MiB; RSS just after ${afterBootstrap.rss.toFixed(0)} MiB`,
  );

  // At rest: no scans, sync idle (SSE connected, heartbeats); sample RSS every second.
  const rest: number[] = [];
  for (let s = 0; s < restS; s++) {
    await sleep(1000);
    rest.push(Math.round(procMemMiB(pid).rss));
  }
  const final = procMemMiB(pid);
  if (restS > 0) {
    console.log(
      `  at rest after ${restS} s idle: RSS ${final.rss.toFixed(0)} MiB (min ${Math.min(...rest)} / max ${Math.max(...rest)} over the idle period); VmHWM ${final.hwm.toFixed(0)} MiB`,
    );
  }
  sampling.on = false;
  await sampler;
  child.stdin.end();
  child.kill('SIGTERM');
  await exited;

  // What the lane holds.
  const lane = new Database(join(laneDir, 'lane.db'), { readonly: true, fileMustExist: true });
  const counts = {
    whitelist: lane.prepare('SELECT count(*) FROM whitelist_entries').pluck().get() as number,
    health: lane.prepare('SELECT count(*) FROM health_entries').pluck().get() as number,
  };
  lane.close();
  if (counts.whitelist !== W || counts.health !== H) throw new Error(`lane holds ${JSON.stringify(counts)}`);
  console.log(
    `  lane store holds ${counts.whitelist.toLocaleString('en')} + ${counts.health.toLocaleString('en')} entries`,
  );
  if (errors.length > 0)
    console.log(`  warnings/errors from the lane:\n    ${errors.slice(0, 5).join('\n    ')}`);
  rmSync(laneDir, { recursive: true, force: true });
  return {
    run,
    serverCache: run === 0 ? 'cold' : 'warm',
    bootstrapMs,
    lists: applied,
    peakRssMiB: Math.round(afterBootstrap.hwm),
    rssAfterBootstrapMiB: Math.round(afterBootstrap.rss),
    rssTraceMaxMiB: Math.max(...rssTrace),
    ...(restS > 0 && {
      rest: {
        seconds: restS,
        rssMiB: Math.round(final.rss),
        minMiB: Math.min(...rest),
        maxMiB: Math.max(...rest),
      },
    }),
    laneCounts: counts,
  };
}
