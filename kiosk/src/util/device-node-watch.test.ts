import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deviceIdentity, watchDeviceNode } from './device-node-watch.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function node(): string {
  const dir = mkdtempSync(join(tmpdir(), 'node-watch-'));
  dirs.push(dir);
  const path = join(dir, 'ttyUSB0');
  writeFileSync(path, '');
  return path;
}

describe('watchDeviceNode', () => {
  it('says when the node vanishes or is replaced, and nothing once stopped or no longer current', async () => {
    const path = node();
    expect(await deviceIdentity(path)).toMatch(/^\d+:\d+:\d+$/);
    const gone = vi.fn();
    const stop = watchDeviceNode(path, 20, () => true, gone);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(gone).not.toHaveBeenCalled();
    rmSync(path);
    await vi.waitFor(() => {
      expect(gone).toHaveBeenCalled();
    });
    stop();

    const replaced = node();
    const seen = vi.fn();
    const stopReplaced = watchDeviceNode(replaced, 20, () => true, seen);
    await new Promise((resolve) => setTimeout(resolve, 60));
    // Another device node at the same path (made while the first still exists: another inode).
    writeFileSync(`${replaced}.new`, '');
    renameSync(`${replaced}.new`, replaced);
    await vi.waitFor(() => {
      expect(seen).toHaveBeenCalled();
    });
    stopReplaced();

    const quiet = node();
    const notCurrent = vi.fn();
    const stopQuiet = watchDeviceNode(quiet, 20, () => false, notCurrent);
    const stopped = node();
    const afterStop = vi.fn();
    watchDeviceNode(stopped, 20, () => true, afterStop)();
    rmSync(quiet);
    rmSync(stopped);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(notCurrent).not.toHaveBeenCalled();
    expect(afterStop).not.toHaveBeenCalled();
    stopQuiet();
    expect(await deviceIdentity(quiet)).toBeNull();
  });
});
