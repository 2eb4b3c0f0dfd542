// Watching a serial device's node (/dev/ttyUSB0, a pty's link): an unplugged device does not
// always make its open port fail (a pty whose other end went away, some USB-serial drivers), so
// the serial scanner and the serial relay both treat the node's loss or replacement as an unplug.
import { stat } from 'node:fs/promises';

/** Identity of a device node: it changes (or vanishes) when the device is unplugged. */
export async function deviceIdentity(path: string): Promise<string | null> {
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}:${s.rdev}`;
  } catch {
    return null;
  }
}

/**
 * Watches `path` every `everyMs` from now: calls `onGone` (once per change seen, until stopped)
 * when the node vanishes or is replaced by another. `stillCurrent` is asked before each call, so
 * a watch outliving its port (closed meanwhile) says nothing. Answers the function that stops it.
 */
export function watchDeviceNode(
  path: string,
  everyMs: number,
  stillCurrent: () => boolean,
  onGone: () => void,
): () => void {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  void deviceIdentity(path).then((identity) => {
    if (stopped || identity === null || !stillCurrent()) return;
    timer = setInterval(() => {
      void deviceIdentity(path).then((now) => {
        if (!stopped && stillCurrent() && now !== identity) onGone();
      });
    }, everyMs);
  });
  return () => {
    stopped = true;
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
}
