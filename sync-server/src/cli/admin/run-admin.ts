import { createReadStream, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkServerUrl } from '@checkpoint-lane/shared';
import axios, { AxiosError, type AxiosInstance, type AxiosResponse } from 'axios';

/** Where the CLI writes, and what it reads from the environment (injected for tests). */
export interface AdminIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown; isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Where `accounts add|set` read a password when `CHECKPOINT_ACCOUNT_PASSWORD` is unset, and
   * `officers set --pin` a PIN when `CHECKPOINT_OFFICER_PIN` is (default: process.stdin).
   */
  readonly stdin?: NodeJS.ReadableStream;
}

/** Exit codes: 0 ok, 1 rows rejected or a 4xx answer, 2 usage, 3 server unreachable or failing. */
export const EXIT = { ok: 0, rejected: 1, usage: 2, unreachable: 3 } as const;

const HELP = `Usage: checkpoint-admin [--server URL] [--token T] [--json] <command>

  lists import health|whitelist FILE.csv [--partial] [--replace]
  checkpoints add --id ID --name NAME --mode open|closed [--freshness-budget SEC]
                  [--blocking F0,F1] [--repeat-window SEC]
  checkpoints list
  enroll CHECKPOINT [--ttl SEC]
  kiosks
  revoke KIOSK_ID
  scans [--subject ID] [--checkpoint ID] [--from TIME] [--to TIME] [--decision green|red|amber] [--limit N]
  alerts [--limit N]
  accounts add USERNAME --role admin|viewer [--display-name NAME]
  accounts list
  accounts set USERNAME [--role admin|viewer] [--display-name NAME] [--disable|--enable] [--password]
  officers list
  officers set ID [--name NAME] [--role officer|supervisor] [--checkpoints A,B | --all-checkpoints]
                  [--pin | --pin-from-env]
  officers disable ID
  officers enable ID

Account passwords come from $CHECKPOINT_ACCOUNT_PASSWORD, else the first line of stdin.
Officer PINs (4-8 digits, never on the command line): --pin-from-env reads $CHECKPOINT_OFFICER_PIN;
--pin reads it too, else the first line of stdin. A new officer needs a PIN; without one an
existing officer keeps theirs, and unset --name, --role, --checkpoints keep their values.

--server defaults to $CHECKPOINT_SERVER, --token to $CHECKPOINT_ADMIN_TOKEN. Use https:// (plain
http:// to another machine works but warns: the token would travel unencrypted; see docs/tls.md).
Exit codes: 0 ok, 1 rows rejected or request refused, 2 usage, 3 server unreachable.`;

class UsageError extends Error {}

interface Ctx {
  readonly http: AxiosInstance;
  readonly io: AdminIo;
  readonly json: boolean;
  readonly server: string;
}

/** Runs one admin command; resolves with the process exit code. */
export async function runAdmin(argv: readonly string[], io: AdminIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        server: { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        partial: { type: 'boolean', default: false },
        replace: { type: 'boolean', default: false },
        id: { type: 'string' },
        name: { type: 'string' },
        mode: { type: 'string' },
        'freshness-budget': { type: 'string' },
        blocking: { type: 'string' },
        'repeat-window': { type: 'string' },
        ttl: { type: 'string' },
        subject: { type: 'string' },
        checkpoint: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        decision: { type: 'string' },
        limit: { type: 'string' },
        role: { type: 'string' },
        'display-name': { type: 'string' },
        disable: { type: 'boolean', default: false },
        enable: { type: 'boolean', default: false },
        password: { type: 'boolean', default: false },
        checkpoints: { type: 'string' },
        'all-checkpoints': { type: 'boolean', default: false },
        pin: { type: 'boolean', default: false },
        'pin-from-env': { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    io.stderr.write(`checkpoint-admin: ${(e as Error).message}\n\n${HELP}\n`);
    return EXIT.usage;
  }
  const { values: v, positionals: p } = parsed;
  if (v.help || p.length === 0) {
    (v.help ? io.stdout : io.stderr).write(`${HELP}\n`);
    return v.help ? EXIT.ok : EXIT.usage;
  }
  // An unknown command says so first, not "no server" (that would send a typo hunting for a URL).
  if (!COMMANDS.has(p[0] ?? '')) return usage(io, `unknown command: ${p.join(' ')}`);
  const server = (v.server ?? io.env.CHECKPOINT_SERVER ?? '').replace(/\/+$/, '');
  const token = v.token ?? io.env.CHECKPOINT_ADMIN_TOKEN ?? '';
  if (server === '') return usage(io, 'no server: pass --server URL or set CHECKPOINT_SERVER');
  if (token === '') return usage(io, 'no admin token: pass --token T or set CHECKPOINT_ADMIN_TOKEN');
  const transport = checkServerUrl(server, { allowInsecureHttp: true });
  if (!transport.ok) return usage(io, `--server ${transport.message}`);
  if (transport.transport === 'insecure-http') {
    // A warning, not a refusal: an admin may have no other way in, but should know the cost.
    io.stderr.write(
      `checkpoint-admin: warning: ${server} is plain http:// to another machine: the admin token and ` +
        'everything sent travel unencrypted; use https:// (see docs/tls.md)\n',
    );
  }
  const ctx: Ctx = {
    http: axios.create({
      baseURL: server,
      headers: { authorization: `Bearer ${token}` },
      validateStatus: () => true,
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
      timeout: 0,
    }),
    io,
    json: v.json,
    server,
  };
  const int = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number`);
    return Number(text);
  };
  try {
    const [cmd, sub, ...rest] = p;
    if (cmd === 'lists' && sub === 'import') {
      const [list, file] = rest;
      if ((list !== 'health' && list !== 'whitelist') || file === undefined) {
        throw new UsageError('lists import health|whitelist FILE.csv');
      }
      return await importList(ctx, list, file, v.partial, v.replace);
    }
    if (cmd === 'checkpoints' && sub === 'add') {
      if (v.id === undefined || v.name === undefined || v.mode === undefined) {
        throw new UsageError('checkpoints add needs --id, --name and --mode open|closed');
      }
      const body = {
        id: v.id,
        name: v.name,
        mode: v.mode,
        ...(v['freshness-budget'] !== undefined && {
          freshnessBudgetSec: int('freshness-budget', v['freshness-budget']),
        }),
        ...(v['repeat-window'] !== undefined && {
          repeatWindowSec: int('repeat-window', v['repeat-window']),
        }),
        ...(v.blocking !== undefined && { blockingStatuses: v.blocking.split(',').map((s) => s.trim()) }),
      };
      return await show(
        ctx,
        await ctx.http.post('/api/v1/admin/checkpoints', body),
        (b: Record<string, unknown>) =>
          `checkpoint ${String(b.id)} (${String(b.mode)}): freshness ${String(b.freshnessBudgetSec)} s, blocking ${JSON.stringify(b.blockingStatuses)}`,
      );
    }
    if (cmd === 'checkpoints' && (sub === 'list' || sub === undefined)) {
      return await show(
        ctx,
        await ctx.http.get('/api/v1/admin/checkpoints'),
        (b: { checkpoints: Record<string, unknown>[] }) =>
          table(b.checkpoints, ['id', 'name', 'mode', 'freshnessBudgetSec', 'blockingStatuses']),
      );
    }
    if (cmd === 'enroll' && sub !== undefined) {
      const ttl = int('ttl', v.ttl);
      const res = await ctx.http.post('/api/v1/admin/enrollments', {
        checkpointId: sub,
        ...(ttl !== undefined && { ttlSec: ttl }),
      });
      return await show(
        ctx,
        res,
        (b: { code: string; expiresAt: string }) =>
          `enrollment code for ${sub}: ${b.code} (one use, expires ${b.expiresAt})`,
      );
    }
    if (cmd === 'kiosks') {
      return await show(
        ctx,
        await ctx.http.get('/api/v1/admin/kiosks'),
        (b: { kiosks: Record<string, unknown>[] }) =>
          table(
            b.kiosks.map((k) => ({
              ...k,
              lastHeartbeatAt:
                typeof k.lastHeartbeatAt === 'number' ? new Date(k.lastHeartbeatAt).toISOString() : '-',
              lists: JSON.stringify(k.listVersions),
              revoked: k.revokedAt === null ? '' : 'revoked',
            })),
            ['id', 'name', 'checkpointId', 'online', 'lastHeartbeatAt', 'lists', 'backlog', 'revoked'],
          ),
      );
    }
    if (cmd === 'revoke' && sub !== undefined) {
      return await show(
        ctx,
        await ctx.http.post(`/api/v1/admin/kiosks/${encodeURIComponent(sub)}/revoke`, {}),
        () => `kiosk ${sub} revoked`,
      );
    }
    if (cmd === 'scans') {
      const params = Object.fromEntries(
        (['subject', 'checkpoint', 'from', 'to', 'decision', 'limit'] as const)
          .filter((k) => v[k] !== undefined)
          .map((k) => [k, v[k]]),
      );
      return await show(
        ctx,
        await ctx.http.get('/api/v1/admin/scans', { params }),
        (b: { scans: Record<string, unknown>[] }) =>
          table(
            b.scans.map((s) => ({
              ...s,
              at: new Date(Number(s.at)).toISOString(),
              reasons: (s.reasons as string[]).join(' '),
            })),
            ['at', 'checkpointId', 'kioskId', 'seq', 'decision', 'reasons', 'subjectKey'],
          ),
      );
    }
    if (cmd === 'alerts') {
      const limit = int('limit', v.limit);
      return await show(
        ctx,
        await ctx.http.get('/api/v1/admin/alerts', { params: limit === undefined ? {} : { limit } }),
        (b: { alerts: Record<string, unknown>[] }) =>
          table(
            b.alerts.map((a) => ({
              ...a,
              at: new Date(Number(a.at)).toISOString(),
              kind: a['kind'] ?? 'health',
              // What happened at the lane, and why an override alert distrusts its record.
              atLane: (a['outcome'] as { state?: string } | undefined)?.state ?? '-',
              issues: Array.isArray(a['issues']) ? (a['issues'] as string[]).join(' ') : '',
            })),
            ['id', 'at', 'kind', 'checkpointId', 'kioskName', 'status', 'subjectMasked', 'atLane', 'issues'],
          ),
      );
    }
    if (cmd === 'accounts') return await accounts(ctx, sub, rest, v);
    if (cmd === 'officers') return await officers(ctx, sub, rest, v);
    throw new UsageError(`unknown command: ${p.join(' ')}`);
  } catch (e) {
    if (e instanceof UsageError) return usage(io, e.message);
    if (e instanceof AxiosError && e.response === undefined) {
      io.stderr.write(
        `checkpoint-admin: cannot reach the server at ${server} (${e.code ?? e.message}); is checkpoint-server running?\n`,
      );
      return EXIT.unreachable;
    }
    if (e instanceof Error && 'code' in e && (e as NodeJS.ErrnoException).code === 'ENOENT') {
      io.stderr.write(`checkpoint-admin: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
}

interface AccountFlags {
  readonly role?: string | undefined;
  readonly 'display-name'?: string | undefined;
  readonly disable: boolean;
  readonly enable: boolean;
  readonly password: boolean;
}

const ACCOUNT_COLUMNS = ['username', 'displayName', 'role', 'state', 'lastLoginAt'];

const accountRow = (a: Record<string, unknown>): Record<string, unknown> => ({
  ...a,
  state:
    a.disabled === true
      ? 'disabled'
      : typeof a.lockedUntil === 'number' && a.lockedUntil > Date.now()
        ? 'locked'
        : 'active',
  lastLoginAt: typeof a.lastLoginAt === 'number' ? new Date(a.lastLoginAt).toISOString() : '-',
});

/** `accounts add|list|set`: console accounts, with the password from the environment or stdin. */
async function accounts(
  ctx: Ctx,
  sub: string | undefined,
  rest: readonly string[],
  v: AccountFlags,
): Promise<number> {
  const role = v.role;
  if (role !== undefined && role !== 'admin' && role !== 'viewer') {
    throw new UsageError('--role must be admin or viewer');
  }
  if (sub === 'list' || sub === undefined) {
    return show(
      ctx,
      await ctx.http.get('/api/v1/admin/accounts'),
      (b: { accounts: Record<string, unknown>[] }) => table(b.accounts.map(accountRow), ACCOUNT_COLUMNS),
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
    });
    return show(
      ctx,
      res,
      (b: Record<string, unknown>) => `account ${String(b.username)} (${String(b.role)}) created`,
    );
  }
  if (sub === 'set') {
    if (v.disable && v.enable) throw new UsageError('--disable and --enable exclude each other');
    const body = {
      ...(role !== undefined && { role }),
      ...(v['display-name'] !== undefined && { displayName: v['display-name'] }),
      ...(v.disable && { disabled: true }),
      ...(v.enable && { disabled: false }),
      ...(v.password && { password: await readPassword(ctx.io, username) }),
    };
    if (Object.keys(body).length === 0) {
      throw new UsageError('accounts set needs --role, --display-name, --disable, --enable or --password');
    }
    return show(ctx, await ctx.http.patch(path, body), (b: Record<string, unknown>) =>
      table([accountRow(b)], ACCOUNT_COLUMNS),
    );
  }
  throw new UsageError(`unknown command: accounts ${sub}`);
}

interface OfficerFlags {
  readonly name?: string | undefined;
  readonly role?: string | undefined;
  readonly checkpoints?: string | undefined;
  readonly 'all-checkpoints': boolean;
  readonly pin: boolean;
  readonly 'pin-from-env': boolean;
}

interface OfficerView {
  id: string;
  name: string;
  role: string;
  checkpoints: string[] | null;
  disabled: boolean;
  updatedAt: number;
}

const OFFICER_COLUMNS = ['id', 'name', 'role', 'checkpoints', 'state', 'updatedAt'];

const officerRow = (o: OfficerView): Record<string, unknown> => ({
  ...o,
  checkpoints: o.checkpoints === null ? '(all)' : o.checkpoints.join(','),
  state: o.disabled ? 'disabled' : 'active',
  updatedAt: new Date(o.updatedAt).toISOString(),
});

/** `officers list|set|disable|enable`: the central officer roster, PINs from the environment or stdin. */
async function officers(
  ctx: Ctx,
  sub: string | undefined,
  rest: readonly string[],
  v: OfficerFlags,
): Promise<number> {
  if (sub === 'list' || sub === undefined) {
    return show(
      ctx,
      await ctx.http.get('/api/v1/admin/officers'),
      (b: { version: number; officers: OfficerView[] }) =>
        `roster version ${b.version}\n${table(b.officers.map(officerRow), OFFICER_COLUMNS)}`,
    );
  }
  const [id, ...extra] = rest;
  if (id === undefined || extra.length > 0) throw new UsageError(`officers ${sub} ID`);
  const path = `/api/v1/admin/officers/${encodeURIComponent(id)}`;
  const human = (b: { version: number; officer: OfficerView }): string =>
    `${table([officerRow(b.officer)], OFFICER_COLUMNS)}\nroster version ${b.version}`;
  if (sub === 'disable' || sub === 'enable')
    return show(ctx, await ctx.http.post(`${path}/${sub}`, {}), human);
  if (sub !== 'set') throw new UsageError(`unknown command: officers ${sub}`);
  if (v.role !== undefined && v.role !== 'officer' && v.role !== 'supervisor') {
    throw new UsageError('--role must be officer or supervisor');
  }
  if (v.checkpoints !== undefined && v['all-checkpoints']) {
    throw new UsageError('--checkpoints and --all-checkpoints exclude each other');
  }
  if (v.pin && v['pin-from-env']) throw new UsageError('--pin and --pin-from-env exclude each other');
  const checkpoints =
    v.checkpoints === undefined
      ? undefined
      : v.checkpoints
          .split(',')
          .map((c) => c.trim())
          .filter((c) => c !== '');
  if (checkpoints?.length === 0) throw new UsageError('--checkpoints needs at least one checkpoint id');
  let name = v.name;
  let role: string | undefined = v.role;
  if (name === undefined || role === undefined) {
    // The API replaces name and role: keep the current ones the command line leaves out.
    const current = await ctx.http.get('/api/v1/admin/officers');
    if (current.status !== 200) return failed(ctx, current);
    const existing = (current.data as { officers: OfficerView[] }).officers.find((o) => o.id === id);
    if (existing === undefined)
      throw new UsageError(`officer ${id} is new: officers set needs --name and --role`);
    name ??= existing.name;
    role ??= existing.role;
  }
  const pin = v.pin || v['pin-from-env'] ? await readPin(ctx.io, id, v['pin-from-env']) : undefined;
  const res = await ctx.http.put(path, {
    name,
    role,
    ...(checkpoints !== undefined && { checkpoints }),
    ...(v['all-checkpoints'] && { checkpoints: null }),
    ...(pin !== undefined && { pin }),
  });
  return show(ctx, res, human);
}

/** An officer's PIN: `$CHECKPOINT_OFFICER_PIN`, else (unless `envOnly`) one line of stdin. */
async function readPin(io: AdminIo, id: string, envOnly: boolean): Promise<string> {
  const fromEnv = io.env.CHECKPOINT_OFFICER_PIN;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (envOnly) throw new UsageError('--pin-from-env: CHECKPOINT_OFFICER_PIN is not set');
  const stdin = io.stdin ?? process.stdin;
  if ((stdin as { isTTY?: boolean }).isTTY === true)
    io.stderr.write(`PIN for officer ${id} (shown as typed): `);
  const line = (await readLine(stdin)).trim();
  if (line === '') throw new UsageError('no PIN: set CHECKPOINT_OFFICER_PIN or pipe one line to stdin');
  return line;
}

/** The password for an account: `$CHECKPOINT_ACCOUNT_PASSWORD`, else one line of stdin. */
async function readPassword(io: AdminIo, username: string): Promise<string> {
  const fromEnv = io.env.CHECKPOINT_ACCOUNT_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const stdin = io.stdin ?? process.stdin;
  if ((stdin as { isTTY?: boolean }).isTTY === true)
    io.stderr.write(`password for ${username} (shown as typed): `);
  const line = await readLine(stdin);
  if (line === '')
    throw new UsageError('no password: set CHECKPOINT_ACCOUNT_PASSWORD or pipe one line to stdin');
  return line;
}

/** The first line of a stream (without its line ending), or what it holds if it ends first. */
function readLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (): void => {
      stream.off('data', onData);
      stream.off('end', done);
      stream.off('error', reject);
      stream.pause();
      resolve(text.split(/\r?\n/)[0] ?? '');
    };
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      if (text.includes('\n') || text.length > 4096) done();
    };
    stream.on('data', onData);
    stream.once('end', done);
    stream.once('error', reject);
  });
}

/** The top-level commands `runAdmin` knows. */
const COMMANDS = new Set([
  'lists',
  'checkpoints',
  'enroll',
  'kiosks',
  'revoke',
  'scans',
  'alerts',
  'accounts',
  'officers',
]);

function usage(io: AdminIo, message: string): number {
  io.stderr.write(`checkpoint-admin: ${message}\n(see --help)\n`);
  return EXIT.usage;
}

/** Prints a response: JSON with --json, else the human form; errors go to stderr. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON shape
async function show<B>(ctx: Ctx, res: AxiosResponse, human: (body: B) => string): Promise<number> {
  await Promise.resolve();
  if (res.status >= 200 && res.status < 300) {
    ctx.io.stdout.write(ctx.json ? `${JSON.stringify(res.data)}\n` : `${human(res.data as B)}\n`);
    return EXIT.ok;
  }
  return failed(ctx, res);
}

function failed(ctx: Ctx, res: AxiosResponse): number {
  const body = res.data as { error?: string; message?: string } | string;
  const msg =
    typeof body === 'object' ? `${body.message ?? ''} (${body.error ?? res.status})` : body.slice(0, 200);
  if (ctx.json)
    ctx.io.stdout.write(
      `${JSON.stringify({ status: res.status, ...(typeof body === 'object' ? body : {}) })}\n`,
    );
  ctx.io.stderr.write(`checkpoint-admin: the server answered ${res.status}: ${msg}\n`);
  return res.status >= 500 ? EXIT.unreachable : EXIT.rejected;
}

/** A plain text table. */
export function table(rows: readonly Record<string, unknown>[], cols: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (v: unknown): string =>
    v === null || v === undefined
      ? '-'
      : typeof v === 'string'
        ? v
        : typeof v === 'number' || typeof v === 'boolean'
          ? String(v)
          : JSON.stringify(v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]): string =>
    vals
      .map((x, i) => x.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line([...cols]), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

/** A progress bar line for stderr. */
export function progressBar(done: number, total: number, width = 30): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(f * width);
  const mb = (n: number): string => (n / 1048576).toFixed(1);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(f * 100).toFixed(0).padStart(3)}% ${mb(done)}/${mb(total)} MB`;
}

interface ImportBody {
  version: number;
  accepted: number;
  rejected: { line: number; reason: string }[];
  rejectedTotal: number;
  applied: boolean;
  message?: string;
  error?: string;
}

async function importList(
  ctx: Ctx,
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
  const body = res.data as ImportBody;
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
