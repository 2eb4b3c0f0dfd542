import { Readable } from 'node:stream';
import {
  decodeAs,
  EnrollAnswer,
  ErrorAnswer,
  Counter,
  HeartbeatAnswer as HeartbeatAnswerSchema,
  LIST_COUNT_HEADER,
  LIST_ISSUED_AT_HEADER,
  LIST_KEY_ID_HEADER,
  LIST_SIGNATURE_HEADER,
  LIST_VERSION_HEADER,
  ListChanges as ListChangesSchema,
  ListKeyAnswer,
  ListKeyId,
  OfficerRoster,
  PASSES_SIGNATURE_HEADER,
  PassDirectory,
  ScanUploadAckSchema,
  SnapshotVersion,
  type EnrollRequest,
  type HeartbeatReport as HeartbeatReportBody,
  type LaneRecord,
  type ListName,
  type Result,
  type ScanUpload,
  type WireChange as WireChangeShape,
} from '@checkpoint-lane/shared';
import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse, isAxiosError } from 'axios';
import type { Static, TSchema } from 'typebox';
import { failsOver, ServerPool, splitServerList, type ServerPoolSetup } from './server-pool.js';

// The kiosk API's shapes are the contract's (shared/src/contract/kiosk-api.ts); these names stay
// importable from here for the lane's sync parts.

/** What enrollment returns. */
export type Enrollment = EnrollAnswer;
/** One change to a list entry as `changes?since=V` and `urgent` send it. */
export type WireChange = WireChangeShape;
/** A delta between two list versions. */
export type ListChanges = ListChangesSchema;
/** What a lane reports in its heartbeat. */
export type HeartbeatReport = HeartbeatReportBody;
/** What a heartbeat answers; `officersVersion` is absent from servers without central rosters. */
export type HeartbeatAnswer = HeartbeatAnswerSchema;

/** A snapshot answer: its bytes as they arrive, its version, and what its signature covers. */
export interface SnapshotAnswer {
  readonly stream: Readable;
  readonly version: number;
  /** `x-list-count`: entries the lane holds once it is applied (absent: unsigned). */
  readonly count?: number;
  /** `x-list-issued-at`: when the server signed it (epoch ms; absent: unsigned). */
  readonly issuedAt?: number;
  /** `x-list-signature` (absent: unsigned). */
  readonly signature?: string;
  /** `x-list-key-id`: the list key the entries are keyed with (absent: 0, the fleet-wide key). */
  readonly keyId: number;
  /** Where the bytes came from, below `/api/v1/kiosk`: the versioned URL, or `…/snapshot` (an older server). */
  readonly path: string;
}

/** A pass directory answer: the directory, and its `x-passes-signature` (absent: unsigned). */
export interface PassDirectoryFetched {
  readonly directory: PassDirectory;
  readonly signature?: string;
}

/** Times a cut snapshot download is resumed before it fails. */
export const SNAPSHOT_RESUMES = 3;

/** What a snapshot answer's headers say. */
interface SnapshotFacts {
  readonly version: number;
  readonly keyId: number;
  readonly count?: number;
  readonly issuedAt?: number;
  readonly signature?: string;
  /** Its strong ETag (what `If-Range` names). */
  readonly etag?: string;
  /** `Content-Length` of a whole answer. */
  readonly length?: number;
}

/** Reads a snapshot answer's headers; an error names the header that is wrong. */
function snapshotFacts(headers: Readonly<Record<string, unknown>>): Result<SnapshotFacts, string> {
  const text = (name: string): string | undefined => {
    const v = headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  const header = headers[LIST_VERSION_HEADER];
  const version = decodeAs(SnapshotVersion, typeof header === 'string' ? Number(header) : header);
  if (!version.ok)
    return { ok: false, error: `the server sent a snapshot without a valid ${LIST_VERSION_HEADER}` };
  const keyIdText = text(LIST_KEY_ID_HEADER);
  const keyId =
    keyIdText === undefined
      ? ({ ok: true, value: 0 } as const)
      : /^\d{1,10}$/.test(keyIdText)
        ? decodeAs(ListKeyId, Number(keyIdText))
        : ({ ok: false } as const);
  if (!keyId.ok)
    return { ok: false, error: `the server sent a snapshot with an invalid ${LIST_KEY_ID_HEADER}` };
  const countText = text(LIST_COUNT_HEADER);
  const count =
    countText !== undefined && /^\d+$/.test(countText) ? decodeAs(Counter(), Number(countText)) : null;
  const signature = text(LIST_SIGNATURE_HEADER);
  const issuedText = text(LIST_ISSUED_AT_HEADER);
  const issuedAt = issuedText !== undefined && /^\d{1,15}$/.test(issuedText) ? Number(issuedText) : undefined;
  // Only a strong ETag: a weak one does not promise the same bytes.
  const etag = text('etag');
  const lengthText = text('content-length');
  return {
    ok: true,
    value: {
      version: version.value,
      keyId: keyId.value,
      ...(count?.ok === true && { count: count.value }),
      ...(signature !== undefined && { signature }),
      ...(issuedAt !== undefined && { issuedAt }),
      ...(etag !== undefined && /^"[^"]*"$/.test(etag) && { etag }),
      ...(lengthText !== undefined && /^\d{1,15}$/.test(lengthText) && { length: Number(lengthText) }),
    },
  };
}

/**
 * The versioned URL a `Content-Location` names, below `/api/v1/kiosk`
 * (`/lists/{list}/snapshot/{version}/key/{keyId}[/checkpoint/{id}]`), or null when it names none.
 */
function versionedPath(list: ListName, location: unknown): string | null {
  if (typeof location !== 'string') return null;
  const prefix = `/api/v1/kiosk/lists/${list}/snapshot/`;
  if (!location.startsWith(prefix) || !/^[\w%./-]+$/.test(location) || location.includes('..')) return null;
  return location.slice('/api/v1/kiosk'.length);
}

/**
 * A snapshot's bytes as they arrive from `first`; when the answer is cut short (an error, or
 * fewer bytes than its `Content-Length`), the rest from `reopen(bytes so far)`, at most
 * `SNAPSHOT_RESUMES` times (never without an ETag: `reopen` null). Destroying the stream drops
 * the answer being read.
 */
function resumable(
  first: Readable,
  length: number | undefined,
  reopen: ((from: number) => Promise<Readable>) | null,
  signal?: AbortSignal,
): Readable {
  let started = false;
  async function* bytes(): AsyncGenerator<Buffer> {
    started = true;
    let body = first;
    let got = 0;
    try {
      for (let resumes = 0; ; resumes++) {
        const it = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
        let cut: unknown = null;
        for (;;) {
          let next: IteratorResult<Buffer>;
          try {
            next = await it.next();
          } catch (err) {
            cut = err;
            break;
          }
          if (next.done === true) break;
          got += next.value.length;
          yield next.value;
        }
        if (cut === null && (length === undefined || got >= length)) return;
        if (reopen === null || resumes >= SNAPSHOT_RESUMES || signal?.aborted === true)
          throw cut instanceof Error
            ? cut
            : new Error(`the snapshot download ended at byte ${got} of ${length}`);
        body.destroy();
        body = await reopen(got);
      }
    } finally {
      body.destroy();
    }
  }
  const out = Readable.from(bytes(), { objectMode: false });
  // Dropped before a byte was asked for: the generator never ran.
  out.once('close', () => {
    if (!started) first.destroy();
  });
  return out;
}

/**
 * Why a call to the sync server failed: offline (no answer), an HTTP error with its status, or
 * an answer that is not what the kiosk API contract says (nothing of it may be applied).
 */
export type ApiFailure =
  | { readonly kind: 'offline'; readonly message: string }
  | { readonly kind: 'http'; readonly status: number; readonly code: string; readonly message: string }
  | { readonly kind: 'invalid'; readonly message: string };

/** A call's result: expected failures are values, not exceptions. */
export type ApiResult<T> = Result<T, ApiFailure>;

function failureOf(error: unknown): ApiFailure {
  if (isAxiosError(error)) {
    if (error.response) {
      const status = error.response.status;
      const body = decodeAs(ErrorAnswer, error.response.data);
      return body.ok
        ? { kind: 'http', status, code: body.value.error, message: body.value.message }
        : { kind: 'http', status, code: 'http_error', message: `HTTP ${status}` };
    }
    return { kind: 'offline', message: error.code ?? error.message };
  }
  return { kind: 'offline', message: error instanceof Error ? error.message : String(error) };
}

async function attempt<T>(call: () => Promise<T>): Promise<ApiResult<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error: failureOf(error) };
  }
}

/**
 * Calls the server and decodes its answer with the contract's schema: an answer that does not
 * match is an `invalid` failure naming what (`what`) and where it first fails.
 */
async function decoded<S extends TSchema>(
  what: string,
  schema: S,
  call: () => Promise<unknown>,
): Promise<ApiResult<Static<S>>> {
  const res = await attempt(call);
  if (!res.ok) return res;
  const body = decodeAs(schema, res.value);
  if (!body.ok)
    return {
      ok: false,
      error: { kind: 'invalid', message: `the server sent an invalid ${what} (${body.error})` },
    };
  return { ok: true, value: body.value };
}

/**
 * The sync server's kiosk API (HTTP v1), as the lane uses it. With several servers of one fleet
 * (`ServerPool`), each call goes to the current one; when it gets no answer, times out or has a
 * 5xx answer, the pool moves on and the same request is sent once more to the next server. Any
 * other answer (a 4xx included) is the answer: 401, 409 and 410 keep their meaning.
 */
export class ServerApi {
  readonly #http: AxiosInstance;
  readonly #pool: ServerPool;

  /**
   * `servers`: one base URL, a comma-separated list of them (a fleet's servers, in order of
   * preference), or a pool shared with other callers; `pool` sets up a pool made here.
   */
  constructor(
    servers: string | ServerPool,
    token: string | null,
    timeoutMs = 15_000,
    pool: ServerPoolSetup = {},
  ) {
    if (typeof servers === 'string') {
      const urls = splitServerList(servers);
      this.#pool = new ServerPool(urls.length > 0 ? urls : [servers], pool);
    } else {
      this.#pool = servers;
    }
    this.#http = axios.create({
      timeout: timeoutMs,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      maxRedirects: 0,
    });
  }

  /** The servers this API talks to. */
  get servers(): ServerPool {
    return this.#pool;
  }

  /**
   * Sends a request to the current server, and once more to the next one if that one failed;
   * `body`, when given, makes the request body for each try.
   */
  async #send<T>(config: AxiosRequestConfig, body?: () => unknown): Promise<AxiosResponse<T>> {
    const first = this.#pool.current();
    try {
      return await this.#sendTo<T>(first, config, body);
    } catch (error) {
      if (!failsOver(error)) throw error;
      const next = this.#pool.current();
      if (next === first || config.signal?.aborted === true) throw error;
      return await this.#sendTo<T>(next, config, body);
    }
  }

  /** One try at server `index`, reported to the pool. */
  async #sendTo<T>(
    index: number,
    config: AxiosRequestConfig,
    body?: () => unknown,
  ): Promise<AxiosResponse<T>> {
    try {
      const res = await this.#http.request<T>({
        ...config,
        ...(body !== undefined && { data: body() }),
        baseURL: `${this.#pool.url(index).replace(/\/+$/, '')}/api/v1/kiosk`,
      });
      this.#pool.succeeded(index);
      return res;
    } catch (error) {
      if (failsOver(error)) {
        // A streamed 5xx body is not read: let its socket go.
        const data: unknown = isAxiosError(error) ? error.response?.data : undefined;
        if (
          data !== null &&
          typeof data === 'object' &&
          'destroy' in data &&
          typeof data.destroy === 'function'
        )
          (data as Readable).destroy();
        this.#pool.failed(
          index,
          isAxiosError(error)
            ? error.response
              ? `HTTP ${error.response.status}`
              : (error.code ?? 'no answer')
            : 'error',
        );
      } else if (isAxiosError(error) && error.response) {
        this.#pool.succeeded(index);
      }
      throw error;
    }
  }

  /** Trades a one-time enrollment code for this lane's identity, token and list key. */
  enroll(code: string, name: string): Promise<ApiResult<Enrollment>> {
    const body: EnrollRequest = { code, name };
    return decoded(
      'enrollment answer',
      EnrollAnswer,
      async () => (await this.#send<unknown>({ method: 'post', url: '/enroll', data: body })).data,
    );
  }

  /**
   * Opens a list snapshot as a byte stream, with the version it holds and, when the server
   * signed it, its signature and signed entry count (checked by the caller once it has read
   * every byte). A `HEAD` of the current snapshot (`…/snapshot`) gives the signature, made now
   * by the server, and its versioned URL (`Content-Location`); the bytes come from that URL,
   * which a proxy or CDN in front may answer from its cache (with signature headers as old as
   * its copy: not used). Moved on between the two (410): once more from the `HEAD`. A server
   * that names no versioned URL, or answers it with anything but the bytes, a 410 or a 5xx (a
   * 404 from a server without the route, a 308 from one with another form of it), sends the
   * current snapshot by `GET …/snapshot`, as before. A download cut short resumes from the byte
   * it reached (`Range` + `If-Range` with its ETag), up to `SNAPSHOT_RESUMES` times.
   */
  async snapshot(list: ListName, signal?: AbortSignal): Promise<ApiResult<SnapshotAnswer>> {
    const current = `/lists/${list}/snapshot`;
    for (let round = 0; ; round++) {
      // No time limit, as for the bytes: the server may be building the snapshot (its own waits are bounded).
      const head = await attempt(() =>
        this.#send<unknown>({ method: 'head', url: current, timeout: 0, ...(signal ? { signal } : {}) }),
      );
      // No answer, or a 5xx from every server tried: a GET would fare no better now.
      if (!head.ok && !(head.error.kind === 'http' && head.error.status < 500)) return head;
      const path = head.ok ? versionedPath(list, head.value.headers['content-location']) : null;
      if (path === null || !head.ok) return this.#download(current, null, signal);
      const signed = snapshotFacts(head.value.headers);
      if (!signed.ok) return { ok: false, error: { kind: 'invalid', message: signed.error } };
      const res = await this.#download(path, signed.value, signal);
      if (res.ok || res.error.kind !== 'http' || res.error.status >= 500) return res;
      if (res.error.status !== 410) return this.#download(current, null, signal);
      if (round > 0) return res;
    }
  }

  /**
   * GET of a snapshot's bytes at `path`; `signed`: what the `HEAD` of the current snapshot said
   * (its signature, count and time are the answer's; the bytes must be the same version with the
   * same ETag), null to take them from this answer.
   */
  async #download(
    path: string,
    signed: SnapshotFacts | null,
    signal?: AbortSignal,
  ): Promise<ApiResult<SnapshotAnswer>> {
    const res = await attempt(() =>
      this.#send<Readable>({
        method: 'get',
        url: path,
        responseType: 'stream',
        timeout: 0,
        ...(signal ? { signal } : {}),
      }),
    );
    if (!res.ok) return res;
    /** Drops the download and says which header was wrong. */
    const invalid = (message: string) => {
      res.value.data.destroy();
      return { ok: false, error: { kind: 'invalid', message } } as const;
    };
    const got = snapshotFacts(res.value.headers);
    if (!got.ok) return invalid(got.error);
    if (
      signed !== null &&
      (got.value.version !== signed.version ||
        (got.value.etag !== undefined && signed.etag !== undefined && got.value.etag !== signed.etag))
    )
      return invalid('the versioned snapshot URL sent other bytes than the current snapshot names');
    // The HEAD's Content-Length is not this answer's: only this answer's length is taken.
    const etag = signed === null ? got.value.etag : (signed.etag ?? got.value.etag);
    const { length } = got.value;
    const facts: SnapshotFacts =
      signed === null
        ? got.value
        : {
            version: signed.version,
            keyId: signed.keyId,
            ...(signed.count !== undefined && { count: signed.count }),
            ...(signed.signature !== undefined && { signature: signed.signature }),
            ...(signed.issuedAt !== undefined && { issuedAt: signed.issuedAt }),
          };
    const stream = resumable(
      res.value.data,
      length,
      etag === undefined ? null : (from) => this.#resume(path, from, etag, length, signal),
      signal,
    );
    return {
      ok: true,
      value: {
        stream,
        version: facts.version,
        keyId: facts.keyId,
        path,
        ...(facts.count !== undefined && { count: facts.count }),
        ...(facts.signature !== undefined && { signature: facts.signature }),
        ...(facts.issuedAt !== undefined && { issuedAt: facts.issuedAt }),
      },
    };
  }

  /** The rest of a snapshot from byte `from`: only a 206 of the same bytes (`If-Range`) is taken. */
  async #resume(
    path: string,
    from: number,
    etag: string,
    length: number | undefined,
    signal?: AbortSignal,
  ): Promise<Readable> {
    const res = await this.#send<Readable>({
      method: 'get',
      url: path,
      responseType: 'stream',
      timeout: 0,
      headers: { range: `bytes=${from}-`, 'if-range': etag },
      ...(signal ? { signal } : {}),
    });
    const range = res.headers['content-range'] as unknown;
    if (
      res.status !== 206 ||
      typeof range !== 'string' ||
      !range.startsWith(`bytes ${from}-`) ||
      (length !== undefined && !range.endsWith(`/${length}`))
    ) {
      res.data.destroy();
      throw new Error(`the server did not resume the snapshot from byte ${from} (HTTP ${res.status})`);
    }
    return res.data;
  }

  /**
   * The changes to a list since version `since`, keyed with list key `keyId` (the one the lane's
   * list is keyed with). 410/409 mean: take a snapshot; 410 `list_key_rotated`: fetch the new
   * key first.
   */
  changes(list: ListName, since: number, keyId = 0): Promise<ApiResult<ListChanges>> {
    return decoded(
      `${list} delta`,
      ListChangesSchema,
      async () =>
        (
          await this.#send<unknown>({
            method: 'get',
            url: `/lists/${list}/changes`,
            params: { since, keyId },
          })
        ).data,
    );
  }

  /** The current list key of this lane's key scope, and the key scans' subjects are sealed to. */
  listKey(signal?: AbortSignal): Promise<ApiResult<ListKeyAnswer>> {
    return decoded(
      'list key answer',
      ListKeyAnswer,
      async () =>
        (await this.#send<unknown>({ method: 'get', url: '/list-key', ...(signal ? { signal } : {}) })).data,
    );
  }

  /** Uploads a batch; answers the highest contiguous sequence the server holds. */
  async uploadRecords(records: readonly LaneRecord[]): Promise<ApiResult<number>> {
    const body: ScanUpload = { records: [...records] };
    const res = await decoded(
      'upload answer',
      ScanUploadAckSchema,
      async () => (await this.#send<unknown>({ method: 'post', url: '/scans', data: body })).data,
    );
    return res.ok ? { ok: true, value: res.value.ackedThrough } : res;
  }

  /**
   * Reports lane health (with the pool's `servers` stats when several servers are listed);
   * answers the server's time, this lane's checkpoint config and roster version.
   */
  heartbeat(report: HeartbeatReport): Promise<ApiResult<HeartbeatAnswer>> {
    return decoded('heartbeat answer', HeartbeatAnswerSchema, async () => {
      // Where the lane stands with a fleet's servers, as of each try; a lane with one server
      // sends what it did before.
      const pool = this.#pool;
      const data = (): HeartbeatReport =>
        pool.urls.length > 1 ? { ...report, servers: pool.stats() } : report;
      return (await this.#send<unknown>({ method: 'post', url: '/heartbeat' }, data)).data;
    });
  }

  /**
   * The officers valid at this lane's checkpoint and the roster version. An answer that is not
   * a valid roster is an `invalid` failure: nothing of it may be applied.
   */
  officers(): Promise<ApiResult<OfficerRoster>> {
    return decoded(
      'officer roster',
      OfficerRoster,
      async () => (await this.#send<unknown>({ method: 'get', url: '/officers' })).data,
    );
  }

  /**
   * The pass directory (the keys that sign lane passes, revoked passes) and its signature. An
   * answer that is not a valid directory is an `invalid` failure: nothing of it may be applied.
   */
  async passes(): Promise<ApiResult<PassDirectoryFetched>> {
    let signature: string | undefined;
    const res = await decoded('pass directory', PassDirectory, async () => {
      const answer = await this.#send<unknown>({ method: 'get', url: '/passes' });
      const header = answer.headers[PASSES_SIGNATURE_HEADER] as unknown;
      signature = typeof header === 'string' ? header : undefined;
      return answer.data;
    });
    if (!res.ok) return res;
    return { ok: true, value: { directory: res.value, ...(signature !== undefined && { signature }) } };
  }

  /** Opens the server-sent event stream (each event is decoded with `decodeLaneEvent`). */
  events(signal: AbortSignal): Promise<ApiResult<Readable>> {
    return attempt(async () => {
      const res = await this.#send<Readable>({
        method: 'get',
        url: '/events',
        responseType: 'stream',
        timeout: 0,
        signal,
        headers: { accept: 'text/event-stream' },
      });
      return res.data;
    });
  }
}
