// checkpoint-admin `accounts add|list|set`: console accounts, the password from
// $CHECKPOINT_ACCOUNT_PASSWORD or the first line of stdin (never the command line).
import type { AccountList, AccountView } from '@checkpoint-lane/shared';
import { promptLine, show, table, UsageError, type AdminContext, type AdminIo } from './admin-io.js';

/** The flags the accounts commands read. */
export const ACCOUNT_OPTIONS = {
  role: { type: 'string' },
  'display-name': { type: 'string' },
  disable: { type: 'boolean', default: false },
  enable: { type: 'boolean', default: false },
  password: { type: 'boolean', default: false },
  province: { type: 'string' },
} as const;

/** Values of `ACCOUNT_OPTIONS`. */
export interface AccountFlags {
  readonly role?: string | undefined;
  readonly 'display-name'?: string | undefined;
  readonly disable: boolean;
  readonly enable: boolean;
  readonly password: boolean;
  readonly province?: string | undefined;
}

/** `--province CODE|none`: the GSO code (1..99) an account is limited to, or none. */
function provinceOf(value: string): number | null {
  const v = value.trim().toLowerCase();
  if (v === 'none') return null;
  const n = /^\d{1,2}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 99))
    throw new UsageError(`--province takes a GSO province code 1..99 or none, not ${JSON.stringify(value)}`);
  return n;
}

const ACCOUNT_COLUMNS = ['username', 'displayName', 'role', 'province', 'state', 'lastLoginAt'];

const accountRow = (a: AccountView): Record<string, unknown> => ({
  ...a,
  state: a.disabled
    ? 'disabled'
    : typeof a.lockedUntil === 'number' && a.lockedUntil > Date.now()
      ? 'locked'
      : 'active',
  lastLoginAt: typeof a.lastLoginAt === 'number' ? new Date(a.lastLoginAt).toISOString() : '-',
});

/** `accounts add|list|set`. */
export async function runAccounts(
  ctx: AdminContext,
  words: readonly string[],
  v: AccountFlags,
): Promise<number> {
  const [, sub, ...rest] = words;
  const role = v.role;
  const province = v.province === undefined ? undefined : provinceOf(v.province);
  if (role !== undefined && role !== 'admin' && role !== 'viewer') {
    throw new UsageError('--role must be admin or viewer');
  }
  if (sub === 'list' || sub === undefined) {
    return show(ctx, await ctx.http.get('/api/v1/admin/accounts'), (b: AccountList) =>
      table(b.accounts.map(accountRow), ACCOUNT_COLUMNS),
    );
  }
  const [username, ...extra] = rest;
  if (username === undefined || extra.length > 0) throw new UsageError(`accounts ${sub} USERNAME`);
  const path = `/api/v1/admin/accounts/${encodeURIComponent(username)}`;
  if (sub === 'add') {
    if (role === undefined) throw new UsageError('accounts add needs --role admin|viewer');
    const password = await readPassword(ctx.io, username);
    const res = await ctx.http.post('/api/v1/admin/accounts', {
      username,
      displayName: v['display-name'] ?? username,
      role,
      password,
      ...(province !== undefined && { province }),
    });
    return show(ctx, res, (b: AccountView) => `account ${b.username} (${b.role}) created`);
  }
  if (sub === 'set') {
    if (v.disable && v.enable) throw new UsageError('--disable and --enable exclude each other');
    const body = {
      ...(role !== undefined && { role }),
      ...(v['display-name'] !== undefined && { displayName: v['display-name'] }),
      ...(v.disable && { disabled: true }),
      ...(v.enable && { disabled: false }),
      ...(v.password && { password: await readPassword(ctx.io, username) }),
      ...(province !== undefined && { province }),
    };
    if (Object.keys(body).length === 0) {
      throw new UsageError(
        'accounts set needs --role, --display-name, --province, --disable, --enable or --password',
      );
    }
    return show(ctx, await ctx.http.patch(path, body), (b: AccountView) =>
      table([accountRow(b)], ACCOUNT_COLUMNS),
    );
  }
  throw new UsageError(`unknown command: accounts ${sub}`);
}

/** The password for an account: `$CHECKPOINT_ACCOUNT_PASSWORD`, else one line of stdin. */
async function readPassword(io: AdminIo, username: string): Promise<string> {
  const fromEnv = io.env.CHECKPOINT_ACCOUNT_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const line = await promptLine(io, `password for ${username} (shown as typed): `);
  if (line === '')
    throw new UsageError('no password: set CHECKPOINT_ACCOUNT_PASSWORD or pipe one line to stdin');
  return line;
}
