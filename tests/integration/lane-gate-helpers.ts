// Helpers for the gate's integration tests: a socat pty whose far end is socat's stdio (a relay
// board that records what it receives, or a scanner the test types into), and the lane CLI as a
// real process reading its stderr log and stdout decisions.
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { INSECURE_KEY_STORE_ARGS, LANE_JS } from './lane-helpers.js';

/** Bytes received by a pty board, with when they came (ms since epoch). */
export interface ReceivedChunk {
  readonly at: number;
  readonly bytes: Buffer;
}

/**
 * A real pseudo-terminal from socat: the lane opens `path`; what it writes comes out of socat's
 * stdout (recorded with the time), what the test writes to socat's stdin reaches the lane. socat
 * stays up when the lane closes or dies, as a USB-serial adapter stays plugged in.
 */
export class PtyEnd {
  readonly path: string;
  readonly chunks: ReceivedChunk[] = [];
  #proc: ChildProcessWithoutNullStreams | null = null;

  constructor(dir: string, name: string) {
    this.path = join(dir, name);
  }

  async open(): Promise<void> {
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.path}`, 'STDIO'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#proc = proc;
    proc.stdin.on('error', () => undefined);
    proc.stdout.on('data', (bytes: Buffer) => {
      this.chunks.push({ at: Date.now(), bytes });
    });
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      proc.stderr.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('starting data transfer loop')) resolve();
      });
      proc.once('error', reject);
      proc.once('exit', (code) => {
        reject(new Error(`socat exited (${code}): ${seen}`));
      });
    });
  }

  /** Types into the lane's end (a scanner's code and its suffix). */
  send(text: string): void {
    this.#proc?.stdin.write(text);
  }

  /**
   * What the board received as frames of `size` bytes, with the time of the chunk that completed
   * each, as upper-case hex ("A0 01 00 A1").
   */
  frames(size = 4): { at: number; hex: string }[] {
    const out: { at: number; hex: string }[] = [];
    let pending = Buffer.alloc(0);
    for (const c of this.chunks) {
      pending = Buffer.concat([pending, c.bytes]);
      while (pending.length >= size) {
        const frame = pending.subarray(0, size);
        pending = pending.subarray(size);
        out.push({
          at: c.at,
          hex: Array.from(frame, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' '),
        });
      }
    }
    return out;
  }

  async close(): Promise<void> {
    const proc = this.#proc;
    this.#proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    await exited;
  }
}

/** The lane CLI as a process: its stderr lines (logs) and stdout lines (`--json` decisions). */
export class LaneProcess {
  readonly child: ChildProcess;
  readonly logs: string[] = [];
  readonly decisions: Record<string, unknown>[] = [];
  readonly #waiters: (() => void)[] = [];

  constructor(dataDir: string, args: readonly string[], env: Record<string, string> = {}) {
    this.child = spawn(
      process.execPath,
      [LANE_JS, '--data', dataDir, '--json', ...INSECURE_KEY_STORE_ARGS, ...args],
      {
        env: { ...process.env, CHECKPOINT_LOG_LEVEL: 'info', CHECKPOINT_FIRST_SYNC_MS: '10000', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.logs.push(line);
      this.#wake();
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.decisions.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.logs.push(`stdout: ${line}`);
      }
      this.#wake();
    });
    this.child.once('exit', () => {
      this.#wake();
    });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits until `ready()` holds (checked on every line), failing after `timeoutMs` or if the lane exits. */
  async until(what: string, ready: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (ready()) return;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`lane exited before ${what}:\n${this.logs.join('\n')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}:\n${this.logs.slice(-30).join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for a log line containing `fragment`. */
  waitForLog(fragment: string, timeoutMs?: number): Promise<void> {
    return this.until(`"${fragment}"`, () => this.logs.some((l) => l.includes(fragment)), timeoutMs);
  }

  /** Waits for the `n`th decision line (1-based) and answers it. */
  async decision(n: number, timeoutMs?: number): Promise<Record<string, unknown>> {
    await this.until(`decision ${n}`, () => this.decisions.length >= n, timeoutMs);
    return this.decisions[n - 1]!;
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    await exited;
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
