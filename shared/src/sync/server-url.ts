// Whether a lane or the admin CLI may talk to a sync server at a URL. K, tokens, PIN hashes and
// lists travel to and from the server: over a network they need TLS. Plain http:// stays allowed
// to this machine itself (tests, `npm start`, a TLS proxy on the same host).

/** How a sync server URL may be used. */
export type ServerUrlCheck =
  | {
      readonly ok: true;
      readonly url: string;
      /** `https`, plain HTTP to this machine, or plain HTTP across a network (allowed on request). */
      readonly transport: 'https' | 'loopback-http' | 'insecure-http';
    }
  | { readonly ok: false; readonly reason: 'invalid' | 'insecure'; readonly message: string };

/** Whether a URL's host (as the WHATWG parser normalises it) is this machine's loopback. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  // The parser writes every IPv4 form (127.1, 0x7f000001, …) as dotted decimal.
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) return true;
  // ::1, and IPv4-mapped 127.0.0.0/8 (::ffff:127.x.y.z, which the parser writes as ::ffff:7fxx:xxxx).
  return host === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host);
}

/**
 * Checks one sync server URL: http or https, no user name or password in it, and plain http only
 * to loopback unless `allowInsecureHttp` (then it is allowed, marked `insecure-http`).
 */
export function checkServerUrl(text: string, options: { allowInsecureHttp: boolean }): ServerUrlCheck {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { ok: false, reason: 'invalid', message: `"${text}" is not a URL (e.g. https://sync.example.vn)` };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { ok: false, reason: 'invalid', message: `${text} is not an http(s) URL` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'invalid', message: 'a server URL must not carry a user name or password' };
  }
  const shown = text.trim();
  if (url.protocol === 'https:') return { ok: true, url: shown, transport: 'https' };
  if (isLoopbackHost(url.hostname)) return { ok: true, url: shown, transport: 'loopback-http' };
  if (options.allowInsecureHttp) return { ok: true, url: shown, transport: 'insecure-http' };
  return {
    ok: false,
    reason: 'insecure',
    message:
      `${shown} is plain http:// to another machine: the list key, tokens, PIN hashes and lists ` +
      'would cross the network unencrypted. Use an https:// server (a TLS reverse proxy, see ' +
      'docs/tls.md), or pass --insecure-http to accept that on a network you trust',
  };
}

/** A URL that passed the check. */
export type ServerUrlAccepted = Extract<ServerUrlCheck, { ok: true }>;

/** Checks a comma-separated list of sync server URLs (a fleet's servers), each one; the first problem wins. */
export function checkServerUrls(
  list: string,
  options: { allowInsecureHttp: boolean },
):
  | { readonly ok: true; readonly urls: readonly ServerUrlAccepted[] }
  | Extract<ServerUrlCheck, { ok: false }> {
  const parts = list.split(',').map((p) => p.trim());
  if (parts.some((p) => p === ''))
    return { ok: false, reason: 'invalid', message: `"${list}" has an empty server in its list` };
  const urls: ServerUrlAccepted[] = [];
  for (const part of parts) {
    const checked = checkServerUrl(part, options);
    if (!checked.ok) return checked;
    urls.push(checked);
  }
  return { ok: true, urls };
}
