import type { Db } from '../open-database.js';
import { AuditRepository } from '../repositories/audit-repository.js';
import { SettingsRepository } from '../repositories/settings-repository.js';
import type { SettingsStore } from './store.js';

/** Server settings over a SQLite connection; a value and its audit record commit together. */
export function openSqliteSettings(db: Db): SettingsStore {
  const settings = new SettingsRepository(db);
  const audit = new AuditRepository(db);
  return {
    get: (key) => Promise.resolve(settings.get(key)),
    getOrCreate: (key, create) => Promise.resolve(settings.getOrCreate(key, create)),
    set: (key, value, entry) => {
      try {
        db.transaction(() => {
          settings.set(key, value);
          if (entry) audit.record(entry.at, entry.actor, entry.action, entry.target, entry.details ?? null);
        })();
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
  };
}
