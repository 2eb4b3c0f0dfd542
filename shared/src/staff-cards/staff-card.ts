// Staff cards (issue 17): a QR the server signs with its list-signing key (Ed25519) naming one
// officer of one checkpoint, shown at an unattended lane to open its officer panel for a minute.
// Pure text here: the server signs `staffCardMessage(card)` with its current list-signing key,
// a lane verifies it with the keys it pins (ListTrust.verifyDetached) and checks the officer is
// on its synced roster (so removing the officer revokes every card of theirs).
//
// Text form: `CLSC1:` + base64url(JSON body) + `.` + the list signature (`keyId:base64sig`).
// Body: {"v":1,"c":checkpointId,"o":officerId,"n":cardId,"i":issuedAtSec,"e":expiresAtSec}.

/** Prefix of a staff card's text. */
export const STAFF_CARD_PREFIX = 'CLSC1:';
/** First line of the message a staff card's signature covers. */
export const STAFF_CARD_FORMAT = 'CLSC1';
/** The longest a card may be valid (a lost card should not open gates for long). */
export const STAFF_CARD_MAX_DAYS = 90;

/** What a staff card says. */
export interface StaffCard {
  readonly checkpointId: string;
  readonly officerId: string;
  /** Random id of this card (for audit; never personal). */
  readonly cardId: string;
  /** Epoch seconds. */
  readonly issuedAt: number;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

/** A card's text split into its parts; null: not a well-formed card. */
export interface ParsedStaffCard {
  readonly card: StaffCard;
  readonly signature: string;
}

const ID = /^[A-Za-z0-9._-]{1,64}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

function b64urlEncode(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function b64urlDecode(text: string): string | null {
  if (!B64URL.test(text)) return null;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = new Uint8Array(binary.length);
    for (let k = 0; k < binary.length; k++) bytes[k] = binary.charCodeAt(k);
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function checked(card: StaffCard): StaffCard {
  if (!ID.test(card.checkpointId) || !ID.test(card.officerId) || !ID.test(card.cardId))
    throw new Error('staff card: checkpoint, officer and card ids must be 1-64 of A-Z a-z 0-9 . _ -');
  if (!Number.isSafeInteger(card.issuedAt) || !Number.isSafeInteger(card.expiresAt))
    throw new Error('staff card: times must be whole epoch seconds');
  if (card.expiresAt <= card.issuedAt) throw new Error('staff card: expires before it is issued');
  if (card.expiresAt - card.issuedAt > STAFF_CARD_MAX_DAYS * 86_400)
    throw new Error(`staff card: valid for more than ${STAFF_CARD_MAX_DAYS} days`);
  return card;
}

/** The exact message a card's signature covers: `CLSC1\n{c}\n{o}\n{n}\n{i}\n{e}`. */
export function staffCardMessage(card: StaffCard): string {
  const c = checked(card);
  return [STAFF_CARD_FORMAT, c.checkpointId, c.officerId, c.cardId, c.issuedAt, c.expiresAt].join('\n');
}

/** A card's text from its fields and the list signature (`keyId:base64sig`) over its message. */
export function encodeStaffCard(card: StaffCard, signature: string): string {
  const c = checked(card);
  const body = JSON.stringify({
    v: 1,
    c: c.checkpointId,
    o: c.officerId,
    n: c.cardId,
    i: c.issuedAt,
    e: c.expiresAt,
  });
  return `${STAFF_CARD_PREFIX}${b64urlEncode(body)}.${signature}`;
}

/** True when a scanned text claims to be a staff card (whether or not it is well formed). */
export function looksLikeStaffCard(text: string): boolean {
  return text.trim().toUpperCase().startsWith(STAFF_CARD_PREFIX);
}

/** Parses a card's text (no signature check); null when it is not a well-formed card. */
export function parseStaffCard(text: string): ParsedStaffCard | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith(STAFF_CARD_PREFIX) || trimmed.length > 512) return null;
  const rest = trimmed.slice(STAFF_CARD_PREFIX.length);
  const dot = rest.indexOf('.');
  if (dot <= 0) return null;
  const json = b64urlDecode(rest.slice(0, dot));
  const signature = rest.slice(dot + 1);
  if (json === null || signature.length === 0) return null;
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  if (b['v'] !== 1) return null;
  const { c, o, n, i, e } = b;
  if (typeof c !== 'string' || typeof o !== 'string' || typeof n !== 'string') return null;
  if (typeof i !== 'number' || typeof e !== 'number') return null;
  try {
    return {
      card: checked({ checkpointId: c, officerId: o, cardId: n, issuedAt: i, expiresAt: e }),
      signature,
    };
  } catch {
    return null;
  }
}
