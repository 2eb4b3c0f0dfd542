// Signed lane passes, format CLP1: the binary body a pass carries, its text form and the bytes its
// Ed25519 signature covers. Pure and browser-safe; the signature is checked in pass-verify.ts
// (Node). Layout, big-endian:
//   0      u8   format version = 1
//   1      u8   keyId (1..255): the pass key that signed it
//   2..9   8 B  passId
//   10..14 u40  personalId, the 12 decimal digits as an integer
//   15..18 u32  validFrom, seconds since the Unix epoch
//   19..20 u16  validity in minutes (1..65535): validUntil = validFrom + n × 60 s
//   21..26 from: u8 province (1..99), u16 district (0 = not given), u24 ward (0 = not given)
//   27..32 to:   the same
//   33     u8   plate length L (0..12), then L bytes: the plate's compact form (`51F12345`)
//   34+L   64 B Ed25519 signature over ASCII "CLP1" followed by bytes 0 .. 34+L
// Text: `CLP1:` + base45 of all the bytes, within the QR alphanumeric set.
import { parsePlate } from '../payloads/parse-vehicle-plate.js';
import { fail, ok, type Result } from '../result.js';
import { decodeBase45, encodeBase45 } from './base45.js';

/** What every pass's text starts with. */
export const PASS_PREFIX = 'CLP1:';
/** The body's format version (byte 0). */
export const PASS_FORMAT_VERSION = 1;
/** ASCII bytes put before the body in the signed message (domain separation). */
const SIGNING_CONTEXT = [0x43, 0x4c, 0x50, 0x31]; // "CLP1"
/** Length of the body before the plate. */
const FIXED_BODY_LENGTH = 34;
/** Longest plate a pass carries, in characters. */
export const PASS_MAX_PLATE_LENGTH = 12;
/** Length of an Ed25519 signature. */
export const PASS_SIGNATURE_LENGTH = 64;
/** Longest pass text (a 12-character plate): 5 + base45 of 110 bytes. */
export const PASS_MAX_TEXT_LENGTH = PASS_PREFIX.length + 165;
/** Longest validity, minutes (u16). */
export const PASS_MAX_VALIDITY_MINUTES = 0xffff;
/** A pass id as text: 16 lower-case hex digits (8 random bytes). */
export const PASS_ID_PATTERN = '^[0-9a-f]{16}$';

/**
 * An area by its GSO administrative codes: province (2 digits, 1..99), district (3 digits,
 * 1..999) and ward (5 digits, 1..99999); null where not given.
 */
export interface AreaCode {
  readonly province: number;
  readonly district: number | null;
  readonly ward: number | null;
}

/** What a pass says. */
export interface PassBody {
  /** The pass key that signed it, 1..255. */
  readonly keyId: number;
  /** 16 lower-case hex digits. */
  readonly passId: string;
  /** The holder's 12-digit personal ID. */
  readonly personalId: string;
  /** Epoch ms, whole seconds. */
  readonly validFrom: number;
  /** Epoch ms: validFrom plus a whole number of minutes (1..65535). */
  readonly validUntil: number;
  readonly from: AreaCode;
  readonly to: AreaCode;
  /** The vehicle's compact plate (`51F12345`), or null. */
  readonly plate: string | null;
}

/** A pass as read from its text: the body, the exact bytes its signature covers, the signature. */
export interface ParsedPass {
  readonly body: PassBody;
  /** ASCII "CLP1" followed by the body bytes. */
  readonly signedBytes: Uint8Array;
  readonly signature: Uint8Array;
}

/** Why a text is not a pass: not one at all, or a `CLP1:` text whose body is malformed. */
export interface PassParseError {
  readonly code: 'payload_field_invalid' | 'payload_unknown_format';
  /** For logs: names the field, never its value. */
  readonly message: string;
}

const PASS_ID = new RegExp(PASS_ID_PATTERN);
const PERSONAL_ID = /^\d{12}$/;
const PASS_TEXT = /^CLP1:[0-9A-Z $%*+\-./:]+$/;

function isInt(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

/** A plate in the compact form a pass carries (what `parsePlate` makes of it, unchanged). */
function isCompactPlate(plate: string): boolean {
  return plate.length <= PASS_MAX_PLATE_LENGTH && parsePlate(plate)?.compact === plate;
}

function areaProblem(name: string, a: AreaCode): string | null {
  if (!isInt(a.province, 1, 99)) return `${name}.province must be 1..99`;
  if (a.district !== null && !isInt(a.district, 1, 999)) return `${name}.district must be 1..999 or null`;
  if (a.ward !== null && !isInt(a.ward, 1, 99_999)) return `${name}.ward must be 1..99999 or null`;
  return null;
}

/** What is wrong with a body, or null when it can be written as a pass. */
export function passBodyProblem(body: PassBody): string | null {
  if (!isInt(body.keyId, 1, 255)) return 'keyId must be 1..255';
  if (!PASS_ID.test(body.passId)) return 'passId must be 16 lower-case hex digits';
  if (!PERSONAL_ID.test(body.personalId)) return 'personalId must be 12 digits';
  if (!isInt(body.validFrom, 0, 0xffffffff * 1000) || body.validFrom % 1000 !== 0) {
    return 'validFrom must be whole seconds within u32';
  }
  const span = body.validUntil - body.validFrom;
  if (!Number.isInteger(span) || span % 60_000 !== 0 || !isInt(span / 60_000, 1, PASS_MAX_VALIDITY_MINUTES)) {
    return 'validUntil must be validFrom plus 1..65535 whole minutes';
  }
  const area = areaProblem('from', body.from) ?? areaProblem('to', body.to);
  if (area !== null) return area;
  if (body.plate !== null && !isCompactPlate(body.plate)) return 'plate must be a compact plate';
  return null;
}

function writeArea(bytes: Uint8Array, at: number, a: AreaCode): void {
  const district = a.district ?? 0;
  const ward = a.ward ?? 0;
  bytes[at] = a.province;
  bytes[at + 1] = district >> 8;
  bytes[at + 2] = district & 0xff;
  bytes[at + 3] = ward >> 16;
  bytes[at + 4] = (ward >> 8) & 0xff;
  bytes[at + 5] = ward & 0xff;
}

/** Writes `n` (a non-negative integer below 2^(8·len)) big-endian into `len` bytes. */
function writeUint(bytes: Uint8Array, at: number, len: number, n: number): void {
  let v = n;
  for (let i = len - 1; i >= 0; i--) {
    bytes[at + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

function readUint(bytes: Uint8Array, at: number, len: number): number {
  let v = 0;
  for (let i = 0; i < len; i++) v = v * 256 + (bytes[at + i] ?? 0);
  return v;
}

/**
 * The bytes a pass's signature covers: ASCII "CLP1" followed by the body. For the server, which
 * signs them: throws a RangeError naming the field when the body cannot be written as a pass.
 */
export function passSigningBytes(body: PassBody): Uint8Array {
  const problem = passBodyProblem(body);
  if (problem !== null) throw new RangeError(`lane pass: ${problem}`);
  const plate = body.plate ?? '';
  const bytes = new Uint8Array(SIGNING_CONTEXT.length + FIXED_BODY_LENGTH + plate.length);
  bytes.set(SIGNING_CONTEXT, 0);
  const b = SIGNING_CONTEXT.length;
  bytes[b] = PASS_FORMAT_VERSION;
  bytes[b + 1] = body.keyId;
  for (let i = 0; i < 8; i++) bytes[b + 2 + i] = parseInt(body.passId.slice(2 * i, 2 * i + 2), 16);
  writeUint(bytes, b + 10, 5, Number(body.personalId));
  writeUint(bytes, b + 15, 4, body.validFrom / 1000);
  writeUint(bytes, b + 19, 2, (body.validUntil - body.validFrom) / 60_000);
  writeArea(bytes, b + 21, body.from);
  writeArea(bytes, b + 27, body.to);
  bytes[b + 33] = plate.length;
  for (let i = 0; i < plate.length; i++) bytes[b + 34 + i] = plate.charCodeAt(i);
  return bytes;
}

/**
 * A pass's text: `CLP1:` + base45 of the body and the signature. For the server: throws a
 * RangeError when the body cannot be written as a pass or the signature is not 64 bytes.
 */
export function formatPass(body: PassBody, signature: Uint8Array): string {
  if (signature.length !== PASS_SIGNATURE_LENGTH) {
    throw new RangeError(`lane pass: a signature has ${PASS_SIGNATURE_LENGTH} bytes`);
  }
  const signed = passSigningBytes(body);
  const bytes = new Uint8Array(signed.length - SIGNING_CONTEXT.length + signature.length);
  bytes.set(signed.subarray(SIGNING_CONTEXT.length), 0);
  bytes.set(signature, signed.length - SIGNING_CONTEXT.length);
  return PASS_PREFIX + encodeBase45(bytes);
}

function readArea(bytes: Uint8Array, at: number): AreaCode | null {
  const area: AreaCode = {
    province: bytes[at] ?? 0,
    district: readUint(bytes, at + 1, 2) || null,
    ward: readUint(bytes, at + 3, 3) || null,
  };
  return areaProblem('area', area) === null ? area : null;
}

function invalid(message: string): Result<ParsedPass, PassParseError> {
  return fail({ code: 'payload_field_invalid', message });
}

function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Reads a pass's text. Never throws: `payload_unknown_format` when the text does not start with
 * `CLP1:`, `payload_field_invalid` (naming the field, never a value) when it does but is not a
 * well-formed pass. The signature is not checked here (see `checkPass`).
 */
export function parsePass(text: string): Result<ParsedPass, PassParseError> {
  if (!text.startsWith(PASS_PREFIX)) {
    return fail({ code: 'payload_unknown_format', message: 'not a lane pass' });
  }
  if (text.length > PASS_MAX_TEXT_LENGTH) return invalid('lane pass too long');
  if (!PASS_TEXT.test(text)) return invalid('lane pass has characters outside base45');
  const bytes = decodeBase45(text.slice(PASS_PREFIX.length));
  if (bytes === null) return invalid('lane pass is not valid base45');
  if (bytes.length < FIXED_BODY_LENGTH + PASS_SIGNATURE_LENGTH) return invalid('lane pass too short');
  if (bytes[0] !== PASS_FORMAT_VERSION) return invalid('lane pass format version unknown');
  const plateLength = bytes[33] ?? 0;
  if (plateLength > PASS_MAX_PLATE_LENGTH) return invalid('lane pass plate too long');
  const bodyLength = FIXED_BODY_LENGTH + plateLength;
  if (bytes.length !== bodyLength + PASS_SIGNATURE_LENGTH) return invalid('lane pass length wrong');

  const keyId = bytes[1] ?? 0;
  if (keyId === 0) return invalid('lane pass keyId is 0');
  const personal = readUint(bytes, 10, 5);
  if (personal > 999_999_999_999) return invalid('lane pass personalId beyond 12 digits');
  const minutes = readUint(bytes, 19, 2);
  if (minutes === 0) return invalid('lane pass validity is 0');
  const from = readArea(bytes, 21);
  const to = readArea(bytes, 27);
  if (from === null || to === null) return invalid('lane pass area code out of range');
  let plate: string | null = null;
  if (plateLength > 0) {
    plate = String.fromCharCode(...bytes.subarray(FIXED_BODY_LENGTH, bodyLength));
    if (!isCompactPlate(plate)) return invalid('lane pass plate malformed');
  }
  const validFrom = readUint(bytes, 15, 4) * 1000;
  const body: PassBody = {
    keyId,
    passId: toHex(bytes.subarray(2, 10)),
    personalId: String(personal).padStart(12, '0'),
    validFrom,
    validUntil: validFrom + minutes * 60_000,
    from,
    to,
    plate,
  };
  const signedBytes = new Uint8Array(SIGNING_CONTEXT.length + bodyLength);
  signedBytes.set(SIGNING_CONTEXT, 0);
  signedBytes.set(bytes.subarray(0, bodyLength), SIGNING_CONTEXT.length);
  return ok({ body, signedBytes, signature: bytes.slice(bodyLength) });
}
