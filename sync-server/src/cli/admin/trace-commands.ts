// checkpoint-admin `trace SUBJECT…`: starts a contact trace on the server (issue 15), follows its
// progress on stderr, then prints the contacts as a table (or JSON with --json) or writes them as
// CSV (--csv FILE). The admin CLI is the centre's tool: like the trace routes it shows subjects.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { TraceContactView, TraceCreated, TraceView } from '@checkpoint-lane/shared';
import { EXIT, failed, table, UsageError, wholeNumber, type AdminContext } from './admin-io.js';

/** The flags `trace` reads besides `--from` and `--to` (the scan commands define those). */
export const TRACE_OPTIONS = {
  window: { type: 'string' },
  hops: { type: 'string' },
  csv: { type: 'string' },
} as const;

/** Values `trace` reads. */
export interface TraceFlags {
  readonly window?: string | undefined;
  readonly hops?: string | undefined;
  readonly csv?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/** How often the trace is polled, ms. */
const POLL_MS = 500;
/** Contacts read per page for the table. */
const PAGE = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const iso = (ms: number): string => new Date(ms).toISOString();

/** Writes the progress: one updating line on a terminal, a line per tenth otherwise. */
function progressWriter(ctx: AdminContext): { update(f: number): void; end(): void } {
  const tty = ctx.io.stderr.isTTY === true;
  let shown = -1;
  return {
    update(f) {
      const pct = Math.floor(f * 100);
      if (tty) ctx.io.stderr.write(`\rĐang truy vết (tracing)… ${String(pct).padStart(3)}%`);
      else if (Math.floor(pct / 10) > shown) {
        shown = Math.floor(pct / 10);
        ctx.io.stderr.write(`Đang truy vết (tracing)… ${pct}%\n`);
      }
    },
    end() {
      if (tty) ctx.io.stderr.write('\n');
    },
  };
}

/** A contact as a table row: who, how, and where and when it was first seen near whom. */
function contactRow(c: TraceContactView): Record<string, unknown> {
  const e = c.evidence[0];
  return {
    subject: c.subject ?? `(${c.key})`,
    hop: c.hop,
    via: c.via,
    checkpoint: e?.checkpointId,
    lane: e?.kioskId,
    at: e === undefined ? undefined : iso(e.at),
    index: e?.indexSubject ?? e?.indexKey,
    indexAt: e === undefined ? undefined : iso(e.indexAt),
    evidence: c.evidenceCount,
  };
}

/** `trace SUBJECT… [--window MIN] [--from ISO] [--to ISO] [--hops 1|2] [--csv FILE]`. */
export async function runTrace(ctx: AdminContext, words: readonly string[], v: TraceFlags): Promise<number> {
  const subjects = words.slice(1);
  if (subjects.length === 0) throw new UsageError('trace: give at least one subject (ID, passport or plate)');
  const windowMinutes = wholeNumber('window', v.window);
  if (v.hops !== undefined && v.hops !== '1' && v.hops !== '2') throw new UsageError('--hops must be 1 or 2');
  const body = {
    subjects,
    ...(v.from !== undefined && { from: v.from }),
    ...(v.to !== undefined && { to: v.to }),
    ...(windowMinutes !== undefined && { windowMinutes }),
    ...(v.hops !== undefined && { hops: Number(v.hops) }),
  };
  const started = await ctx.http.post('/api/v1/admin/traces', body);
  if (started.status !== 202) {
    if ((started.data as { error?: string } | null)?.error === 'bad_subjects')
      ctx.io.stderr.write('checkpoint-admin: có mã không đọc được (not an ID, passport or plate):\n');
    return failed(ctx, started);
  }
  const { id, indexCount } = started.data as TraceCreated;
  ctx.io.stderr.write(`Mã truy vết (trace id): ${id} — ${indexCount} người nguồn (index subjects)\n`);

  const progress = progressWriter(ctx);
  let view: TraceView;
  for (;;) {
    const res = await ctx.http.get(`/api/v1/admin/traces/${id}`, { params: { limit: 0 } });
    if (res.status !== 200) {
      progress.end();
      return failed(ctx, res);
    }
    view = res.data as TraceView;
    progress.update(view.progress);
    if (view.status !== 'running') break;
    await sleep(POLL_MS);
  }
  progress.end();
  if (view.status === 'failed') {
    ctx.io.stderr.write(`checkpoint-admin: truy vết thất bại (the trace failed): ${view.error ?? ''}\n`);
    if (ctx.json) ctx.io.stdout.write(`${JSON.stringify(view)}\n`);
    return EXIT.rejected;
  }

  if (view.hop2Skipped !== null && view.hop2Skipped !== undefined) {
    ctx.io.stderr.write(
      `checkpoint-admin: không chạy bước 2: bước 1 có ${view.contactCount ?? 0} người tiếp xúc, quá giới hạn ${view.hop2Skipped} ` +
        `(hop 2 not run: hop 1 found more contacts than the server's limit; trace fewer index subjects)\n`,
    );
  }
  if (v.csv !== undefined) {
    const res = await ctx.http.get(`/api/v1/admin/traces/${id}/contacts.csv`, { responseType: 'stream' });
    if (res.status !== 200) return failed(ctx, { ...res, data: await streamText(res.data as Readable) });
    await pipeline(res.data as Readable, createWriteStream(v.csv));
    ctx.io.stderr.write(
      `Đã ghi ${view.contactCount ?? 0} người tiếp xúc vào ${v.csv} (contacts written, one line per evidence)\n`,
    );
    if (ctx.json) ctx.io.stdout.write(`${JSON.stringify({ ...view, csv: v.csv })}\n`);
    return EXIT.ok;
  }

  const contacts: TraceContactView[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const res = await ctx.http.get(`/api/v1/admin/traces/${id}`, { params: { offset, limit: PAGE } });
    if (res.status !== 200) return failed(ctx, res);
    const page = res.data as TraceView;
    contacts.push(...page.contacts);
    if (page.contacts.length < PAGE) break;
  }
  if (ctx.json) {
    ctx.io.stdout.write(`${JSON.stringify({ ...view, offset: 0, limit: contacts.length, contacts })}\n`);
    return EXIT.ok;
  }
  ctx.io.stdout.write(
    `${table(contacts.map(contactRow), ['subject', 'hop', 'via', 'checkpoint', 'lane', 'at', 'index', 'indexAt', 'evidence'])}\n`,
  );
  ctx.io.stderr.write(`${contacts.length} người tiếp xúc (contacts)\n`);
  return EXIT.ok;
}

/** A small error body read from a stream (an error answer to a streamed request). */
async function streamText(stream: Readable): Promise<unknown> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.length > 4096) break;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
