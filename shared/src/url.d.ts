// The WHATWG URL parser, which both browsers and Node provide. Declared here (rather than pulling
// in the DOM or Node typings) so the domain cannot reach any other host API.
declare class URL {
  constructor(input: string, base?: string);
  readonly protocol: string;
  readonly hostname: string;
  readonly username: string;
  readonly password: string;
  readonly href: string;
}
