import { afterEach, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  pgUnavailable,
  useTestDatabase,
  type TestDatabase,
} from './pg-database.testkit.js';
import { pgSchemaVersion, runPgMigrations, type PgMigration } from './pg-migrate.js';
import { PG_MIGRATIONS } from './pg-migrations.js';

const skip = await pgUnavailable();

/** Tables, views, sequences and indexes of the public schema with their kinds: the schema's shape. */
const SHAPE_SQL = `SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' ORDER BY c.relname`;

const MONTH_MS = (y: number, m: number): number => Date.UTC(y, m - 1, 1);

describe.skipIf(skip !== null)('PostgreSQL migrations', () => {
  const fresh = useTestDatabase();
  const extra: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((d) => d.drop()));
  });

  it('apply on a fresh database, and a second run applies nothing and changes nothing', async () => {
    const pool = await fresh().open();
    expect(await pgSchemaVersion(pool)).toBe(0);
    const first = await runPgMigrations(pool, PG_MIGRATIONS);
    expect(first).toEqual({ version: PG_MIGRATIONS.length, applied: PG_MIGRATIONS.map((m) => m.version) });
    expect(await pgSchemaVersion(pool)).toBe(PG_MIGRATIONS.length);
    const tables = (
      await pool.query<{ relname: string }>(
        `SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY relname`,
      )
    ).rows.map((r) => r.relname);
    expect(tables).toEqual([
      'acks',
      'admin_accounts',
      'admin_sessions',
      'alerts',
      'audit_log',
      'checkpoints',
      'declarations',
      'enrollment_codes',
      'health_entries',
      'kiosks',
      'lane_records',
      'limit_counters',
      'list_changes',
      'list_counts',
      'list_keys',
      'list_state',
      'list_versions',
      'officer_roster',
      'officers',
      'overrides',
      'pass_keys',
      'pass_state',
      'scan_hourly',
      'scans',
      'schema_migrations',
      'settings',
      'snapshot_cache',
      'snapshot_chunks',
      'trace_contacts',
      'trace_subjects',
      'traces',
      'whitelist_entries',
    ]);
    expect(
      (await pool.query('SELECT list, version, changes_from FROM list_state ORDER BY list')).rows,
    ).toEqual([
      { list: 'health', version: 0, changes_from: 0 },
      { list: 'whitelist', version: 0, changes_from: 0 },
    ]);
    const shape = (await pool.query(SHAPE_SQL)).rows;
    const second = await runPgMigrations(pool, PG_MIGRATIONS);
    expect(second).toEqual({ version: PG_MIGRATIONS.length, applied: [] });
    expect((await pool.query(SHAPE_SQL)).rows).toEqual(shape);
    expect((await pool.query('SELECT count(*) AS n FROM schema_migrations')).rows[0]).toEqual({
      n: PG_MIGRATIONS.length,
    });
  });

  it('two migrators starting together: one applies each step once, the other waits and finds it done', async () => {
    const db = await createTestDatabase();
    extra.push(db);
    const setup = await db.open();
    await setup.query('CREATE TABLE step_runs (version integer NOT NULL)');
    // Each step sleeps inside its transaction, so without the lock both runners would be in it at once.
    const steps: PgMigration[] = [1, 2, 3].map((version) => ({
      version,
      name: `step-${version}`,
      async up(client) {
        await client.query('SELECT pg_sleep(0.1)');
        await client.query('INSERT INTO step_runs (version) VALUES ($1)', [version]);
        await client.query(`CREATE TABLE t${version} (x integer)`);
      },
    }));
    const [a, b] = await Promise.all([db.open(), db.open()]);
    const results = await Promise.all([runPgMigrations(a, steps), runPgMigrations(b, steps)]);
    expect(results.map((r) => r.applied).sort((x, y) => y.length - x.length)).toEqual([[1, 2, 3], []]);
    expect((await setup.query('SELECT version FROM step_runs ORDER BY version')).rows).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
    ]);

    // The real steps, concurrently, on another fresh database.
    const db2 = await createTestDatabase();
    extra.push(db2);
    const [c, d] = await Promise.all([db2.open(), db2.open()]);
    const real = await Promise.all([runPgMigrations(c, PG_MIGRATIONS), runPgMigrations(d, PG_MIGRATIONS)]);
    expect(real.map((r) => r.applied.length).sort()).toEqual([0, PG_MIGRATIONS.length]);
  });

  it('refuses a database migrated by a newer server or with another step under the same number', async () => {
    const db = await createTestDatabase();
    extra.push(db);
    const pool = await db.open();
    const steps: PgMigration[] = [
      {
        version: 1,
        name: 'one',
        up: async (c) => {
          await c.query('CREATE TABLE one (x integer)');
        },
      },
      {
        version: 2,
        name: 'two',
        up: async (c) => {
          await c.query('CREATE TABLE two (x integer)');
        },
      },
    ];
    await runPgMigrations(pool, steps);
    await expect(runPgMigrations(pool, steps.slice(0, 1))).rejects.toThrow(
      'database schema 2 is newer than this server (1); upgrade the server',
    );
    await expect(runPgMigrations(pool, [steps[0]!, { ...steps[1]!, name: 'other' }])).rejects.toThrow(
      `database step 2 is "two" but this server's step 2 is "other"`,
    );
    await expect(runPgMigrations(pool, [steps[1]!])).rejects.toThrow('numbered 2, expected 1');
  });

  it('a failing step rolls back alone: the steps before it stay, it is not recorded, the lock is released', async () => {
    const db = await createTestDatabase();
    extra.push(db);
    const pool = await db.open({ max: 1 });
    const steps: PgMigration[] = [
      {
        version: 1,
        name: 'good',
        up: async (c) => {
          await c.query('CREATE TABLE good (x integer)');
        },
      },
      {
        version: 2,
        name: 'bad',
        async up(c) {
          await c.query('CREATE TABLE half (x integer)');
          await c.query('SELECT no_such_column FROM good');
        },
      },
    ];
    await expect(runPgMigrations(pool, steps)).rejects.toThrow(
      /PostgreSQL migration 2-bad failed: .*no_such_column/,
    );
    expect(await pgSchemaVersion(pool)).toBe(1);
    expect((await pool.query(`SELECT to_regclass('half') AS t`)).rows[0]).toEqual({ t: null });
    const locks = await pool.query(`SELECT count(*) AS n FROM pg_locks
       WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`);
    expect(locks.rows[0]).toEqual({ n: 0 });
    const fixed: PgMigration[] = [steps[0]!, { version: 2, name: 'bad', up: () => Promise.resolve() }];
    expect(await runPgMigrations(pool, fixed)).toEqual({ version: 2, applied: [2] });
  });
});

describe.skipIf(skip !== null)('PostgreSQL schema', () => {
  const fresh = useTestDatabase();

  it('keeps signed 64-bit subject keys whole and refuses them as plain numbers', async () => {
    const pool = await fresh().open();
    await runPgMigrations(pool, PG_MIGRATIONS);
    const keys = ['-9223372036854775808', '9223372036854775807', '-1'];
    for (const k of keys) {
      await pool.query(
        `INSERT INTO health_entries (subject_key, subject, status, version, updated_at) VALUES ($1, $2, 'F0', 1, 0)`,
        [k, `cccd:${k}`],
      );
    }
    const rows = await pool.query<{ k: string; hex: string }>(
      `SELECT subject_key::text AS k, lpad(to_hex(subject_key), 16, '0') AS hex FROM health_entries ORDER BY subject_key`,
    );
    expect(rows.rows).toEqual([
      { k: '-9223372036854775808', hex: '8000000000000000' },
      { k: '-1', hex: 'ffffffffffffffff' },
      { k: '9223372036854775807', hex: '7fffffffffffffff' },
    ]);
    await expect(pool.query('SELECT subject_key FROM health_entries')).rejects.toThrow(/select it as text/);
    expect((await pool.query('SELECT 1700000000000::bigint AS at')).rows[0]).toEqual({
      at: 1_700_000_000_000,
    });
  });

  it('partitions scans by month: rows land in their month, the default takes the rest and gives it up', async () => {
    const pool = await fresh().open();
    await runPgMigrations(pool, PG_MIGRATIONS);
    await pool.query(`INSERT INTO checkpoints VALUES ('CP', 'A', 'open', 3600, '["F0"]', 0, NULL, 0, 0)`);
    const kiosk = await pool.query<{ no: number }>(
      `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('K1', 'lane', 'CP', 't', 0)
       RETURNING no`,
    );
    const kno = kiosk.rows[0]!.no;
    const insert = (seq: number, at: number): Promise<unknown> =>
      pool.query(
        `INSERT INTO scans (kiosk_no, seq, id, checkpoint_id, at, received_at, source, decision, reasons, warnings, alert)
         VALUES ($1, $2, gen_random_uuid(), 'CP', $3, $3, 'camera', 'green', '["not_flagged"]', '[]', false)`,
        [kno, seq, at],
      );
    const now = new Date();
    const thisMonth = `scans_${now.getUTCFullYear()}_${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    await insert(1, now.getTime());
    await insert(2, MONTH_MS(2000, 3) + 5);
    await insert(3, MONTH_MS(2000, 3) - 1);
    const where = async (): Promise<Record<number, string>> =>
      Object.fromEntries(
        (
          await pool.query<{ seq: number; part: string }>(
            'SELECT seq, tableoid::regclass::text AS part FROM scans',
          )
        ).rows.map((r) => [r.seq, r.part]),
      );
    expect(await where()).toEqual({ 1: thisMonth, 2: 'scans_default', 3: 'scans_default' });

    const created = await pool.query('SELECT ensure_scan_partitions($1, 1) AS n', [MONTH_MS(2000, 3) + 10]);
    expect(created.rows[0]).toEqual({ n: 1 });
    expect(await where()).toEqual({ 1: thisMonth, 2: 'scans_2000_03', 3: 'scans_default' });
    // Idempotent, and the month's indexes came with it.
    expect(
      (await pool.query('SELECT ensure_scan_partitions($1, 1) AS n', [MONTH_MS(2000, 3)])).rows[0],
    ).toEqual({
      n: 0,
    });
    const indexes = await pool.query<{ n: number }>(
      `SELECT count(*) AS n FROM pg_indexes WHERE tablename = 'scans_2000_03'`,
    );
    // Migration 002's five, 006's vehicle and retention indexes, and 011's pass index.
    expect(indexes.rows[0]!.n).toBe(8);

    // Retention drops whole months that end at or before the cutoff, never the default partition.
    const dropped = await pool.query('SELECT drop_scan_partitions_before($1) AS n', [MONTH_MS(2000, 4)]);
    expect(dropped.rows[0]).toEqual({ n: 1 });
    expect(await where()).toEqual({ 1: thisMonth, 3: 'scans_default' });
    const kept = await pool.query('SELECT drop_scan_partitions_before($1) AS n', [MONTH_MS(2000, 4) - 1]);
    expect(kept.rows[0]).toEqual({ n: 0 });
  });

  it('the ledger holds each (lane, seq) and record id once; usernames are unique in any case', async () => {
    const pool = await fresh().open();
    await runPgMigrations(pool, PG_MIGRATIONS);
    await pool.query(`INSERT INTO checkpoints VALUES ('CP2', 'B', 'open', 3600, '[]', 0, NULL, 0, 0)`);
    const { rows } = await pool.query<{ no: number }>(
      `INSERT INTO kiosks (id, name, checkpoint_id, token_hash, enrolled_at) VALUES ('K2', 'l', 'CP2', 't2', 0)
       RETURNING no`,
    );
    const kno = rows[0]!.no;
    const id1 = '01890a5d-ac96-7000-8000-000000000001';
    const id2 = '01890a5d-ac96-7000-8000-000000000002';
    const batch = (seqs: number[], ids: string[]): Promise<{ rows: { seq: number }[] }> =>
      pool.query(
        `INSERT INTO lane_records (kiosk_no, seq, id, kind, at, received_at)
         SELECT $1, s, i, 'scan', 0, 0 FROM unnest($2::bigint[], $3::uuid[]) AS u (s, i)
         ON CONFLICT DO NOTHING RETURNING seq`,
        [kno, seqs, ids],
      );
    expect((await batch([1, 2], [id1, id2])).rows).toHaveLength(2);
    // Re-sent, and the same record id under another seq: nothing new.
    expect((await batch([1, 2, 3], [id1, id2, id1])).rows).toEqual([]);

    await pool.query(
      `INSERT INTO admin_accounts (username, display_name, role, password_hash, created_at, updated_at)
       VALUES ('Admin', 'A', 'admin', 'x', 0, 0)`,
    );
    await expect(
      pool.query(
        `INSERT INTO admin_accounts (username, display_name, role, password_hash, created_at, updated_at)
         VALUES ('aDMIN', 'B', 'viewer', 'x', 0, 0)`,
      ),
    ).rejects.toThrow(/admin_accounts_username/);
    const key = (scope: string, retired: number | null): Promise<unknown> =>
      pool.query(
        `INSERT INTO list_keys (scope, key, created_at, retired_at, reason) VALUES ($1, $2, 0, $3, 'created')`,
        [scope, Buffer.alloc(32, 1), retired],
      );
    await key('fleet', null);
    await expect(key('fleet', null)).rejects.toThrow(/list_keys_current/);
    await key('fleet', 5);
    await expect(
      pool.query(`INSERT INTO list_keys (scope, key, created_at, reason) VALUES ('HN', $1, 0, 'created')`, [
        Buffer.alloc(16),
      ]),
    ).rejects.toThrow(/list_keys_key_check/);
  });
});
