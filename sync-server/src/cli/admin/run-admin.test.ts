import { describe, expect, it } from 'vitest';
import { progressBar, runAdmin, table } from './run-admin.js';

describe('checkpoint-admin helpers', () => {
  it('draws a progress bar and plain tables', () => {
    expect(progressBar(0, 2 * 1048576, 10)).toBe('[..........]   0% 0.0/2.0 MB');
    expect(progressBar(1048576, 2 * 1048576, 10)).toBe('[#####.....]  50% 1.0/2.0 MB');
    expect(progressBar(5, 0, 4)).toBe('[....]   0% 0.0/0.0 MB');
    expect(
      table(
        [
          { a: 1, b: null },
          { a: 'long value', b: { x: 1 } },
        ],
        ['a', 'b'],
      ),
    ).toBe('a           b\n1           -\nlong value  {"x":1}');
    expect(table([], ['a'])).toBe('(none)');
  });

  it('explains usage errors with exit code 2', async () => {
    let err = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, env: {} };
    expect(await runAdmin(['--bogus'], io)).toBe(2);
    expect(err).toMatch(/Unknown option '--bogus'/);
    expect(
      await runAdmin(['--server', 'http://x', '--token', 't', 'lists', 'import', 'people', 'f.csv'], io),
    ).toBe(2);
    expect(await runAdmin(['--server', 'http://x', '--token', 't', 'enroll'], io)).toBe(2);
    expect(await runAdmin(['--server', 'http://x', '--token', 't', 'alerts', '--limit', 'x'], io)).toBe(2);
  });
});
