import type { AuditEntry, SettingChange, SettingsStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { insertAudit, withPgTransaction, type Queryable } from '../pg-tx.js';

const UPSERT =
  'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value';

async function read(q: Queryable, key: string): Promise<Buffer | null> {
  const r = await q.query<{ value: Buffer }>('SELECT value FROM settings WHERE key = $1', [key]);
  return r.rows[0]?.value ?? null;
}

/** Server settings (named binary values) in PostgreSQL's `settings` table. */
export class PgSettingsStore implements SettingsStore {
  constructor(private readonly pool: PgPool) {}

  /** A stored value, or null. */
  get(key: string): Promise<Buffer | null> {
    return read(this.pool, key);
  }

  /**
   * The stored value, or the one `create` makes. Servers starting together all answer the value
   * that was stored first: an insert that finds the key taken stores nothing, and the stored value
   * is read back.
   */
  async getOrCreate(key: string, create: () => Buffer): Promise<Buffer> {
    const existing = await read(this.pool, key);
    if (existing !== null) return existing;
    const value = create();
    const inserted = await this.pool.query<{ value: Buffer }>(
      'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value',
      [key, value],
    );
    const stored = inserted.rows[0]?.value ?? (await read(this.pool, key));
    if (stored === null) throw new Error(`setting ${key} vanished while it was being created`);
    return stored;
  }

  /**
   * Read-modify-write under the row's lock (`SELECT … FOR UPDATE`; a missing row is inserted
   * empty first so there is a row to lock): two servers updating one setting take turns and each
   * changes what the other stored.
   */
  update(key: string, change: (current: Buffer | null) => SettingChange): Promise<Buffer> {
    return withPgTransaction(this.pool, async (client) => {
      await client.query(
        "INSERT INTO settings (key, value) VALUES ($1, ''::bytea) ON CONFLICT (key) DO NOTHING",
        [key],
      );
      const r = await client.query<{ value: Buffer }>(
        'SELECT value FROM settings WHERE key = $1 FOR UPDATE',
        [key],
      );
      const current = r.rows[0]?.value ?? null;
      const next = change(current === null || current.length === 0 ? null : current);
      await client.query('UPDATE settings SET value = $2 WHERE key = $1', [key, next.value]);
      if (next.audit) await insertAudit(client, next.audit);
      return next.value;
    });
  }

  /** Stores a value, replacing any earlier one; with `audit`, its record in the same transaction. */
  async set(key: string, value: Buffer, audit?: AuditEntry): Promise<void> {
    if (audit === undefined) {
      await this.pool.query(UPSERT, [key, value]);
      return;
    }
    await withPgTransaction(this.pool, async (client) => {
      await client.query(UPSERT, [key, value]);
      await insertAudit(client, audit);
    });
  }
}
