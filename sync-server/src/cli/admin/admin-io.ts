// What every checkpoint-admin command group shares: where it writes, the HTTP client it asks
// with, how an answer is printed (JSON with --json, else text; refusals on stderr) and the exit
// codes.
import type { AxiosInstance, AxiosResponse } from 'axios';

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

/** A command line the CLI cannot run: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

/** What a command runs with: the server's client (admin token set), the io and --json. */
export interface AdminContext {
  readonly http: AxiosInstance;
  readonly io: AdminIo;
  readonly json: boolean;
  readonly server: string;
}

/** A whole-number flag's value (undefined when unset); anything else is a usage error. */
export function wholeNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--${name} must be a whole number`);
  return Number(text);
}

/** Prints a response: JSON with --json, else the human form; errors go to stderr. */
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON shape
export async function show<B>(
  ctx: AdminContext,
  res: AxiosResponse,
  human: (body: B) => string,
): Promise<number> {
  await Promise.resolve();
  if (res.status >= 200 && res.status < 300) {
    ctx.io.stdout.write(ctx.json ? `${JSON.stringify(res.data)}\n` : `${human(res.data as B)}\n`);
    return EXIT.ok;
  }
  return failed(ctx, res);
}

/** Reports a refusal or a server failure (stderr, and the body as JSON with --json); its exit code. */
export function failed(ctx: AdminContext, res: AxiosResponse): number {
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

/** Epoch ms as ISO 8601, or '-' when there is no time. */
export function isoOrDash(ms: unknown): string {
  return typeof ms === 'number' ? new Date(ms).toISOString() : '-';
}

/**
 * One line of stdin (a password or PIN, never taken from the command line), with `prompt` on
 * stderr when stdin is a terminal.
 */
export function promptLine(io: AdminIo, prompt: string): Promise<string> {
  const stdin = io.stdin ?? process.stdin;
  if ((stdin as { isTTY?: boolean }).isTTY === true) io.stderr.write(prompt);
  return readLine(stdin);
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
