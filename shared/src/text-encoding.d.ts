// The WHATWG text codecs, which both browsers and Node provide. Declared here (rather than
// pulling in the DOM or Node typings) so the domain cannot reach any other host API.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
// The WHATWG base64 functions, which both browsers and Node (16+) provide.
declare function btoa(data: string): string;
declare function atob(data: string): string;
