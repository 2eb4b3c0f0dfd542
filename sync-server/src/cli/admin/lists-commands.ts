// checkpoint-admin `lists import health|whitelist FILE.csv [--partial] [--replace]`: streams a CSV
// to the server with a progress bar on a terminal, then prints the import report.
// `lists signing-keys` and `lists rotate-signing-key`: the list-signing keys and their rotation.
// `lists keys` and `lists rotate-key --checkpoint ID`: the list keys K per key scope and the
// rotation of a checkpoint's scope.
import { createReadStream, statSync } from 'node:fs';
import type {
  ListImportReport,
  ListKeyRotateAnswer,
  ListKeysAnswer,
  ListSigningKeysAnswer,
} from '@checkpoint-lane/shared';
import {
  EXIT,
  failed,
  isoOrDash,
  progressBar,
  show,
  table,
  UsageError,
  type AdminContext,
} from './admin-io.js';

/** The flags the lists commands read. */
export const LIST_OPTIONS = {
  partial: { type: 'boolean', default: false },
  replace: { type: 'boolean', default: false },
  checkpoint: { type: 'string' },
} as const;

/** Values of `LIST_OPTIONS`. */
export interface ListFlags {
  readonly partial: boolean;
  readonly replace: boolean;
  readonly checkpoint?: string | undefined;
}

/** The keys as a table: which signs now, and until when each is accepted. */
function keysTable(b: ListSigningKeysAnswer): string {
  return table(
    b.keys.map((k) => ({
      id: k.id,
      current: k.id === b.current ? 'yes' : '',
      validFrom: isoOrDash(k.validFrom),
      validUntil: isoOrDash(k.validUntil),
      endorsedBy: k.endorsement?.by ?? '-',
    })),
    ['id', 'current', 'validFrom', 'validUntil', 'endorsedBy'],
  );
}

/** The key scopes as a table: each one's current key id, its birth, its checkpoints. */
function scopesTable(b: ListKeysAnswer): string {
  return table(
    b.scopes.map((k) => ({
      scope: k.scope,
      keyId: k.keyId === null ? '-' : String(k.keyId),
      createdAt: isoOrDash(k.createdAt),
      checkpoints: k.checkpoints.join(',') || '-',
    })),
    ['scope', 'keyId', 'createdAt', 'checkpoints'],
  );
}

/** `lists import …`, `lists signing-keys`, `lists rotate-signing-key`, `lists keys`, `lists rotate-key`. */
export async function runLists(ctx: AdminContext, words: readonly string[], v: ListFlags): Promise<number> {
  const [, sub, list, file] = words;
  if (sub === 'keys' && words.length === 2)
    return show(ctx, await ctx.http.get('/api/v1/admin/lists/keys'), scopesTable);
  if (sub === 'rotate-key') {
    if (words.length !== 2 || v.checkpoint === undefined)
      throw new UsageError('lists rotate-key --checkpoint ID');
    return show(
      ctx,
      await ctx.http.post('/api/v1/admin/lists/keys/rotate', { checkpointId: v.checkpoint }),
      (b: ListKeyRotateAnswer) =>
        [
          `key scope ${b.scope}: new list key ${String(b.keyId)}; its lanes fetch it and take new snapshots`,
          `checkpoints sharing this scope (${String(b.checkpoints.length)}): ${b.checkpoints.join(', ')}`,
        ].join('\n'),
    );
  }
  if (sub === 'signing-keys' && words.length === 2)
    return show(ctx, await ctx.http.get('/api/v1/admin/lists/signing-keys'), keysTable);
  if (sub === 'rotate-signing-key' && words.length === 2)
    return show(
      ctx,
      await ctx.http.post('/api/v1/admin/lists/signing-keys/rotate', {}),
      (b: ListSigningKeysAnswer) =>
        [
          `list-signing key ${b.current} now signs; the previous key is accepted until its validUntil`,
          keysTable(b),
        ].join('\n'),
    );
  if (sub !== 'import') throw new UsageError(`unknown command: ${words.join(' ')}`);
  if ((list !== 'health' && list !== 'whitelist') || file === undefined) {
    throw new UsageError('lists import health|whitelist FILE.csv');
  }
  return importList(ctx, list, file, v.partial, v.replace);
}

async function importList(
  ctx: AdminContext,
  list: string,
  file: string,
  partial: boolean,
  replace: boolean,
): Promise<number> {
  const size = statSync(file).size;
  const tty = ctx.io.stderr.isTTY === true && !ctx.json;
  let lastDraw = 0;
  const res = await ctx.http.post(`/api/v1/admin/lists/${list}/import`, createReadStream(file), {
    headers: { 'content-type': 'text/csv', 'content-length': String(size) },
    params: { ...(partial && { partial: true }), ...(replace && { replace: true }) },
    onUploadProgress: (e) => {
      if (!tty) return;
      const now = Date.now();
      if (now - lastDraw < 100 && e.loaded < size) return;
      lastDraw = now;
      ctx.io.stderr.write(`\r${progressBar(e.loaded, size)}`);
    },
  });
  if (tty) ctx.io.stderr.write(`\r${progressBar(size, size)}\n`);
  const body = res.data as ListImportReport;
  if (res.status !== 200 && res.status !== 422) return failed(ctx, res);
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify(body)}\n`);
  } else {
    ctx.io.stdout.write(
      body.applied
        ? `${list}: ${body.accepted} row(s) imported, ${body.rejectedTotal} rejected; list version ${body.version}\n`
        : `${list}: nothing imported, ${body.rejectedTotal} row(s) rejected (use --partial to keep the good rows); list version ${body.version}\n`,
    );
    const shown = body.rejected.slice(0, 50);
    for (const r of shown) ctx.io.stdout.write(`  line ${r.line}: ${r.reason}\n`);
    if (body.rejectedTotal > shown.length)
      ctx.io.stdout.write(`  … and ${body.rejectedTotal - shown.length} more (--json lists them)\n`);
  }
  return body.rejectedTotal > 0 ? EXIT.rejected : EXIT.ok;
}
