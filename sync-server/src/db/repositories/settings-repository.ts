import type { Db } from '../open-database.js';

/** Server-wide secrets and settings (the admin token hash, the list key K). */
export class SettingsRepository {
  constructor(private readonly db: Db) {}

  /** A stored value, or null. */
  get(key: string): Buffer | null {
    const v = this.db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key) as
      Buffer | string | undefined;
    if (v === undefined) return null;
    return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  }

  /** Stores a value, replacing any earlier one. */
  set(key: string, value: Buffer): void {
    this.db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)').run(key, value);
  }

  /** The stored value, or the one `create` makes (stored atomically if absent). */
  getOrCreate(key: string, create: () => Buffer): Buffer {
    return this.db.transaction(() => {
      const existing = this.get(key);
      if (existing) return existing;
      const value = create();
      this.set(key, value);
      return value;
    })();
  }
}
