import type { Migration } from './migration.js';

/**
 * Central officer rosters: officers who may override decisions at lanes, with their PIN hash
 * in the lane's own format, the checkpoints they serve (NULL: every checkpoint) and a roster
 * version counter, advanced in the same transaction as every officer change.
 */
export const migration003: Migration = {
  version: 3,
  name: 'officers',
  up(db) {
    db.exec(`
      CREATE TABLE officers (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('officer', 'supervisor')),
        pin_hash    TEXT NOT NULL, -- scrypt$<salt b64>$<hash b64>, N=16384 r=8 p=1, 32-byte key (the lane's format)
        checkpoints TEXT,          -- ';A;B;' (NULL: every checkpoint), so membership is one instr()
        disabled_at INTEGER,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
      ) STRICT;

      -- One row: the roster version lanes compare with theirs (0: no officer was ever written).
      CREATE TABLE officer_roster (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
      ) STRICT;
      INSERT INTO officer_roster (id, version) VALUES (1, 0);
    `);
  },
};
