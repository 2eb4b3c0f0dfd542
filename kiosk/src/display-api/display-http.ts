// HTTP plumbing of the display API: answers with the display's security headers, JSON bodies
// read with a size limit and checked against the display channel's schemas, and the error that
// becomes a plain `{error, message}` answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  DISPLAY_ACTIONS,
  type DisplayActionAnswer,
  type DisplayActionName,
  type DisplayActionRefusal,
  type DisplayActionRequest,
} from '@checkpoint-lane/shared';
import Type from 'typebox';
import Value from 'typebox/value';

/** Largest body (HTTP) or message (WebSocket) the display API takes. */
export const MAX_BODY = 16 * 1024;

/** A request refused with `status` and `{error: code, message}`. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What a body that does not match its action's schema is answered (400), by action. */
export type BodyRefusals = {
  readonly [A in DisplayActionName]?: { readonly code: string; readonly message: string };
};

/** A JSON body is an object, never an array or a bare value. */
const JsonObject = Type.Object({});

/**
 * Reads `action`'s JSON body and checks it against the action's schema: the one place a display
 * body is decoded. Throws a `RequestError`: 415 not JSON, 413 too large, 400 `bad_json` (not a
 * JSON object) or 400 with `refusals[action]` (does not match the schema).
 */
export async function readBody<A extends DisplayActionName>(
  req: IncomingMessage,
  action: A,
  refusals: BodyRefusals,
): Promise<DisplayActionRequest<A>> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new RequestError(415, 'not_json', 'send application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new RequestError(413, 'too_large', `body over ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    body = undefined;
  }
  if (!Value.Check(JsonObject, body))
    throw new RequestError(400, 'bad_json', 'the body is not a JSON object');
  const schema = DISPLAY_ACTIONS[action].request;
  if (schema !== null && !Value.Check(schema, body)) {
    const refusal = refusals[action] ?? { code: 'bad_request', message: 'the body does not match' };
    throw new RequestError(400, refusal.code, refusal.message);
  }
  return body as DisplayActionRequest<A>;
}

/** Sends `action`'s answer (typed by the display channel). */
export function sendAnswer<A extends DisplayActionName>(
  res: ServerResponse,
  _action: A,
  status: number,
  body: DisplayActionAnswer<A>,
): void {
  sendJson(res, status, body);
}

/** Sends `action`'s refusal (typed by the display channel). */
export function sendRefusal<A extends DisplayActionName>(
  res: ServerResponse,
  _action: A,
  status: number,
  body: DisplayActionRefusal<A>,
): void {
  sendJson(res, status, body);
}

/** The display's Content-Security-Policy: its own scripts, styles and sockets only. */
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Answers with the display's headers: no caching, no sniffing, no referrer, the CSP. */
export function send(res: ServerResponse, status: number, body: string | Buffer, type: string): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-security-policy': CSP,
  });
  res.end(body);
}

/** Answers JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, JSON.stringify(body), 'application/json; charset=utf-8');
}
