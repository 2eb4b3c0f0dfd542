import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadHardwareProfile, validateHardwareProfile } from './hardware-profile.js';
import { profileJsonSchema } from './profile-json-schema.js';

const dir = new URL('../../../hardware-profiles/', import.meta.url);
const profileFiles = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'profile.schema.json');

describe('hardware profiles', () => {
  it('ships the profiles the lane needs', () => {
    expect(profileFiles.sort()).toEqual(
      expect.arrayContaining([
        'generic-serial-cr.json',
        'generic-serial-crlf.json',
        'honeywell-hid-pos.json',
        'zebra-hid-pos.json',
        'generic-uvc-camera.json',
        'lcus-1-relay.json',
        'lcus-4-tower-light.json',
        'modbus-rtu-4ch-relay.json',
        'usb-hid-relay-2ch.json',
      ]),
    );
  });

  it.each(profileFiles)('%s is valid and named after its id', (file) => {
    const result = loadHardwareProfile(new URL(file, dir).pathname);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(`${result.profile.id}.json`).toBe(file);
  });

  it('profile.schema.json is generated from the schema the agent checks with', () => {
    expect(readFileSync(new URL('profile.schema.json', dir), 'utf8')).toBe(profileJsonSchema());
  });

  it.each([
    [{ id: 'x1', name: 'n', kind: 'laser' }, '/kind', /one of/],
    [
      { id: 'x1', name: 'n', kind: 'serial', serial: { baudRate: 9600, framing: { suffix: 'NUL' } } },
      '/serial/framing/suffix',
      /./,
    ],
    [
      { id: 'x1', name: 'n', kind: 'serial', serial: { baudRate: 0, framing: { suffix: 'CR' } } },
      '/serial/baudRate',
      /./,
    ],
    [
      { id: 'x1', name: 'n', kind: 'serial', serial: { baudRate: 9600, framing: { suffix: 'CR' } }, baud: 1 },
      '/baud',
      /unknown field "baud"/,
    ],
    [
      {
        id: 'x1',
        name: 'n',
        kind: 'camera',
        camera: { width: 1280, height: 720, fps: 30, roi: { x: 2, y: 0, width: 1, height: 1 } },
      },
      '/camera/roi/x',
      /./,
    ],
  ])('rejects a bad profile, naming the field (%#)', (profile, field, message) => {
    const result = validateHardwareProfile(profile);
    expect(result).toMatchObject({ ok: false, field });
    if (!result.ok) expect(result.message).toMatch(message);
  });

  describe('relay profiles', () => {
    const relay = (patch: Record<string, unknown> = {}): Record<string, unknown> => ({
      id: 'r1',
      name: 'relay',
      kind: 'relay',
      relay: {
        transport: 'serial',
        serial: { baudRate: 9600 },
        frameCheck: 'lcus',
        commands: {
          idle: ['A0 01 00 A1'],
          green: ['A0 01 01 A2'],
          red: ['A0 01 00 A1'],
          amber: ['A0 01 00 A1'],
        },
        openMs: 5000,
        ...patch,
      },
    });
    const valid: Record<string, string> = {
      lcus: 'A0 01 00 A1',
      none: '00',
      'modbus-rtu': '01 05 00 00 00 00 CD CA',
    };
    /** A profile whose green frames are these (the other commands valid for the frame check). */
    const commands = (green: string[], check = 'lcus'): Record<string, unknown> => {
      const ok = [valid[check] ?? ''];
      return relay({ frameCheck: check, commands: { idle: ok, green, red: ok, amber: ok } });
    };

    it('accepts a minimal one', () => {
      expect(validateHardwareProfile(relay())).toMatchObject({ ok: true });
    });

    it.each([
      [relay({ openMs: 100 }), '/relay/openMs', />= 500|minimum|500/],
      [relay({ openMs: 120_000 }), '/relay/openMs', /60000|maximum/],
      [relay({ holdMs: 0 }), '/relay/holdMs', /./],
      [relay({ transport: 'usb' }), '/relay/transport', /./],
      [relay({ frameCheck: 'crc32' }), '/relay/frameCheck', /./],
      [relay({ keepAlive: { everyMs: 10 } }), '/relay/keepAlive/everyMs', /./],
      [
        relay({
          commands: { idle: ['A0 01 00 A1'], green: [], red: ['A0 01 00 A1'], amber: ['A0 01 00 A1'] },
        }),
        '/relay/commands/green',
        /./,
      ],
      [
        relay({ commands: { idle: ['A0 01 00 A1'], green: ['A0 01 01 A2'], red: ['A0 01 00 A1'] } }),
        '/relay/commands',
        /amber/,
      ],
      [
        relay({
          commands: {
            idle: ['A0 01 00 A1'],
            green: ['A0 01 01 A2'],
            red: ['A0 01 00 A1'],
            amber: ['A0 01 00 A1'],
            blue: ['A0 01 00 A1'],
          },
        }),
        '/relay/commands/blue',
        /unknown field "blue"/,
      ],
      // Beyond the schema: the loader's own checks, naming the frame.
      [
        commands(['A0 01 01 A3']),
        '/relay/commands/green/0',
        /^frame checksum wrong \(lcus: last byte must be A2\)$/,
      ],
      [commands(['A0 01 01 A2', 'B0 01 01 B2']), '/relay/commands/green/1', /must start with A0/],
      [commands(['A0 01 0G A2']), '/relay/commands/green/0', /not hex bytes: "0G"/],
      [commands(['A0 1 01 A2']), '/relay/commands/green/0', /not hex bytes/],
      [commands(['  ']), '/relay/commands/green/0', /empty/],
      [
        commands([Array(65).fill('00').join(' ')], 'none'),
        '/relay/commands/green/0',
        /65 bytes long; at most 64/,
      ],
      [
        commands(['01 05 00 00 FF 00 8C 3B'], 'modbus-rtu'),
        '/relay/commands/green/0',
        /CRC wrong \(modbus-rtu: last two bytes must be 8C 3A\)/,
      ],
      [commands(['01 05 00'], 'modbus-rtu'), '/relay/commands/green/0', /too short/],
      [
        relay({ keepAlive: { everyMs: 1000, frames: ['A0 01 00 A0'] } }),
        '/relay/keepAlive/frames/0',
        /must be A1/,
      ],
      [
        relay({
          commands: {
            idle: ['A0 01 00 A1'],
            green: ['A0 01 01 A2'],
            red: ['A0 01 00 A1'],
            amber: ['A0 01 00 A1'],
            fault: ['A0 04 01 A4'],
          },
        }),
        '/relay/commands/fault/0',
        /must be A5/,
      ],
      [relay({ serial: undefined }), '/relay/serial', /required for transport serial/],
      [
        relay({ hid: { vendorId: 5824, productId: 1503, report: 'feature' } }),
        '/relay/hid',
        /only for transport hid/,
      ],
      [relay({ transport: 'hid', serial: undefined }), '/relay/hid', /required for transport hid/],
      [
        relay({
          transport: 'hid',
          serial: undefined,
          hid: { vendorId: 5824, productId: 1503, report: 'feature' },
          reply: 'echo',
        }),
        '/relay/reply',
        /serial/,
      ],
      [
        relay({ serial: { baudRate: 9600, framing: { suffix: 'CR' } } }),
        '/relay/serial/framing',
        /unknown field/,
      ],
    ])('refuses a bad relay profile, naming the field (%#)', (profile, field, message) => {
      const result = validateHardwareProfile(profile);
      expect(result).toMatchObject({ ok: false, field });
      if (!result.ok) expect(result.message).toMatch(message);
    });

    describe('a shut state that opens the gate is refused', () => {
      // An LCUS-4 tower: ch1 barrier, ch2 green lamp, ch3 amber lamp, ch4 red lamp.
      const on = (ch: number): string => `A0 0${ch} 01 ${(0xa1 + ch).toString(16).toUpperCase()}`;
      const off = (ch: number): string => `A0 0${ch} 00 ${(0xa0 + ch).toString(16).toUpperCase()}`;
      const tower = (patch: Record<string, unknown> = {}, barrier = true): Record<string, unknown> =>
        relay({
          ...(barrier && { barrier: { open: on(1), shut: off(1) } }),
          commands: {
            idle: [off(1), off(2), off(3), off(4)],
            green: [off(4), off(3), on(2), on(1)],
            red: [off(1), off(2), on(3)],
            amber: [off(1), off(2), on(3)],
            fault: [off(1), off(3), on(4)],
            ...patch,
          },
        });

      it('accepts a tower light, with or without relay.barrier', () => {
        expect(validateHardwareProfile(tower())).toMatchObject({ ok: true });
        expect(validateHardwareProfile(tower({}, false))).toMatchObject({ ok: true });
        expect(validateHardwareProfile(relay({ passbackSec: 0 }))).toMatchObject({ ok: true });
      });

      it('with relay.barrier the rule is about the barrier channel only (a lamp of green may show elsewhere)', () => {
        const amberWithGreenLamp = tower({ amber: [off(1), on(2), on(3)] });
        expect(validateHardwareProfile(amberWithGreenLamp)).toMatchObject({ ok: true });
        // Without it the loader cannot tell a lamp from the barrier: any frame of green's is refused.
        expect(validateHardwareProfile(tower({ amber: [off(1), on(2), on(3)] }, false))).toMatchObject({
          ok: false,
          field: '/relay/commands/amber/1',
        });
      });

      it.each([
        // The reviewer's copy-paste slip: idle, red and amber all open the barrier.
        [
          relay({
            commands: { idle: [on(1)], green: [on(1)], red: [on(1)], amber: [on(1)], fault: [off(1)] },
          }),
          '/relay/commands/idle',
          /same as green/,
        ],
        [
          relay({ commands: { idle: [off(1)], green: [on(1)], red: [on(1)], amber: [off(1)] } }),
          '/relay/commands/red/0',
          /frame of green/,
        ],
        [
          relay({ commands: { idle: [off(1)], green: [on(1)], red: [off(1)], amber: [off(1), on(1)] } }),
          '/relay/commands/amber/1',
          /./,
        ],
        [
          relay({
            commands: { idle: [off(1)], green: [on(1)], red: [off(1)], amber: [off(1)], fault: [on(1)] },
          }),
          '/relay/commands/fault/0',
          /./,
        ],
        [relay({ keepAlive: { everyMs: 1000, frames: [on(1)] } }), '/relay/keepAlive/frames/0', /./],
        [
          relay({ commands: { idle: [off(1), on(1)], green: [on(1)], red: [off(1)], amber: [off(1)] } }),
          '/relay/commands/green',
          /sends nothing idle does not/,
        ],
        [tower({ idle: [on(1), off(2)] }), '/relay/commands/idle/0', /is barrier.open \(A0 01 01 A2\)/],
        [tower({ red: [off(2), on(3)] }), '/relay/commands/red', /must send barrier.shut \(A0 01 00 A1\)/],
        [tower({ fault: [off(1), on(1), on(4)] }), '/relay/commands/fault/1', /barrier.open/],
        [tower({ green: [on(2)] }), '/relay/commands/green', /must send barrier.open/],
        [relay({ barrier: { open: on(1), shut: on(1) } }), '/relay/barrier/shut', /differ/],
        [relay({ barrier: { open: 'A0 01 01 A3', shut: off(1) } }), '/relay/barrier/open', /must be A2/],
        [
          relay({
            barrier: { open: on(1), shut: off(1) },
            keepAlive: { everyMs: 1000, frames: [off(2), on(1)] },
          }),
          '/relay/keepAlive/frames/1',
          /barrier.open/,
        ],
        [relay({ passbackSec: -1 }), '/relay/passbackSec', /./],
        [relay({ barrier: { open: on(1) } }), '/relay/barrier', /./],
      ])('refuses it, naming the field (%#)', (profile, field, message) => {
        const result = validateHardwareProfile(profile);
        expect(result).toMatchObject({ ok: false, field });
        if (!result.ok) expect(result.message).toMatch(message);
      });
    });

    it('takes frames written without spaces or in lower case', () => {
      expect(validateHardwareProfile(commands(['a00101a2']))).toMatchObject({ ok: true });
    });
  });

  it('says why a file cannot be read', () => {
    expect(loadHardwareProfile('/nonexistent/profile.json')).toMatchObject({
      ok: false,
      message: /cannot read/,
    });
  });
});
