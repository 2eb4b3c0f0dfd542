// The list keys lanes are sent: one current key per key scope (a checkpoint's `key_scope`, NULL =
// `fleet`), created on first use, kept in `list_keys` (ids 1, 2, … across scopes; id 0 names the
// old fleet-wide key, which is not stored here). A rotation retires a scope's current key and
// makes a new one; the index key (services `listKey`) is a different key and never sent.
import { DEFAULT_KEY_SCOPE } from '@checkpoint-lane/shared';
import type { Db } from '../db/open-database.js';
import { generateListKey, LIST_KEY_BYTES } from './subject-key.js';

/** The scope of a checkpoint whose `key_scope` is NULL (`fleet`, from the admin contract). */
export { DEFAULT_KEY_SCOPE };

/** One list key. */
export interface ListKey {
  readonly id: number;
  readonly scope: string;
  /** The 32 key bytes. */
  readonly key: Buffer;
}

/** A scope as the admin list shows it: its current key's id and birth (null: none made yet), its checkpoints. */
export interface KeyScopeView {
  readonly scope: string;
  readonly keyId: number | null;
  readonly createdAt: number | null;
  readonly checkpoints: string[];
}

interface KeyRow {
  id: number;
  scope: string;
  key: Buffer;
}

function toListKey(row: KeyRow): ListKey {
  if (row.key.length !== LIST_KEY_BYTES) throw new Error(`list key ${row.id} is not ${LIST_KEY_BYTES} bytes`);
  return { id: row.id, scope: row.scope, key: row.key };
}

/** The list keys, per scope, over one database. */
export class ListKeys {
  constructor(
    private readonly db: Db,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The scope's current key, created (reason `created`) if the scope has none yet. */
  current(scope: string): ListKey {
    const found = this.#current(scope);
    if (found) return found;
    return this.db
      .transaction(() => {
        const again = this.#current(scope);
        if (again) return again;
        return this.#insert(scope, this.clock(), 'created');
      })
      .immediate();
  }

  /** The current key of the checkpoint's scope. */
  forCheckpoint(checkpointId: string): ListKey {
    return this.current(this.scopeOf(checkpointId));
  }

  /** The checkpoint's key scope (`fleet` when it has none, or when there is no such checkpoint). */
  scopeOf(checkpointId: string): string {
    const scope = this.db
      .prepare('SELECT key_scope FROM checkpoints WHERE id = ?')
      .pluck()
      .get(checkpointId) as string | null | undefined;
    return scope ?? DEFAULT_KEY_SCOPE;
  }

  /** A key by its id, current or retired; null when there is none (and for id 0, never stored). */
  byId(id: number): ListKey | null {
    const row = this.db.prepare('SELECT id, scope, key FROM list_keys WHERE id = ?').get(id) as
      KeyRow | undefined;
    return row ? toListKey(row) : null;
  }

  /**
   * Retires the scope's current key (if any) as of `now` and makes a new current one, in one
   * transaction (nested inside the caller's, when there is one). Returns the new key.
   */
  rotate(scope: string, now: number, reason: string): ListKey {
    return this.db.transaction(() => {
      this.db
        .prepare('UPDATE list_keys SET retired_at = ? WHERE scope = ? AND retired_at IS NULL')
        .run(now, scope);
      return this.#insert(scope, now, reason);
    })();
  }

  /** The ids of the checkpoints in a scope, sorted. */
  checkpointsIn(scope: string): string[] {
    const sql =
      scope === DEFAULT_KEY_SCOPE
        ? 'SELECT id FROM checkpoints WHERE key_scope IS NULL OR key_scope = ? ORDER BY id'
        : 'SELECT id FROM checkpoints WHERE key_scope = ? ORDER BY id';
    return this.db.prepare(sql).pluck().all(scope) as string[];
  }

  /**
   * Every scope that has a current key or a checkpoint, sorted by name: its current key's id and
   * birth and its checkpoints. Never the key bytes; makes no key.
   */
  scopes(): KeyScopeView[] {
    const keys = this.db
      .prepare('SELECT scope, id, created_at FROM list_keys WHERE retired_at IS NULL')
      .all() as { scope: string; id: number; created_at: number }[];
    const members = this.db
      .prepare('SELECT coalesce(key_scope, ?) AS scope, id FROM checkpoints ORDER BY id')
      .all(DEFAULT_KEY_SCOPE) as { scope: string; id: string }[];
    const views = new Map<
      string,
      { keyId: number | null; createdAt: number | null; checkpoints: string[] }
    >();
    for (const k of keys) views.set(k.scope, { keyId: k.id, createdAt: k.created_at, checkpoints: [] });
    for (const m of members) {
      let v = views.get(m.scope);
      if (!v) views.set(m.scope, (v = { keyId: null, createdAt: null, checkpoints: [] }));
      v.checkpoints.push(m.id);
    }
    return [...views.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([scope, v]) => ({ scope, ...v }));
  }

  #current(scope: string): ListKey | null {
    const row = this.db
      .prepare('SELECT id, scope, key FROM list_keys WHERE scope = ? AND retired_at IS NULL')
      .get(scope) as KeyRow | undefined;
    return row ? toListKey(row) : null;
  }

  #insert(scope: string, now: number, reason: string): ListKey {
    const key = generateListKey();
    const id = this.db
      .prepare('INSERT INTO list_keys (scope, key, created_at, reason) VALUES (?, ?, ?, ?)')
      .run(scope, key, now, reason).lastInsertRowid;
    return { id: Number(id), scope, key };
  }
}
