// The console's one way to the server: same-origin fetches with the session cookie, the CSRF
// header on every change, `{error, message}` answers turned into ApiError, and a 401 anywhere
// sending the app back to the sign-in page.
import { t } from './i18n.js';

/** An answer that was not a success, or no answer at all (status 0). */
export class ApiError extends Error {
  /** Builds an error from a status, the server's stable code and its message. */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown = null,
    readonly headers: Headers | null = null,
  ) {
    super(message);
  }
}

let csrfToken = '';
let unauthorized: () => void = () => undefined;

/** Remembers the session's CSRF token for the changing requests. */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** What to do when the server says the session is gone. */
export function onUnauthorized(handler: () => void): void {
  unauthorized = handler;
}

/** Tells the app the session is gone (as a 401 from any request does). */
export function sessionEnded(): void {
  unauthorized();
}

function errorFrom(status: number, body: unknown, headers: Headers | null): ApiError {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { error?: unknown; message?: unknown };
  const code = typeof b.error === 'string' ? b.error : `http_${status}`;
  const message = typeof b.message === 'string' ? b.message : `HTTP ${status}`;
  return new ApiError(status, code, message, body, headers);
}

/** Options for one request. */
export interface RequestOptions {
  /** A 401 is the caller's business (sign-in, the session check), not a trip to the sign-in page. */
  readonly quiet401?: boolean;
  /** A periodic refresh, not the user's doing: it does not keep an idle session alive. */
  readonly background?: boolean;
}

/** One JSON request; resolves with the parsed answer (undefined for 204). */
export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.background === true) headers['x-background'] = '1';
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'network', t('errorNetwork'));
  }
  const text = await res.text().catch(() => '');
  let parsed: unknown = undefined;
  if (text !== '') {
    try {
      parsed = JSON.parse(text) as unknown;
    } catch {
      parsed = text;
    }
  }
  if (res.status === 401 && options.quiet401 !== true) unauthorized();
  if (!res.ok) throw errorFrom(res.status, parsed, res.headers);
  return parsed as T;
}

/** An upload's answer: status and parsed body (any status the caller wants to read). */
export interface UploadResult<T> {
  status: number;
  body: T;
}

/**
 * Uploads a file as the request body (`text/csv`) with XMLHttpRequest, reporting progress
 * 0–100; resolves for 2xx and 422 (a row report), rejects with ApiError otherwise.
 */
export function uploadCsv<T>(
  path: string,
  file: Blob,
  onProgress: (pct: number) => void,
): Promise<UploadResult<T>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('content-type', 'text/csv');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(Math.round((e.loaded / e.total) * 100));
    };
    xhr.onerror = () => {
      reject(new ApiError(0, 'network', t('errorNetwork')));
    };
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText) as unknown;
      } catch {
        body = null;
      }
      onProgress(100);
      if (xhr.status === 401) unauthorized();
      if ((xhr.status >= 200 && xhr.status < 300) || (xhr.status === 422 && isReport(body))) {
        resolve({ status: xhr.status, body: body as T });
      } else reject(errorFrom(xhr.status, body, null));
    };
    xhr.send(file);
  });
}

function isReport(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'accepted' in body;
}

/** A person-readable text for any error a request threw. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('errorNetwork');
    if (e.status === 403) return `${t('errorForbidden')} (${e.message})`;
    return e.message;
  }
  return t('errorGeneric', { message: e instanceof Error ? e.message : String(e) });
}
