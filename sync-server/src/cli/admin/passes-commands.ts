// checkpoint-admin `passes keys`, `passes rotate-key [--compromised]`, `passes withdraw-key KEY_ID`
// and `passes revoke PASSID`: the lane pass signing keys, their rotation and withdrawal, and
// revoking one pass.
import { isoOrDash, show, table, UsageError, type AdminContext } from './admin-io.js';

/** The flags the pass commands read. */
export const PASS_OPTIONS = {
  compromised: { type: 'boolean', default: false },
} as const;

/** Values of `PASS_OPTIONS`. */
export interface PassFlags {
  readonly compromised?: boolean | undefined;
}

interface KeysAnswer {
  version: number;
  current: number;
  keys: {
    keyId: number;
    publicKey: string;
    validFrom: number;
    validUntil: number | null;
    withdrawnAt: number | null;
  }[];
}

const keysTable = (b: KeysAnswer): string =>
  table(
    b.keys.map((k) => ({
      ...k,
      validFrom: isoOrDash(k.validFrom),
      validUntil: isoOrDash(k.validUntil),
      state:
        k.withdrawnAt !== null
          ? `withdrawn ${isoOrDash(k.withdrawnAt)}`
          : k.keyId === b.current
            ? 'current'
            : '',
    })),
    ['keyId', 'publicKey', 'validFrom', 'validUntil', 'state'],
  );

/** `passes keys`, `passes rotate-key [--compromised]`, `passes withdraw-key KEY_ID`, `passes revoke PASSID`. */
export async function runPasses(ctx: AdminContext, words: readonly string[], v: PassFlags): Promise<number> {
  const [, sub, arg] = words;
  if (sub === 'keys' && words.length === 2)
    return show(ctx, await ctx.http.get('/api/v1/admin/passes/keys'), keysTable);
  if (sub === 'rotate-key' && words.length === 2) {
    const compromised = v.compromised === true;
    return show(
      ctx,
      await ctx.http.post('/api/v1/admin/passes/keys/rotate', { compromised }),
      (b: KeysAnswer) =>
        `pass key ${b.current} now signs; ` +
        (compromised
          ? 'the previous key is withdrawn: lanes refuse every pass it signed'
          : 'lanes accept passes the previous key signed until its validUntil') +
        ` (directory version ${b.version})\n${keysTable(b)}`,
    );
  }
  if (sub === 'withdraw-key') {
    if (arg === undefined || words.length !== 3)
      throw new UsageError('passes withdraw-key needs one key id (1..255): passes withdraw-key KEY_ID');
    if (!/^\d{1,3}$/.test(arg) || Number(arg) < 1 || Number(arg) > 255)
      throw new UsageError('a pass key id is a whole number 1..255');
    const keyId = Number(arg);
    return show(
      ctx,
      await ctx.http.post(`/api/v1/admin/passes/keys/${String(keyId)}/withdraw`, {}),
      (b: KeysAnswer) =>
        `pass key ${String(keyId)} withdrawn: lanes refuse every pass it signed once they sync; ` +
        `key ${String(b.current)} signs (directory version ${String(b.version)})\n${keysTable(b)}`,
    );
  }
  if (sub === 'revoke') {
    if (arg === undefined || words.length !== 3)
      throw new UsageError(
        'passes revoke needs one pass id (16 lower-case hex digits): passes revoke PASS_ID',
      );
    if (!/^[0-9a-f]{16}$/.test(arg)) throw new UsageError('a pass id is 16 lower-case hex digits');
    return show(
      ctx,
      await ctx.http.post(`/api/v1/admin/passes/${arg}/revoke`, {}),
      (b: { passId: string; already: boolean; until: number; version: number }) =>
        `pass ${b.passId} ${b.already ? 'was already revoked' : 'revoked'}; lanes refuse it once they sync (listed until ${isoOrDash(b.until)}, directory version ${b.version})`,
    );
  }
  throw new UsageError(`unknown command: ${words.join(' ')}`);
}
