import type { Readable } from 'node:stream';
import type { CheckpointConfig, LaneRecord, ListName } from '@checkpoint-lane/shared';
import axios, { type AxiosInstance, isAxiosError } from 'axios';
import Value from 'typebox/value';
import { OfficerRosterSchema, type OfficerRoster } from '../agent/officers.js';

/** Why a call to the sync server failed: offline (no answer) or an HTTP error with its status. */
export type ApiFailure =
  | { readonly kind: 'offline'; readonly message: string }
  | { readonly kind: 'http'; readonly status: number; readonly code: string; readonly message: string }
  | { readonly kind: 'invalid'; readonly message: string };

/** A call's result: expected failures are values, not exceptions. */
export type ApiResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: ApiFailure };

/** What enrollment returns. */
export interface Enrollment {
  readonly kioskId: string;
  readonly token: string;
  readonly checkpoint: CheckpointConfig;
  readonly listKey: string;
}

/** One change to a list entry as `changes?since=V` sends it. */
export interface WireChange {
  readonly key: string;
  readonly op: 'put' | 'delete';
  readonly entry?: Readonly<Record<string, unknown>>;
}

/** A delta between two list versions. */
export interface ListChanges {
  readonly list: ListName;
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly changes: readonly WireChange[];
}

/** What a lane reports in its heartbeat. */
export interface HeartbeatReport {
  readonly listVersions: Readonly<Record<ListName, number>>;
  readonly backlog: number;
  readonly devices: readonly { name: string; kind: string; status: string }[];
  readonly clock: number;
}

/** What a heartbeat answers; `officersVersion` is absent from servers without central rosters. */
export interface HeartbeatAnswer {
  readonly serverTime: number;
  readonly checkpoint: CheckpointConfig;
  readonly officersVersion?: number;
}

function failureOf(error: unknown): ApiFailure {
  if (isAxiosError(error)) {
    if (error.response) {
      const body = error.response.data as { error?: unknown; message?: unknown } | undefined;
      return {
        kind: 'http',
        status: error.response.status,
        code: typeof body?.error === 'string' ? body.error : 'http_error',
        message: typeof body?.message === 'string' ? body.message : `HTTP ${error.response.status}`,
      };
    }
    return { kind: 'offline', message: error.code ?? error.message };
  }
  return { kind: 'offline', message: error instanceof Error ? error.message : String(error) };
}

async function attempt<T>(call: () => Promise<T>): Promise<ApiResult<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, failure: failureOf(error) };
  }
}

/** The sync server's kiosk API (HTTP v1), as the lane uses it. */
export class ServerApi {
  readonly #http: AxiosInstance;

  constructor(baseUrl: string, token: string | null, timeoutMs = 15_000) {
    this.#http = axios.create({
      baseURL: `${baseUrl.replace(/\/+$/, '')}/api/v1/kiosk`,
      timeout: timeoutMs,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      maxRedirects: 0,
    });
  }

  /** Trades a one-time enrollment code for this lane's identity, token and list key. */
  enroll(code: string, name: string): Promise<ApiResult<Enrollment>> {
    return attempt(async () => {
      const res = await this.#http.post<Enrollment>('/enroll', { code, name });
      const e = res.data;
      if (typeof e.kioskId !== 'string' || typeof e.token !== 'string' || typeof e.listKey !== 'string') {
        throw new Error('enrollment answer is missing fields');
      }
      return e;
    });
  }

  /** Opens a list snapshot as a byte stream, with the version it holds. */
  snapshot(list: ListName, signal?: AbortSignal): Promise<ApiResult<{ stream: Readable; version: number }>> {
    return attempt(async () => {
      const res = await this.#http.get<Readable>(`/lists/${list}/snapshot`, {
        responseType: 'stream',
        timeout: 0,
        ...(signal ? { signal } : {}),
      });
      return { stream: res.data, version: Number(res.headers['x-list-version']) };
    });
  }

  /** The changes to a list since version `since` (410/409 mean: take a snapshot). */
  changes(list: ListName, since: number): Promise<ApiResult<ListChanges>> {
    return attempt(
      async () => (await this.#http.get<ListChanges>(`/lists/${list}/changes`, { params: { since } })).data,
    );
  }

  /** Uploads a batch; answers the highest contiguous sequence the server holds. */
  uploadRecords(records: readonly LaneRecord[]): Promise<ApiResult<number>> {
    return attempt(async () => {
      const res = await this.#http.post<{ ackedThrough: unknown }>('/scans', { records });
      if (typeof res.data.ackedThrough !== 'number') throw new Error('upload answer has no ackedThrough');
      return res.data.ackedThrough;
    });
  }

  /** Reports lane health; answers the server's time, this lane's checkpoint config and roster version. */
  heartbeat(report: HeartbeatReport): Promise<ApiResult<HeartbeatAnswer>> {
    return attempt(async () => (await this.#http.post<HeartbeatAnswer>('/heartbeat', report)).data);
  }

  /**
   * The officers valid at this lane's checkpoint and the roster version. An answer that is not
   * a valid roster is an `invalid` failure: nothing of it may be applied.
   */
  async officers(): Promise<ApiResult<OfficerRoster>> {
    const res = await attempt(async () => (await this.#http.get<unknown>('/officers')).data);
    if (!res.ok) return res;
    if (!Value.Check(OfficerRosterSchema, res.value)) {
      const first = Value.Errors(OfficerRosterSchema, res.value)[0];
      return {
        ok: false,
        failure: {
          kind: 'invalid',
          message: `the server sent an invalid officer roster${first ? ` (${first.instancePath || '/'}: ${first.message})` : ''}`,
        },
      };
    }
    return { ok: true, value: res.value };
  }

  /** Opens the server-sent event stream. */
  events(signal: AbortSignal): Promise<ApiResult<Readable>> {
    return attempt(async () => {
      const res = await this.#http.get<Readable>('/events', {
        responseType: 'stream',
        timeout: 0,
        signal,
        headers: { accept: 'text/event-stream' },
      });
      return res.data;
    });
  }
}
