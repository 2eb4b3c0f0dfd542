import { DEFAULT_KEY_SCOPE } from '@checkpoint-lane/shared';
import type { KeyScopeView, ListKey } from '../../../lists/list-keys.js';
import { generateListKey, LIST_KEY_BYTES } from '../../../lists/subject-key.js';
import type { AuditEntry, ListKeysStore } from '../../store/store.js';
import type { PgPool } from '../open-pg.js';
import { insertAudit, withPgTransaction, type Queryable } from '../pg-tx.js';
import { hasNul } from './pg-kiosks.js';

interface KeyRow {
  id: number;
  scope: string;
  key: Buffer;
}

function toListKey(row: KeyRow): ListKey {
  if (row.key.length !== LIST_KEY_BYTES) throw new Error(`list key ${row.id} is not ${LIST_KEY_BYTES} bytes`);
  return { id: row.id, scope: row.scope, key: row.key };
}

/** How many times a key write retries after another server's key for the scope took the slot. */
const MAX_ATTEMPTS = 5;

/**
 * Inserts a key as the scope's current one unless it has one already (the partial unique index
 * `list_keys_current`); null when another key holds the slot (it is committed by then: PostgreSQL
 * waits for the other writer before it reports the conflict).
 */
async function insertIfNone(
  q: Queryable,
  scope: string,
  now: number,
  reason: string,
): Promise<ListKey | null> {
  const r = await q.query<KeyRow>(
    `INSERT INTO list_keys (scope, key, created_at, reason) VALUES ($1, $2, $3, $4)
     ON CONFLICT (scope) WHERE retired_at IS NULL DO NOTHING
     RETURNING id, scope, key`,
    [scope, generateListKey(), now, reason],
  );
  const row = r.rows[0];
  return row ? toListKey(row) : null;
}

async function currentRow(q: Queryable, scope: string): Promise<ListKey | null> {
  const row = (
    await q.query<KeyRow>('SELECT id, scope, key FROM list_keys WHERE scope = $1 AND retired_at IS NULL', [
      scope,
    ])
  ).rows[0];
  return row ? toListKey(row) : null;
}

/**
 * The scope's current key, made (reason `created`) when it has none. Servers racing to make the
 * first key all answer the one that went in: the losers' inserts do nothing and they read it.
 */
export async function currentKey(q: Queryable, scope: string, now: () => number): Promise<ListKey> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const found = await currentRow(q, scope);
    if (found) return found;
    const made = await insertIfNone(q, scope, now(), 'created');
    if (made) return made;
  }
  throw new Error(`no current list key for scope ${scope} after ${MAX_ATTEMPTS} attempts`);
}

/**
 * Retires the scope's current key (if any) as of `now` and makes a new current one, on `q` (call
 * it inside a transaction). When another server's rotation or first key commits in between, the
 * insert does nothing and the retire-and-insert runs again over the key that went in, so two
 * rotations of one scope both happen, one after the other, as on SQLite.
 */
export async function rotateKey(q: Queryable, scope: string, now: number, reason: string): Promise<ListKey> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    await q.query('UPDATE list_keys SET retired_at = $2 WHERE scope = $1 AND retired_at IS NULL', [
      scope,
      now,
    ]);
    const made = await insertIfNone(q, scope, now, reason);
    if (made) return made;
  }
  throw new Error(`could not rotate the list key of scope ${scope} after ${MAX_ATTEMPTS} attempts`);
}

/** The checkpoint's key scope on `q` (`fleet` when it has none, or when there is no such checkpoint). */
export async function scopeOfCheckpoint(q: Queryable, checkpointId: string): Promise<string> {
  if (hasNul(checkpointId)) return DEFAULT_KEY_SCOPE;
  const row = (
    await q.query<{ key_scope: string | null }>('SELECT key_scope FROM checkpoints WHERE id = $1', [
      checkpointId,
    ])
  ).rows[0];
  return row?.key_scope ?? DEFAULT_KEY_SCOPE;
}

/** What a {@link PgListKeysStore} needs besides its pool. */
export interface PgListKeysDeps {
  /** Epoch ms: a scope's first key is stamped with it (default `Date.now`). */
  readonly clock?: () => number;
}

/** The list keys lanes are sent, per scope, on PostgreSQL (see `ListKeys` for the SQLite twin). */
export class PgListKeysStore implements ListKeysStore {
  readonly #clock: () => number;

  constructor(
    private readonly pool: PgPool,
    deps: PgListKeysDeps = {},
  ) {
    this.#clock = deps.clock ?? Date.now;
  }

  /** The scope's current key, created (reason `created`) if the scope has none yet. */
  current(scope: string): Promise<ListKey> {
    return currentKey(this.pool, scope, this.#clock);
  }

  /** The current key of the checkpoint's scope: one read when the key exists. */
  async forCheckpoint(checkpointId: string): Promise<ListKey> {
    if (hasNul(checkpointId)) return this.current(DEFAULT_KEY_SCOPE);
    const row = (
      await this.pool.query<{ scope: string; id: number | null; key: Buffer | null }>(
        `SELECT s.scope, k.id, k.key
         FROM (SELECT coalesce((SELECT key_scope FROM checkpoints WHERE id = $1), $2) AS scope) s
         LEFT JOIN list_keys k ON k.scope = s.scope AND k.retired_at IS NULL`,
        [checkpointId, DEFAULT_KEY_SCOPE],
      )
    ).rows[0];
    if (!row) throw new Error('the scope query answered no row');
    if (row.id !== null && row.key !== null) return toListKey({ id: row.id, scope: row.scope, key: row.key });
    return this.current(row.scope);
  }

  /** The checkpoint's key scope (`fleet` when it has none, or when there is no such checkpoint). */
  scopeOf(checkpointId: string): Promise<string> {
    return scopeOfCheckpoint(this.pool, checkpointId);
  }

  /** A key by its id, current or retired; null when there is none (and for id 0, never stored). */
  async byId(id: number): Promise<ListKey | null> {
    if (!Number.isSafeInteger(id)) return null;
    const row = (await this.pool.query<KeyRow>('SELECT id, scope, key FROM list_keys WHERE id = $1', [id]))
      .rows[0];
    return row ? toListKey(row) : null;
  }

  /** Retires the scope's key and makes a new one, with the audit record (if any) in the same transaction. */
  rotate(scope: string, now: number, reason: string, audit?: (key: ListKey) => AuditEntry): Promise<ListKey> {
    return withPgTransaction(this.pool, async (client) => {
      const key = await rotateKey(client, scope, now, reason);
      if (audit) await insertAudit(client, audit(key));
      return key;
    });
  }

  /** The ids of the checkpoints in a scope, sorted (byte order, as SQLite sorts). */
  async checkpointsIn(scope: string): Promise<string[]> {
    if (hasNul(scope)) return [];
    const sql =
      scope === DEFAULT_KEY_SCOPE
        ? 'SELECT id FROM checkpoints WHERE key_scope IS NULL OR key_scope = $1 ORDER BY id COLLATE "C"'
        : 'SELECT id FROM checkpoints WHERE key_scope = $1 ORDER BY id COLLATE "C"';
    return (await this.pool.query<{ id: string }>(sql, [scope])).rows.map((r) => r.id);
  }

  /**
   * Every scope that has a current key or a checkpoint, sorted by name: its current key's id and
   * birth and its checkpoints, read in one statement (one snapshot). Never the key bytes; makes no key.
   */
  async scopes(): Promise<KeyScopeView[]> {
    const row = (
      await this.pool.query<{
        keys: { scope: string; id: number; created_at: number }[];
        members: { scope: string; id: string }[];
      }>(
        `SELECT
           (SELECT coalesce(json_agg(json_build_object('scope', scope, 'id', id, 'created_at', created_at)), '[]')
              FROM list_keys WHERE retired_at IS NULL) AS keys,
           (SELECT coalesce(json_agg(json_build_object('scope', coalesce(key_scope, $1), 'id', id)
                                     ORDER BY id COLLATE "C"), '[]')
              FROM checkpoints) AS members`,
        [DEFAULT_KEY_SCOPE],
      )
    ).rows[0];
    if (!row) throw new Error('the scopes query answered no row');
    const views = new Map<
      string,
      { keyId: number | null; createdAt: number | null; checkpoints: string[] }
    >();
    for (const k of row.keys) views.set(k.scope, { keyId: k.id, createdAt: k.created_at, checkpoints: [] });
    for (const m of row.members) {
      let v = views.get(m.scope);
      if (!v) views.set(m.scope, (v = { keyId: null, createdAt: null, checkpoints: [] }));
      v.checkpoints.push(m.id);
    }
    return [...views.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([scope, v]) => ({ scope, ...v }));
  }
}
