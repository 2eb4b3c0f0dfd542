import type { Migration } from './migration.js';

/**
 * Signed lists: `list_counts`, the number of entries per list and count scope that signed
 * answers name (health: scope ''; whitelist: '*' for entries valid everywhere, a checkpoint id
 * for entries valid there), counted once here from the stored entries; and each lane's last
 * report of list data it refused (`kiosks.list_refusals`, JSON).
 */
export const migration005: Migration = {
  version: 5,
  name: 'signed-lists',
  up(db) {
    db.exec(`
      CREATE TABLE list_counts (
        list  TEXT NOT NULL CHECK (list IN ('health', 'whitelist')),
        scope TEXT NOT NULL,
        n     INTEGER NOT NULL,
        PRIMARY KEY (list, scope)
      ) STRICT, WITHOUT ROWID;
      ALTER TABLE kiosks ADD COLUMN list_refusals TEXT;
    `);
    const health = db.prepare('SELECT count(*) FROM health_entries').pluck().get() as number;
    const add = db.prepare(
      `INSERT INTO list_counts (list, scope, n) VALUES (?, ?, ?)
       ON CONFLICT (list, scope) DO UPDATE SET n = n + excluded.n`,
    );
    add.run('health', '', health);
    const sets = db
      .prepare('SELECT checkpoints AS s, count(*) AS n FROM whitelist_entries GROUP BY 1')
      .all() as { s: string | null; n: number }[];
    for (const { s, n } of sets) {
      if (s === null) add.run('whitelist', '*', n);
      else for (const cp of s.split(';')) if (cp !== '') add.run('whitelist', cp, n);
    }
  },
};
