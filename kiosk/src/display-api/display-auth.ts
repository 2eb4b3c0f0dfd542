// Who may see which lane screen: one-time links trade their code for a session cookie bound to
// one capability (the officer's screen, or the traveller's). Everything lives in the agent's
// memory: a restart invalidates every link and session, and the agent mints fresh links.
import { createHash, randomBytes } from 'node:crypto';

/** A display capability: the officer's screen (everything) or the traveller's (colours only). */
export type DisplayView = 'officer' | 'traveller';

/** Both capabilities. */
export const DISPLAY_VIEWS: readonly DisplayView[] = ['officer', 'traveller'];

/** The page of each view (what a link's code redirects to). */
export const VIEW_PATHS: Readonly<Record<DisplayView, string>> = { officer: '/', traveller: '/traveller' };

/** Unused links kept per view; minting more forgets the oldest (a crashed window's link, say). */
const MAX_CODES_PER_VIEW = 8;
/** Live sessions kept; opening more ends the oldest. */
const MAX_SESSIONS = 64;

const digest = (secret: string): string => createHash('sha256').update(secret).digest('base64url');
const secret = (): string => randomBytes(32).toString('base64url');

/**
 * One-time link codes and the sessions they open. Codes and session ids are stored only as
 * SHA-256 digests, so a lookup by digest never compares the secret itself byte by byte.
 */
export class DisplayAuth {
  /** digest(code) → view and expiry; a Map keeps insertion order, so the first entries are the oldest. */
  readonly #codes = new Map<string, { view: DisplayView; expiresAt: number }>();
  readonly #sessions = new Map<string, DisplayView>();

  /** A fresh one-time code for `view`, good until used or, with `ttlMs`, until that time passes. */
  mintCode(view: DisplayView, ttlMs = Infinity, now = Date.now()): string {
    const code = secret();
    this.#codes.set(digest(code), { view, expiresAt: now + ttlMs });
    const ofView = [...this.#codes].filter(([, v]) => v.view === view);
    for (const [key] of ofView.slice(0, Math.max(0, ofView.length - MAX_CODES_PER_VIEW)))
      this.#codes.delete(key);
    return code;
  }

  /** Uses a code up: answers its view, or null when it is unknown, used or expired. */
  redeem(code: string, now = Date.now()): DisplayView | null {
    const key = digest(code);
    const entry = this.#codes.get(key);
    this.#codes.delete(key);
    return entry !== undefined && now < entry.expiresAt ? entry.view : null;
  }

  /** Opens a session with `view`'s capability; answers its id (the cookie's value). */
  openSession(view: DisplayView): string {
    const id = secret();
    this.#sessions.set(digest(id), view);
    for (const key of [...this.#sessions.keys()].slice(0, Math.max(0, this.#sessions.size - MAX_SESSIONS)))
      this.#sessions.delete(key);
    return id;
  }

  /** The capability of a session id, or null when there is no such session. */
  sessionView(id: string): DisplayView | null {
    return this.#sessions.get(digest(id)) ?? null;
  }
}

/** Reads one cookie from a `Cookie` header (RFC 6265 `name=value; name2=value2`). */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
