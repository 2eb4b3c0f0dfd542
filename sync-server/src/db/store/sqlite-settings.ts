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
    update: (key, change) => {
      try {
        // better-sqlite3 runs one statement at a time on the connection: the transaction is the lock.
        return Promise.resolve(
          db
            .transaction((): Buffer => {
              const next = change(settings.get(key));
              settings.set(key, next.value);
              if (next.audit)
                audit.record(
                  next.audit.at,
                  next.audit.actor,
                  next.audit.action,
                  next.audit.target,
                  next.audit.details ?? null,
                );
              return next.value;
            })
            .immediate(),
        );
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
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
