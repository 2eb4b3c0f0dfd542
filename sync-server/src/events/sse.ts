import type { FastifyReply } from 'fastify';

/** One open server-sent-events stream. */
export interface SseStream {
  /** Sends one named event with a JSON body. */
  send(event: string, data: unknown): void;
  /** Sends a comment line (keep-alive). */
  comment(text: string): void;
  /** Ends the stream. */
  close(): void;
}

/**
 * Takes over a reply for SSE: headers, a retry hint, keep-alive comments every
 * `keepAliveMs`, and `onClose` when the client goes away or the server ends the stream.
 */
export function openSse(reply: FastifyReply, keepAliveMs: number, onClose: () => void): SseStream {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 3000\n\n');
  let open = true;
  const timer = setInterval(() => {
    stream.comment('keep-alive');
  }, keepAliveMs);
  timer.unref();
  const finish = (): void => {
    if (!open) return;
    open = false;
    clearInterval(timer);
    onClose();
  };
  res.on('close', finish);
  const stream: SseStream = {
    send(event, data) {
      if (open) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    comment(text) {
      if (open) res.write(`: ${text}\n\n`);
    },
    close() {
      if (!open) return;
      finish();
      res.end();
    },
  };
  return stream;
}
