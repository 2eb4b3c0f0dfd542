// The format of a scan subject sealed to the server (`ScanRecord.subjectSealed`), defined once:
// the lane seals (kiosk agent/subject-sealer.ts), the server opens (sync-server
// lists/scan-seal-keys.ts). Pure bytes here; X25519, HKDF and AES-GCM stay in Node code.
//
// sealed = base64( version 0x01 | ephemeral X25519 public (32) | nonce (12) | ciphertext | tag (16) )
// key    = HKDF-SHA256(ikm = X25519(ephemeral private, server public),
//                      salt = ephemeral public | server public, info = SUBJECT_SEAL_INFO, 32 bytes)
// cipher = AES-256-GCM(key, nonce, plaintext = canonical subject as UTF-8,
//                      AAD = the first 45 bytes: version, ephemeral public, nonce)
// The ciphertext is as long as the canonical subject (no padding), so its length shows the kind.

/** First byte of every sealed subject. */
export const SUBJECT_SEAL_VERSION = 0x01;
/** Raw X25519 public key, bytes (the server's and the ephemeral one). */
export const SUBJECT_SEAL_PUBLIC_KEY_BYTES = 32;
/** AES-256-GCM nonce, bytes. */
export const SUBJECT_SEAL_NONCE_BYTES = 12;
/** AES-256-GCM tag, bytes. */
export const SUBJECT_SEAL_TAG_BYTES = 16;
/** Version, ephemeral public key and nonce: the bytes the tag also covers as AAD. */
export const SUBJECT_SEAL_HEADER_BYTES = 1 + SUBJECT_SEAL_PUBLIC_KEY_BYTES + SUBJECT_SEAL_NONCE_BYTES;
/** Bytes a sealed subject adds to its plaintext. */
export const SUBJECT_SEAL_OVERHEAD_BYTES = SUBJECT_SEAL_HEADER_BYTES + SUBJECT_SEAL_TAG_BYTES;
/** HKDF info string. */
export const SUBJECT_SEAL_INFO = 'checkpoint-lane subject seal v1';
/** The scan schema's limit on `subjectSealed`, base64 characters. */
export const SUBJECT_SEALED_MAX_LENGTH = 512;
/** The longest canonical subject (UTF-8 bytes) whose seal fits `SUBJECT_SEALED_MAX_LENGTH`. */
export const SUBJECT_SEAL_MAX_PLAINTEXT_BYTES =
  (SUBJECT_SEALED_MAX_LENGTH / 4) * 3 - SUBJECT_SEAL_OVERHEAD_BYTES;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The parts of a sealed subject, as views into its bytes. */
export interface SealedSubjectParts {
  /** Version, ephemeral public key and nonce (the AAD). */
  readonly header: Uint8Array;
  readonly ephemeralPublic: Uint8Array;
  readonly nonce: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

/** Length in base64 characters of the seal of a plaintext this many bytes long. */
export function sealedSubjectLength(plaintextBytes: number): number {
  return Math.ceil((plaintextBytes + SUBJECT_SEAL_OVERHEAD_BYTES) / 3) * 4;
}

/**
 * The bytes that get sealed: the canonical subject as UTF-8. Throws when it is empty or longer
 * than `SUBJECT_SEAL_MAX_PLAINTEXT_BYTES` (its seal would not fit the scan schema).
 */
export function subjectSealPlaintext(canonicalSubject: string): Uint8Array {
  const bytes = new TextEncoder().encode(canonicalSubject);
  if (bytes.length === 0) throw new Error('subject seal: the canonical subject is empty');
  if (bytes.length > SUBJECT_SEAL_MAX_PLAINTEXT_BYTES)
    throw new Error(
      `subject seal: the canonical subject is ${bytes.length} bytes, at most ${SUBJECT_SEAL_MAX_PLAINTEXT_BYTES} fit the ${SUBJECT_SEALED_MAX_LENGTH}-character subjectSealed field`,
    );
  return bytes;
}

function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function checkLength(name: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) throw new Error(`subject seal: ${name} must be ${length} bytes`);
}

/** HKDF salt: the ephemeral public key, then the server's. */
export function subjectSealSalt(ephemeralPublic: Uint8Array, serverPublic: Uint8Array): Uint8Array {
  checkLength('the ephemeral public key', ephemeralPublic, SUBJECT_SEAL_PUBLIC_KEY_BYTES);
  checkLength('the server public key', serverPublic, SUBJECT_SEAL_PUBLIC_KEY_BYTES);
  return concat(ephemeralPublic, serverPublic);
}

/** The header (and AAD): version, ephemeral public key, nonce. */
export function subjectSealHeader(ephemeralPublic: Uint8Array, nonce: Uint8Array): Uint8Array {
  checkLength('the ephemeral public key', ephemeralPublic, SUBJECT_SEAL_PUBLIC_KEY_BYTES);
  checkLength('the nonce', nonce, SUBJECT_SEAL_NONCE_BYTES);
  return concat(Uint8Array.of(SUBJECT_SEAL_VERSION), ephemeralPublic, nonce);
}

/** The sealed bytes: header, ciphertext, tag. */
export function frameSealedSubject(header: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Uint8Array {
  checkLength('the header', header, SUBJECT_SEAL_HEADER_BYTES);
  checkLength('the tag', tag, SUBJECT_SEAL_TAG_BYTES);
  if (ciphertext.length === 0 || ciphertext.length > SUBJECT_SEAL_MAX_PLAINTEXT_BYTES)
    throw new Error(`subject seal: the ciphertext must be 1..${SUBJECT_SEAL_MAX_PLAINTEXT_BYTES} bytes`);
  return concat(header, ciphertext, tag);
}

/**
 * True when `sealed` is canonical padded base64 no longer than the schema allows (decoders
 * elsewhere accept stray characters; this does not).
 */
export function isSealedSubjectText(sealed: string): boolean {
  return sealed.length <= SUBJECT_SEALED_MAX_LENGTH && sealed.length % 4 === 0 && BASE64.test(sealed);
}

/** Splits sealed bytes into their parts; null when too short, too long or of another version. */
export function unframeSealedSubject(bytes: Uint8Array): SealedSubjectParts | null {
  const ciphertextBytes = bytes.length - SUBJECT_SEAL_OVERHEAD_BYTES;
  if (ciphertextBytes < 1 || ciphertextBytes > SUBJECT_SEAL_MAX_PLAINTEXT_BYTES) return null;
  if (bytes[0] !== SUBJECT_SEAL_VERSION) return null;
  const ephemeralEnd = 1 + SUBJECT_SEAL_PUBLIC_KEY_BYTES;
  return {
    header: bytes.subarray(0, SUBJECT_SEAL_HEADER_BYTES),
    ephemeralPublic: bytes.subarray(1, ephemeralEnd),
    nonce: bytes.subarray(ephemeralEnd, SUBJECT_SEAL_HEADER_BYTES),
    ciphertext: bytes.subarray(SUBJECT_SEAL_HEADER_BYTES, bytes.length - SUBJECT_SEAL_TAG_BYTES),
    tag: bytes.subarray(bytes.length - SUBJECT_SEAL_TAG_BYTES),
  };
}
