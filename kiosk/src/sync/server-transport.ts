import { checkServerUrls } from '@checkpoint-lane/shared';
import type { Logger } from 'pino';

/**
 * Why the lane must not talk to the sync server(s) at `url` (plain http:// to another machine
 * without `--insecure-http`, or not an http(s) URL), or null when it may. Allowed plain http
 * across a network is logged as a warning each start.
 */
export function refuseServerTransport(url: string, allowInsecureHttp: boolean, log: Logger): string | null {
  const checked = checkServerUrls(url, { allowInsecureHttp });
  if (!checked.ok) return checked.message;
  if (checked.urls.some((u) => u.transport === 'insecure-http')) {
    log.warn(
      'plain http:// to the sync server (--insecure-http): the list key, token, PIN hashes and lists travel unencrypted',
    );
  }
  return null;
}
