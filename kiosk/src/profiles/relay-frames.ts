// Relay command frames as a profile writes them ("A0 01 01 A2": hex bytes) and the checks the
// profile loader makes beyond the JSON schema: every frame parses, is 1..64 bytes long, and
// carries the checksum its board expects (LCUS-type boards: a byte sum; Modbus RTU: CRC-16).

/** The longest frame a profile may give, in bytes. */
export const MAX_FRAME_BYTES = 64;

/** How a board checks a frame: not at all, LCUS-type (A0 … sum), or Modbus RTU (CRC-16 at the end). */
export type FrameCheck = 'none' | 'lcus' | 'modbus-rtu';

const hex2 = (byte: number): string => byte.toString(16).toUpperCase().padStart(2, '0');

/** Bytes as a profile writes them: upper-case hex pairs separated by spaces. */
export function formatHexFrame(bytes: Uint8Array): string {
  return Array.from(bytes, hex2).join(' ');
}

/**
 * Parses `A0 01 01 A2` (pairs separated by spaces, or `A00101A2`, either case) into bytes; an
 * error message when it is not hex bytes or not 1..64 bytes long.
 */
export function parseHexFrame(
  text: string,
): { ok: true; bytes: Uint8Array } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: 'frame is empty (1..64 hex bytes, e.g. "A0 01 01 A2")' };
  const groups = trimmed.split(/\s+/);
  const pairs: string[] = [];
  for (const group of groups) {
    if (!/^(?:[0-9A-Fa-f]{2})+$/.test(group)) {
      return {
        ok: false,
        message: `not hex bytes: ${JSON.stringify(group.slice(0, 16))} (write bytes as hex pairs, e.g. "A0 01 01 A2")`,
      };
    }
    for (let i = 0; i < group.length; i += 2) pairs.push(group.slice(i, i + 2));
  }
  if (pairs.length > MAX_FRAME_BYTES) {
    return { ok: false, message: `frame is ${pairs.length} bytes long; at most ${MAX_FRAME_BYTES}` };
  }
  return { ok: true, bytes: Uint8Array.from(pairs, (p) => Number.parseInt(p, 16)) };
}

/** The LCUS checksum: the sum of the bytes, modulo 256. */
export function lcusChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const byte of bytes) sum = (sum + byte) & 0xff;
  return sum;
}

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF) of the bytes. */
export function modbusCrc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

/** An LCUS frame for a channel switched on or off: `A0 ch state sum`. */
export function lcusFrame(channel: number, on: boolean): Uint8Array {
  const body = Uint8Array.of(0xa0, channel & 0xff, on ? 1 : 0);
  return Uint8Array.of(...body, lcusChecksum(body));
}

/** Appends the Modbus RTU CRC (low byte first) to a frame's body. */
export function withModbusCrc(body: Uint8Array): Uint8Array {
  const crc = modbusCrc16(body);
  return Uint8Array.of(...body, crc & 0xff, crc >>> 8);
}

/** Modbus function 05 (write single coil): FF00 on, 0000 off, with its CRC. */
export function modbusWriteCoil(slave: number, coil: number, on: boolean): Uint8Array {
  return withModbusCrc(
    Uint8Array.of(slave & 0xff, 0x05, (coil >>> 8) & 0xff, coil & 0xff, on ? 0xff : 0x00, 0x00),
  );
}

/** Why a frame's checksum is wrong for its board, or null when it is right. */
export function frameCheckProblem(bytes: Uint8Array, check: FrameCheck): string | null {
  switch (check) {
    case 'none':
      return null;
    case 'lcus': {
      if (bytes.length < 2) return 'frame too short (lcus: A0, data, checksum)';
      if (bytes[0] !== 0xa0) return `frame must start with A0 (lcus), not ${hex2(bytes[0] ?? 0)}`;
      const want = lcusChecksum(bytes.subarray(0, -1));
      return bytes.at(-1) === want ? null : `frame checksum wrong (lcus: last byte must be ${hex2(want)})`;
    }
    case 'modbus-rtu': {
      if (bytes.length < 4) return 'frame too short (modbus-rtu: address, function, data, CRC)';
      const crc = modbusCrc16(bytes.subarray(0, -2));
      const low = crc & 0xff;
      const high = crc >>> 8;
      return bytes.at(-2) === low && bytes.at(-1) === high
        ? null
        : `frame CRC wrong (modbus-rtu: last two bytes must be ${hex2(low)} ${hex2(high)})`;
    }
  }
}
