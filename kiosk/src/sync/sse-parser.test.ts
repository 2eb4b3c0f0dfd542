import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.js';

describe('SseParser', () => {
  it('parses events across chunk boundaries, skipping keep-alive comments', () => {
    const p = new SseParser();
    const text =
      ': keep-alive\n\nevent: list-version\ndata: {"list":"health",\ndata: "version":3}\n\nevent: urgent\r\ndata: x\r\n\r\n';
    const events = Array.from({ length: text.length }, (_, i) => text.slice(i, i + 1)).flatMap((c) =>
      p.push(c),
    );
    expect(events).toEqual([
      { event: 'list-version', data: '{"list":"health",\n"version":3}' },
      { event: 'urgent', data: 'x' },
    ]);
  });

  it('names unnamed events "message"', () => {
    expect(new SseParser().push('data: hi\n\n')).toEqual([{ event: 'message', data: 'hi' }]);
  });
});
