// A 1M-row health list (or whitelist: LIST=whitelist) import on PostgreSQL (issue 14): the whole `importListCsv` path with the
// PostgreSQL list writer (CSV parsed and validated, rows staged in a TEMP table on the import's
// client, duplicates checked, one write transaction), into an empty list and then replacing the
// full list; and the staging step alone, two ways, in turns: multi-row `INSERT … SELECT FROM
// unnest($1::bigint[], …)` (what `PgListStaging.add` does) vs `COPY … FROM STDIN` (pg-copy-streams),
// each batch of 5,000 rows as the import hands them over.
// Not a test. Needs a PostgreSQL where it may create and drop a database (default: user postgres
// on 127.0.0.1:5432; CHECKPOINT_TEST_PG_URL names another). COPY runs when `pg-copy-streams`
// resolves (or PG_COPY_STREAMS names its entry file); otherwise only the unnest figures print.
// LIST=whitelist imports whitelist rows instead (personal IDs, ~15 % plates, 1 % passports; every
// category; ~29 % limited to 1–3 of 300 checkpoints; validity windows, some open-ended or with
// times) and builds the PostgreSQL snapshot of checkpoint HCM-01 after the imports (bytes/entry).
// The COPY staging turns are health-only. PHASES (default staging,import,sqlite,snapshot) picks
// the parts: staging alone, the PostgreSQL imports, the SQLite imports, the snapshot build.
// Run (after `npx tsc -b`): npx tsx bench/pg-list-import.ts   (env: ROWS 1000000, RUNS 3, LIST health)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { machine } from './server-bench-support.js';

type OpenPg = typeof import('../sync-server/dist/db/pg/open-pg.js');
type Migrate = typeof import('../sync-server/dist/db/pg/pg-migrate.js');
type Migrations = typeof import('../sync-server/dist/db/pg/pg-migrations.js');
type Writer = typeof import('../sync-server/dist/db/pg/stores/pg-list-writer.js');
type Lists = typeof import('../sync-server/dist/db/pg/stores/pg-lists.js');
type Staging = typeof import('../sync-server/dist/db/pg/stores/pg-list-staging.js');
type Import = typeof import('../sync-server/dist/lists/list-import.js');
type Rows = typeof import('../sync-server/dist/lists/list-rows.js');
type StoreTypes = import('../sync-server/dist/db/store/store.js').ListWriterStore;
type ListRow = import('../sync-server/dist/lists/list-rows.js').ListRow;
type HealthRow = import('../sync-server/dist/lists/list-rows.js').HealthRow;
type Snapshots = typeof import('../sync-server/dist/db/pg/stores/pg-snapshots.js');
const dist = (p: string): string => new URL(`../sync-server/dist/${p}`, import.meta.url).href;
const { openPg } = (await import(dist('db/pg/open-pg.js'))) as OpenPg;
const { runPgMigrations } = (await import(dist('db/pg/pg-migrate.js'))) as Migrate;
const { PG_MIGRATIONS } = (await import(dist('db/pg/pg-migrations.js'))) as Migrations;
const { PgListWriterStore } = (await import(dist('db/pg/stores/pg-list-writer.js'))) as Writer;
const { PgListsStore } = (await import(dist('db/pg/stores/pg-lists.js'))) as Lists;
const { PgListStaging } = (await import(dist('db/pg/stores/pg-list-staging.js'))) as Staging;
const { PgSnapshotStore } = (await import(dist('db/pg/stores/pg-snapshots.js'))) as Snapshots;
const { importListCsv } = (await import(dist('lists/list-import.js'))) as Import;
const { CSV_HEADERS, healthRecordReader, whitelistRecordReader } = (await import(
  dist('lists/list-rows.js')
)) as Rows;
const { openDatabase } = (await import(
  dist('db/open-database.js')
)) as typeof import('../sync-server/dist/db/open-database.js');
const { openSqliteStore } = (await import(
  dist('db/store/sqlite-store.js')
)) as typeof import('../sync-server/dist/db/store/sqlite-store.js');

type CopyFrom = (sql: string) => Writable & pg.Submittable;
async function loadCopyFrom(): Promise<CopyFrom | null> {
  const where = process.env.PG_COPY_STREAMS;
  try {
    const mod = (await import(where ? pathToFileURL(where).href : 'pg-copy-streams')) as {
      from?: CopyFrom;
      default?: { from: CopyFrom };
    };
    return mod.from ?? mod.default?.from ?? null;
  } catch {
    return null;
  }
}
const copyFrom = await loadCopyFrom();

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const RUNS = Number(process.env.RUNS ?? 3);
const BATCH = 5000;
const ADMIN_URL = process.env.CHECKPOINT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const KEY = Buffer.alloc(32, 9);
const STATUSES = ['F0', 'F1', 'F2', 'F3', 'recovered'];
const LIST_ENV = process.env.LIST ?? 'health';
if (LIST_ENV !== 'health' && LIST_ENV !== 'whitelist')
  throw new Error(`LIST must be health or whitelist, not ${LIST_ENV}`);
const LIST: 'health' | 'whitelist' = LIST_ENV;

// The shapes of bench/server-import.ts: 12-digit IDs in random order, names and notes with diacritics.
const id = (i: number): string =>
  String(79_000_000_000 + ((i * 2_654_435_761) % 999_999_937)).padStart(12, '0');
/** Health row i's fields; `shift` moves every status (so a second file rewrites every row). */
const healthFields = (i: number, shift: number): string[] => [
  id(i),
  STATUSES[(i + shift) % 5] ?? 'F0',
  '2021-09-18T08:00:00+07:00',
  '',
  `Trần Thị ${i}`,
  `ổ dịch, quận ${1 + (i % 12)}`,
];

// Whitelist shapes: 15 % vehicle plates (`51C-123.45`, distinct: i scrambled over 88 provinces ×
// 26 series × 100,000 numbers), 1 % passports, the rest 12-digit IDs; categories weighted
// (plates mostly green_lane); 2 rows in 7 limited to 1–3 of 300 checkpoints (HCM-01 … TNI-50);
// windows of 7/14/30 days from a date in September 2021, 1 in 5 with times and offset, 1 in 10
// open-ended, 1 in 20 with no window; notes (a permit number, quoted) on 3 rows in 10.
const CHECKPOINT_IDS = Array.from(
  { length: 300 },
  (_, k) =>
    `${['HCM', 'BDU', 'DNA', 'LAN', 'TNI', 'HNI'][k % 6]}-${String(1 + Math.floor(k / 6)).padStart(2, '0')}`,
);
const SURNAMES = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Huỳnh', 'Võ', 'Đặng', 'Bùi'];
const DAY = 86_400_000;
const ymd = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
function plate(i: number): string {
  const n = (i * 2_654_435_761) % 228_800_000;
  const num = String(n % 100_000).padStart(5, '0');
  const rest = Math.floor(n / 100_000);
  const series = String.fromCharCode(65 + (Math.floor(rest / 88) % 26));
  return `${11 + (rest % 88)}${series}-${num.slice(0, 3)}.${num.slice(3)}`;
}
function whitelistFields(i: number, shift: number): string[] {
  const isPlate = i % 20 < 3;
  const subject = isPlate ? plate(i) : i % 100 === 7 ? `C${String(i).padStart(7, '0')}` : id(i);
  const c = (i * 37) % 100;
  const category = isPlate
    ? c < 80
      ? 'green_lane'
      : 'shipper'
    : c < 35
      ? 'shipper'
      : c < 55
        ? 'green_lane'
        : c < 75
          ? 'permit'
          : c < 85
            ? 'official'
            : c < 95
              ? 'medical'
              : 'other';
  const base = (i * 31) % 300;
  const checkpoints =
    i % 7 < 2
      ? Array.from({ length: 1 + (i % 3) }, (_, k) => CHECKPOINT_IDS[(base + k) % 300]).join(';')
      : '';
  const start = Date.UTC(2021, 8, 1 + ((i * 7) % 28));
  const end = start + ([7, 14, 30][i % 3] ?? 7) * DAY + shift * 14 * DAY;
  const [from, until] =
    i % 20 === 19
      ? ['', '']
      : i % 10 === 4
        ? [ymd(start), '']
        : i % 5 === 1
          ? [`${ymd(start)}T06:00:00+07:00`, `${ymd(end)}T22:00:00+07:00`]
          : [ymd(start), ymd(end)];
  const name = isPlate
    ? `Công ty TNHH Vận tải ${SURNAMES[i % 8]} ${i % 5000}`
    : `${SURNAMES[i % 8]} Văn ${i}`;
  const note = i % 10 < 3 ? `Giấy phép số ${i}/GP-SGTVT, ${isPlate ? 'xe tải' : 'cá nhân'}` : '';
  return [subject, category, from, until, checkpoints, name, note];
}
const fields = LIST === 'health' ? healthFields : whitelistFields;
const cell = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
function csv(shift: number): Buffer {
  const parts = [`${CSV_HEADERS[LIST]}\n`];
  for (let i = 0; i < ROWS; i++) parts.push(`${fields(i, shift).map(cell).join(',')}\n`);
  return Buffer.from(parts.join(''));
}
async function* chunks(bytes: Buffer, size = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    await Promise.resolve();
    yield bytes.subarray(i, i + size);
  }
}

/** COPY text format: a field escaped, NULL as \N. */
const copyField = (v: string | number | bigint | null): string =>
  v === null
    ? '\\N'
    : typeof v === 'string'
      ? v.replace(/[\\\t\n\r]/g, (c) =>
          c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
        )
      : String(v);

const sec = (t0: number): number => (performance.now() - t0) / 1000;

/** This process's CPU seconds (user + system) since `from`. */
const nodeCpu = (from: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
};

/**
 * CPU seconds a PostgreSQL backend (on this machine) has used, from /proc: with the machine shared
 * and loaded, CPU time says more than wall time about what each way costs. NaN when unreadable.
 */
async function backendCpu(client: pg.ClientBase): Promise<() => number> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const read = (): number => {
    try {
      const fields = readFileSync(`/proc/${rows[0]?.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return NaN;
    }
  };
  const start = read();
  return () => read() - start;
}
const PHASES = process.env.PHASES ?? 'staging,import,sqlite,snapshot';

const name = `cl_bench_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
const pool = await openPg({ url: url.toString(), max: 4, applicationName: 'cl-bench' });
try {
  await runPgMigrations(pool, PG_MIGRATIONS);
  console.log(`machine: ${machine()}`);
  const first = csv(0);
  const second = csv(1);
  console.log(`${ROWS} ${LIST} rows, ${(first.length / 2 ** 20).toFixed(1)} MiB of CSV`);

  // 1. The staging step alone: the same parsed rows staged each way, in turns.
  const read: (
    f: readonly string[],
  ) => { ok: true; value: ListRow } | { ok: false; error: { reason: string } } =
    LIST === 'health' ? healthRecordReader(KEY) : whitelistRecordReader(KEY);
  const parsed: { line: number; row: ListRow }[] = [];
  let everywhere = 0;
  for (let i = 0; i < ROWS; i++) {
    const r = read(fields(i, 0));
    if (!r.ok) throw new Error(`row ${i}: ${r.error.reason}`);
    if (!('checkpoints' in r.value) || r.value.checkpoints === null) everywhere++;
    if (PHASES.includes('staging')) parsed.push({ line: i + 2, row: r.value });
  }
  interface Took {
    wall: number;
    node: number;
    pg: number;
  }
  const ways: Record<string, Took[]> = { unnest: [], copy: [] };
  const stageUnnest = async (): Promise<Took> => {
    const staging = await PgListStaging.open(pool, LIST);
    try {
      const pgCpu = await backendCpu(await staging.checkout());
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < parsed.length; i += BATCH) await staging.add(parsed.slice(i, i + BATCH));
      const s = { wall: sec(t0), node: nodeCpu(c0), pg: pgCpu() };
      if ((await staging.accepted()) !== ROWS) throw new Error('unnest staged a wrong count');
      return s;
    } finally {
      await staging.drop();
    }
  };
  const stageCopy = async (from: CopyFrom): Promise<Took> => {
    const client = await pool.connect();
    try {
      const pgCpu = await backendCpu(client);
      await client.query(`CREATE TEMP TABLE copy_stage (line integer NOT NULL, subject_key bigint NOT NULL,
        subject text NOT NULL, status text, since bigint, until bigint, name text, note text,
        rejected boolean NOT NULL DEFAULT false)`);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < parsed.length; i += BATCH) {
        const text = parsed
          .slice(i, i + BATCH)
          .map(({ line: n, row }) => {
            const r = row as HealthRow;
            return [n, r.key, r.subject, r.status, r.since, r.until, r.name, r.note]
              .map(copyField)
              .join('\t');
          })
          .join('\n');
        await pipeline(
          Readable.from([`${text}\n`]),
          client.query(
            from('COPY copy_stage (line, subject_key, subject, status, since, until, name, note) FROM STDIN'),
          ),
        );
      }
      const s = { wall: sec(t0), node: nodeCpu(c0), pg: pgCpu() };
      const n = await client.query<{ n: number }>('SELECT count(*) AS n FROM copy_stage');
      if (n.rows[0]?.n !== ROWS) throw new Error('copy staged a wrong count');
      await client.query('DROP TABLE copy_stage');
      return s;
    } finally {
      client.release();
    }
  };
  for (let run = 0; run < (PHASES.includes('staging') ? RUNS : 0); run++) {
    const order = run % 2 === 0 ? ['unnest', 'copy'] : ['copy', 'unnest'];
    for (const way of order) {
      if (way === 'unnest') ways.unnest?.push(await stageUnnest());
      else if (copyFrom && LIST === 'health') ways.copy?.push(await stageCopy(copyFrom));
    }
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
  };
  for (const [way, xs] of Object.entries(ways)) {
    if (xs.length === 0) {
      console.log(`staging ${way}: not run`);
      continue;
    }
    const wall = median(xs.map((x) => x.wall));
    console.log(
      `staging ${ROWS} rows by ${way}: wall median ${wall.toFixed(2)} s (${xs.map((x) => x.wall.toFixed(1)).join(', ')}), ` +
        `${Math.round(ROWS / wall / 1000)}k rows/s; CPU median node ${median(xs.map((x) => x.node)).toFixed(2)} s + ` +
        `postgres backend ${median(xs.map((x) => x.pg)).toFixed(2)} s`,
    );
  }

  // 2. The whole import through importListCsv and the PostgreSQL writer, timed by phase.
  const inner = new PgListWriterStore(pool);
  const phases = { stage: 0, write: 0, stageNode: 0, stagePg: 0, writeNode: 0, writePg: 0 };
  let staged = 0;
  let stagedCpu = process.cpuUsage();
  let pgCpu: () => number = () => NaN;
  const writer: StoreTypes = {
    version: (l) => inner.version(l),
    stage: async (l) => {
      const s = await inner.stage(l);
      if (s instanceof PgListStaging) pgCpu = await backendCpu(await s.checkout());
      staged = performance.now();
      stagedCpu = process.cpuUsage();
      return s;
    },
    write: async (l, input, meta) => {
      const t0 = performance.now();
      phases.stage = (t0 - staged) / 1000;
      phases.stageNode = nodeCpu(stagedCpu);
      phases.stagePg = pgCpu();
      const c0 = process.cpuUsage();
      const w = await inner.write(l, input, meta);
      phases.write = sec(t0);
      phases.writeNode = nodeCpu(c0);
      phases.writePg = pgCpu() - phases.stagePg;
      return w;
    },
    putEntry: (l, row, by) => inner.putEntry(l, row, by),
    deleteEntry: (l, key, by) => inner.deleteEntry(l, key, by),
    recordRefused: (l, meta) => inner.recordRefused(l, meta),
  };
  for (const [label, body, replace] of PHASES.includes('import')
    ? ([
        ['into the empty list', first, false],
        [
          `replacing the full list (every row rewritten, ${LIST === 'health' ? 'statuses changed' : 'windows 14 days longer'})`,
          second,
          true,
        ],
      ] as const)
    : []) {
    const t0 = performance.now();
    const r = await importListCsv({
      list: LIST,
      body: chunks(body),
      listKey: KEY,
      writer,
      now: Date.now(),
      maxBytes: 2 ** 31,
      actor: 'bench',
      replace,
    });
    const total = sec(t0);
    if (r.accepted !== ROWS || !r.applied) throw new Error(`import ${label}: ${r.accepted} accepted`);
    console.log(
      `import ${label}: ${total.toFixed(1)} s = ${Math.round(ROWS / total / 1000)}k rows/s ` +
        `(parse + validate + stage ${phases.stage.toFixed(1)} s, duplicate check and write ${(total - phases.stage).toFixed(1)} s ` +
        `of which the write transaction ${phases.write.toFixed(1)} s); version ${r.version}, ${r.written?.changes} changes`,
    );
    console.log(
      `  CPU: parse + validate + stage node ${phases.stageNode.toFixed(1)} s + postgres ${phases.stagePg.toFixed(1)} s; ` +
        `write transaction node ${phases.writeNode.toFixed(2)} s + postgres ${phases.writePg.toFixed(1)} s`,
    );
  }
  if (PHASES.includes('import')) {
    await check(everywhere);

    // 4. The snapshot a lane at HCM-01 bootstraps from (health: the one unscoped snapshot), built
    // from the imported list into the shared cache by `PgSnapshotStore` as a server builds it.
    if (PHASES.includes('snapshot')) {
      const snapshots = new PgSnapshotStore(pool);
      const t0 = performance.now();
      const snap = await snapshots.current(LIST, 'HCM-01', { id: 1, scope: '', key: KEY });
      console.log(
        `snapshot of ${LIST}${LIST === 'whitelist' ? ' at HCM-01' : ''}: ${snap.count} entries, ${snap.size} B = ` +
          `${(snap.size / snap.count).toFixed(2)} B/entry; built and cached in ${sec(t0).toFixed(1)} s`,
      );
    }
  }

  // 3. The same two imports on SQLite (a database file, the server's writer), for scale at this load.
  if (PHASES.includes('sqlite')) {
    const dir = mkdtempSync(join(tmpdir(), 'cl-bench-pg-import-'));
    const db = openDatabase(join(dir, 'server.db'));
    try {
      const store = openSqliteStore(db, { indexKey: Buffer.alloc(32, 7), clock: () => Date.now() });
      for (const [label, body, replace] of [
        ['into the empty list', first, false],
        ['replacing the full list', second, true],
      ] as const) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const r = await importListCsv({
          list: LIST,
          body: chunks(body),
          listKey: KEY,
          writer: store.listWriter,
          now: Date.now(),
          maxBytes: 2 ** 31,
          actor: 'bench',
          replace,
        });
        if (r.accepted !== ROWS) throw new Error('sqlite import accepted a wrong count');
        const total = sec(t0);
        console.log(
          `SQLite import ${label}: ${total.toFixed(1)} s = ${Math.round(ROWS / total / 1000)}k rows/s (CPU ${nodeCpu(c0).toFixed(1)} s)`,
        );
      }
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
} finally {
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

/** Entry count, and the count a lane at a checkpoint no row names holds (`everywhere`: rows with no checkpoints). */
async function check(everywhere: number): Promise<void> {
  const lists = new PgListsStore(pool);
  const inner = new PgListWriterStore(pool);
  const count = await lists.count(LIST);
  const laneCount = await lists.laneChanges(LIST, await inner.version(LIST), 'X');
  if (count !== ROWS || laneCount.kind !== 'ok' || laneCount.count !== everywhere)
    throw new Error(
      `counts are wrong: ${count} entries, ${laneCount.kind === 'ok' ? laneCount.count : '?'} at X`,
    );
  const size = await pool.query<{ s: string }>(
    `SELECT pg_size_pretty(pg_total_relation_size('${LIST}_entries')) AS s`,
  );
  console.log(
    `${LIST}_entries on disk: ${size.rows[0]?.s}; list_counts agrees (${ROWS}, ${everywhere} at a checkpoint no row names)`,
  );
}
