import type Database from 'better-sqlite3';

/** The store's `settings` table: named text values (the store decides who may write which). */
export class SettingsTable {
  readonly #get: Database.Statement<[string]>;
  readonly #put: Database.Statement<[string, string]>;
  readonly #remove: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.#get = db.prepare<[string]>('SELECT value FROM settings WHERE name = ?');
    this.#put = db.prepare<[string, string]>(
      'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    );
    this.#remove = db.prepare<[string]>('DELETE FROM settings WHERE name = ?');
  }

  /** A setting's value, or null. */
  get(name: string): string | null {
    const row = this.#get.get(name) as { value: string } | undefined;
    return row?.value ?? null;
  }

  /** Writes a setting. */
  put(name: string, value: string): void {
    this.#put.run(name, value);
  }

  /** Removes a setting. */
  remove(name: string): void {
    this.#remove.run(name);
  }
}
