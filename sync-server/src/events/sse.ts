import type { LaneEvent } from '@checkpoint-lane/shared';
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

/** Bytes an event stream may have waiting for a client that does not read before it is dropped. */
export const SSE_MAX_BUFFER_BYTES = 1024 * 1024;

/**
 * Takes over a reply for SSE: headers, a retry hint, keep-alive comments every
 * `keepAliveMs`, and `onClose` when the client goes away or the server ends the stream. A client
 * that lets more than `maxBufferBytes` pile up unread (a slow or stalled reader) is dropped: its
 * socket is destroyed rather than buffered for without end; it reconnects and starts afresh.
 */
export function openSse(
  reply: FastifyReply,
  keepAliveMs: number,
  onClose: () => void,
  maxBufferBytes = SSE_MAX_BUFFER_BYTES,
): SseStream {
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
  const write = (chunk: string): void => {
    if (!open) return;
    res.write(chunk);
    // writableLength: what this response and its socket hold unsent (the kernel's buffer is full).
    if (res.writableLength > maxBufferBytes) {
      reply.log.warn({ buffered: res.writableLength }, 'event stream dropped: the client does not read');
      finish();
      res.destroy();
    }
  };
  const stream: SseStream = {
    send(event, data) {
      write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    comment(text) {
      write(`: ${text}\n\n`);
    },
    close() {
      if (!open) return;
      finish();
      res.end();
    },
  };
  return stream;
}

/**
 * Sends one lane event down a stream. Lane streams carry nothing else: the event's name and body
 * are typed together by the kiosk API contract (`LaneEvent`), so a wrong shape does not compile.
 */
export function sendLaneEvent(stream: SseStream, event: LaneEvent): void {
  stream.send(event.type, event.data);
}
