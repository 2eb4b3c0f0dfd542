import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FALLBACK_SCHEDULE,
  LANE_SCHEDULE,
  PASSES,
  PassSchedule,
  SceneWatch,
  type DecodePass,
} from './pass-schedule.js';

/** Runs one frame: the pass chosen, and what the schedule accepted of `read`. */
function frame(
  s: PassSchedule,
  read: string | null,
  changed = false,
): { pass: string; accepted: string | null; by?: string } {
  const pass = s.next(changed).name;
  const a = s.observe(read);
  return a ? { pass, accepted: a.text, by: a.pass } : { pass, accepted: null };
}

describe('PassSchedule', () => {
  it('rotates the passes one per frame, in order, round and round, while nothing is read', () => {
    const s = new PassSchedule();
    const names = Array.from({ length: LANE_SCHEDULE.length * 2 + 1 }, () => frame(s, null).pass);
    const cycle = LANE_SCHEDULE.map((p) => p.name);
    expect(names).toEqual([...cycle, ...cycle, cycle[0]]);
    // The lane's own pass every other frame; the inverted pass is in the cycle.
    expect(cycle.filter((_, i) => i % 2 === 0)).toEqual(Array(cycle.length / 2).fill('lane'));
    expect(cycle).toContain('inverted');
  });

  it('decodes once per frame: a second next() before observe() is refused', () => {
    const s = new PassSchedule();
    s.next();
    expect(() => s.next()).toThrow(/one decode per frame/);
    expect(() => new PassSchedule().observe('x')).toThrow(/before next/);
    expect(() => new PassSchedule([])).toThrow(/at least one pass/);
  });

  it("accepts the lane's own pass at once, names it, and starts the cycle again", () => {
    const s = new PassSchedule();
    frame(s, null); // lane
    frame(s, null); // inverted
    frame(s, null); // lane
    frame(s, null); // stretched
    expect(frame(s, 'CARD')).toEqual({ pass: 'lane', accepted: 'CARD', by: 'lane' });
    expect(frame(s, null).pass).toBe(LANE_SCHEDULE[0]?.name);
  });

  it('accepts a read by another pass only when the next frame, read by that pass again, agrees', () => {
    const s = new PassSchedule();
    expect(frame(s, null).pass).toBe('lane');
    expect(frame(s, 'DARK-MODE')).toEqual({ pass: 'inverted', accepted: null });
    // The next frame goes to the pass that read it, and confirms it.
    expect(frame(s, 'DARK-MODE')).toEqual({ pass: 'inverted', accepted: 'DARK-MODE', by: 'inverted' });
    expect(frame(s, null).pass).toBe('lane'); // a read ends the cycle
  });

  it('does not accept an unconfirmed read: a miss or a different text on the next frame', () => {
    const s = new PassSchedule();
    frame(s, null); // lane
    expect(frame(s, 'ONE')).toEqual({ pass: 'inverted', accepted: null });
    expect(frame(s, null)).toEqual({ pass: 'inverted', accepted: null }); // not confirmed: dropped
    expect(frame(s, null).pass).toBe('lane'); // and the cycle goes on where it was
    expect(frame(s, 'TWO')).toEqual({ pass: 'stretched', accepted: null });
    expect(frame(s, 'THREE')).toEqual({ pass: 'stretched', accepted: null }); // a different text
    expect(frame(s, 'THREE')).toEqual({ pass: 'stretched', accepted: 'THREE', by: 'stretched' });
  });

  it('never accepts a text from a pass other than the lane’s unless the same pass read it on the frame before', () => {
    const passes: DecodePass[] = [PASSES.lane, PASSES.inverted, PASSES.half, PASSES.denoise];
    const reads = fc.array(fc.option(fc.constantFrom('A', 'B', 'C', ''), { nil: null }), { maxLength: 60 });
    fc.assert(
      fc.property(reads, (list) => {
        const s = new PassSchedule(passes);
        let previous: { pass: string; read: string | null } | null = null;
        for (const read of list) {
          const pass = s.next();
          const accepted = s.observe(read);
          if (accepted) {
            expect(accepted.text).toBe(read);
            expect(accepted.pass).toBe(pass.name);
            if (!pass.trusted) expect(previous).toEqual({ pass: pass.name, read });
          }
          // Empty texts are never accepted.
          if (read === '') expect(accepted).toBeNull();
          previous = { pass: pass.name, read };
        }
      }),
    );
  });

  it("gives a frame whose scene changed to the lane's pass (a card read on its first frame), two in a row at most", () => {
    const s = new PassSchedule();
    expect(frame(s, null).pass).toBe('lane');
    expect(frame(s, 'CARD', true)).toEqual({ pass: 'lane', accepted: 'CARD', by: 'lane' }); // not 'inverted'
    const steady = new PassSchedule();
    frame(steady, null); // lane
    expect(frame(steady, null).pass).toBe('inverted'); // nothing changed: the cycle goes on
    // A scene always moving: the lane's pass twice, then the cycle's next pass, which waited.
    const moving = new PassSchedule();
    const passes = Array.from({ length: 9 }, () => frame(moving, null, true).pass);
    expect(passes).toEqual([
      'lane',
      'lane',
      'inverted',
      'lane',
      'lane',
      'stretched',
      'lane',
      'lane',
      'pyramid-2',
    ]);
    // A pending read is still checked by its own pass, changed scene or not.
    const pending = new PassSchedule();
    frame(pending, null);
    expect(frame(pending, 'DARK').pass).toBe('inverted');
    expect(frame(pending, 'DARK', true)).toEqual({ pass: 'inverted', accepted: 'DARK', by: 'inverted' });
  });

  it('SceneWatch: a card coming into view is a change, sensor noise is not', () => {
    const scene = (card: boolean, seed: number) => {
      const width = 320;
      const height = 240;
      const data = new Uint8ClampedArray(width * height * 4);
      let r = seed;
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          r = (r * 1103515245 + 12345) % 2147483648;
          const inCard = card && x > 100 && x < 220 && y > 60 && y < 180 && (x >> 3) % 2 === (y >> 3) % 2;
          const v = (inCard ? 30 : 150) + ((r >> 16) % 13) - 6;
          data.set([v, v, v, 255], (y * width + x) * 4);
        }
      return { data, width, height };
    };
    const watch = new SceneWatch();
    expect(watch.changed(scene(false, 1))).toBe(true); // the first frame
    expect(watch.changed(scene(false, 2))).toBe(false);
    expect(watch.changed(scene(false, 3))).toBe(false);
    expect(watch.changed(scene(true, 4))).toBe(true);
    expect(watch.changed(scene(true, 5))).toBe(false);
  });

  it('gives the fallback decoder the passes it can run (pixels only, no reader options)', () => {
    expect(FALLBACK_SCHEDULE.map((p) => p.name)).toEqual(['lane', 'inverted']);
    for (const p of FALLBACK_SCHEDULE) expect(p.options).toEqual({});
  });
});
