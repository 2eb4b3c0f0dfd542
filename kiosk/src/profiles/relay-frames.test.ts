import { describe, expect, it } from 'vitest';
import {
  formatHexFrame,
  frameCheckProblem,
  lcusChecksum,
  lcusFrame,
  modbusCrc16,
  modbusWriteCoil,
  parseHexFrame,
} from './relay-frames.js';

describe('relay frames', () => {
  it('CRC-16/MODBUS gives the catalogue check value and the well-known write-coil frames', () => {
    // The CRC catalogue's check: CRC-16/MODBUS of "123456789" is 0x4B37.
    expect(modbusCrc16(new TextEncoder().encode('123456789'))).toBe(0x4b37);
    // Slave 1, coil 0 on/off: the frames every Modbus relay manual prints.
    expect(formatHexFrame(modbusWriteCoil(1, 0, true))).toBe('01 05 00 00 FF 00 8C 3A');
    expect(formatHexFrame(modbusWriteCoil(1, 0, false))).toBe('01 05 00 00 00 00 CD CA');
  });

  it('LCUS frames are A0, channel, state, byte sum', () => {
    expect(formatHexFrame(lcusFrame(1, true))).toBe('A0 01 01 A2');
    expect(formatHexFrame(lcusFrame(1, false))).toBe('A0 01 00 A1');
    expect(formatHexFrame(lcusFrame(4, true))).toBe('A0 04 01 A5');
    expect(lcusChecksum(Uint8Array.of(0xa0, 0xff, 0x01))).toBe(0xa0);
  });

  it('parses hex with or without spaces, either case, and refuses anything else', () => {
    expect(parseHexFrame(' a0 01\t01 A2 ')).toEqual({ ok: true, bytes: Uint8Array.of(0xa0, 1, 1, 0xa2) });
    expect(parseHexFrame('A00101A2')).toEqual({ ok: true, bytes: Uint8Array.of(0xa0, 1, 1, 0xa2) });
    expect(parseHexFrame('0xA0')).toMatchObject({ ok: false, message: /not hex bytes/ });
    expect(parseHexFrame('A0 1')).toMatchObject({ ok: false, message: /not hex bytes: "1"/ });
    expect(parseHexFrame('')).toMatchObject({ ok: false, message: /empty/ });
    expect(parseHexFrame('00'.repeat(64))).toMatchObject({ ok: true });
    expect(parseHexFrame('00'.repeat(65))).toMatchObject({ ok: false, message: /at most 64/ });
  });

  it('says what a frame check wants', () => {
    expect(frameCheckProblem(Uint8Array.of(0xa0, 1, 1, 0xa2), 'lcus')).toBeNull();
    expect(frameCheckProblem(Uint8Array.of(0xa0, 1, 1, 0xa1), 'lcus')).toBe(
      'frame checksum wrong (lcus: last byte must be A2)',
    );
    expect(frameCheckProblem(Uint8Array.of(0xa0), 'lcus')).toMatch(/too short/);
    expect(frameCheckProblem(modbusWriteCoil(7, 300, true), 'modbus-rtu')).toBeNull();
    expect(frameCheckProblem(Uint8Array.of(1, 5, 0, 0, 0xff, 0, 0x3a, 0x8c), 'modbus-rtu')).toBe(
      'frame CRC wrong (modbus-rtu: last two bytes must be 8C 3A)',
    );
    expect(frameCheckProblem(Uint8Array.of(0x42), 'none')).toBeNull();
  });
});
