// A relay board at the far end of a real socat pseudo-terminal, for tests of serial relays (and
// of the gate driving one): what the relay writes comes out here, and what the test answers goes
// back to the relay.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';

/**
 * A real pseudo-terminal from socat: the relay opens `DIR/lane`; what it writes comes out of
 * socat's stdout (the "board"), and what the test writes to socat's stdin goes back to the relay.
 */
export class PtyBoard {
  readonly path: string;
  #proc: ChildProcessWithoutNullStreams | null = null;
  #bytes: Buffer[] = [];
  /** Called with each chunk the board receives (to answer it). */
  onData: ((chunk: Buffer) => void) | null = null;

  constructor(readonly dir: string) {
    this.path = join(dir, 'lane');
  }

  async plug(): Promise<void> {
    this.#bytes = [];
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.path}`, 'STDIO'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#proc = proc;
    proc.stdin.on('error', () => undefined);
    proc.stdout.on('data', (chunk: Buffer) => {
      this.#bytes.push(chunk);
      this.onData?.(chunk);
    });
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      proc.stderr.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        // socat logs "starting data transfer loop" once the pty and its link exist.
        if (seen.includes('starting data transfer loop')) resolve();
      });
      proc.once('error', reject);
      proc.once('exit', (code) => {
        reject(new Error(`socat exited (${code}): ${seen}`));
      });
    });
  }

  received(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.#bytes));
  }

  /** Sends bytes from the board to the relay. */
  answer(bytes: Uint8Array): void {
    this.#proc?.stdin.write(Buffer.from(bytes));
  }

  async unplug(): Promise<void> {
    const proc = this.#proc;
    this.#proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
  }
}
