/** One server-sent event. */
export interface SseEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Incremental `text/event-stream` parser (WHATWG): feed text as it arrives, get whole events.
 * Comments (keep-alives) are skipped; multi-line data is joined with newlines.
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];

  push(text: string): SseEvent[] {
    this.#buffer += text;
    const out: SseEvent[] = [];
    for (;;) {
      const nl = this.#buffer.search(/\r\n|\r|\n/);
      // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
      if (nl === -1 || (nl === this.#buffer.length - 1 && this.#buffer[nl] === '\r')) break;
      const line = this.#buffer.slice(0, nl);
      this.#buffer = this.#buffer.slice(nl + (this.#buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (this.#data.length > 0) out.push({ event: this.#event || 'message', data: this.#data.join('\n') });
        this.#event = '';
        this.#data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') this.#event = value;
      else if (field === 'data') this.#data.push(value);
    }
    if (this.#buffer.length > 1_000_000) this.#buffer = ''; // a server that never ends a line
    return out;
  }
}
