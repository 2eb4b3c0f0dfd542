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

  it('says why a file cannot be read', () => {
    expect(loadHardwareProfile('/nonexistent/profile.json')).toMatchObject({
      ok: false,
      message: /cannot read/,
    });
  });
});
