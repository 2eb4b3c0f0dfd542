// Helpers for the fleet-mode integration tests: a lane CLI process fed through stdin whose
// decisions and log lines the test reads as they come, a TCP proxy that can cut a server off
// from PostgreSQL, and the scans a kiosk has in the fleet's database.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { stdinLaneArgs } from './lane-helpers.js';

/** One `--json` decision line of the lane CLI. */
export interface DecisionLine {
  readonly decision: string;
  readonly reasons: readonly string[];
  readonly recorded: boolean;
  readonly alert: boolean;
}

/** A log line of the lane (pino JSON on stderr) and when the test read it (Date.now()). */
export interface LogLine {
  readonly msg: string;
  readonly readAt: number;
  readonly fields: Record<string, unknown>;
}

/**
 * `checkpoint-lane --server … --scanner stdin --json` as a child process. Each `scan` writes one
 * line to its standard input and resolves with the decision line it printed (the stdin scanner
 * decides in order); log lines are kept with the time they were read.
 */
export class LaneProcess {
  readonly decisions: DecisionLine[] = [];
  readonly logs: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  readonly #pending: ((d: DecisionLine) => void)[] = [];
  readonly #logWaiters: { match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const d = JSON.parse(line) as DecisionLine;
      this.decisions.push(d);
      this.#pending.shift()?.(d);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.stderr.push(line);
      let fields: Record<string, unknown>;
      try {
        fields = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      const log: LogLine = {
        msg: typeof fields['msg'] === 'string' ? fields['msg'] : '',
        readAt: Date.now(),
        fields,
      };
      this.logs.push(log);
      for (let i = this.#logWaiters.length - 1; i >= 0; i--) {
        const w = this.#logWaiters[i];
        if (w?.match(log)) {
          this.#logWaiters.splice(i, 1);
          w.resolve(log);
        }
      }
    });
  }

  /** Starts a lane that enrolls with `code` against `servers` (comma-separated). */
  static start(
    servers: string,
    code: string,
    name: string,
    dataDir: string,
    env: NodeJS.ProcessEnv = {},
  ): LaneProcess {
    const child = spawn(process.execPath, stdinLaneArgs(servers, code, name, dataDir), {
      env: { ...process.env, CHECKPOINT_LOG_LEVEL: 'info', CHECKPOINT_DRAIN_MS: '30000', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new LaneProcess(child);
  }

  /** Scans one code; resolves with its decision (15 s at most). */
  scan(code: string): Promise<DecisionLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no decision within 15 s; lane stderr:\n${this.stderr.slice(-20).join('\n')}`));
      }, 15_000);
      this.#pending.push((d) => {
        clearTimeout(timer);
        resolve(d);
      });
      this.child.stdin.write(`${code}\n`);
    });
  }

  /**
   * The first log line (already read or still to come, at or after `since`) that `match`
   * accepts; rejects after `timeoutMs`.
   */
  waitLog(match: (l: LogLine) => boolean, since = 0, timeoutMs = 20_000): Promise<LogLine> {
    const seen = this.logs.find((l) => l.readAt >= since && match(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match: (l: LogLine) => l.readAt >= since && match(l),
        resolve: (l: LogLine) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        const i = this.#logWaiters.indexOf(waiter);
        if (i >= 0) this.#logWaiters.splice(i, 1);
        reject(
          new Error(
            `log line not seen within ${timeoutMs} ms; lane stderr:\n${this.stderr.slice(-20).join('\n')}`,
          ),
        );
      }, timeoutMs);
      this.#logWaiters.push(waiter);
    });
  }

  /** Ends standard input: the lane drains its outbox and exits. Resolves with its exit code. */
  async end(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }

  /** Kills it (tests' cleanup). */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * A TCP proxy on a loopback port in front of another port (a sync server, or PostgreSQL).
 * `close()` cuts every connection through it and refuses new ones until `open()` again on the
 * same port. HTTP/1.1 requests through it are noted by method and path (`seen`).
 */
export class TcpProxy {
  /** HTTP requests seen, as `METHOD /path` (query left off). */
  readonly seen: string[] = [];
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;

  constructor(
    readonly port: number,
    readonly targetPort: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** How many `METHOD /path` requests went through. */
  count(what: string): number {
    return this.seen.filter((r) => r === what).length;
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      this.#sockets.add(client).add(upstream);
      client.on('data', (chunk: Buffer) => {
        for (const m of chunk.toString('latin1').matchAll(/^(GET|POST|PUT|DELETE) (\S+) HTTP\/1\.1\r$/gm)) {
          this.seen.push(`${m[1]} ${m[2]?.split('?')[0]}`);
        }
      });
      client.pipe(upstream);
      upstream.pipe(client);
      const close = (): void => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      for (const s of [client, upstream]) {
        s.on('error', close);
        s.on('close', close);
      }
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.#server = server;
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

/** The scans the fleet's database holds for a kiosk: rows, distinct sequence numbers, the numbers. */
export async function fleetScans(
  pool: pg.Pool,
  kioskId: string,
): Promise<{ count: number; distinctSeqs: number; seqs: number[] }> {
  const { rows } = await pool.query<{ seq: number }>(
    'SELECT s.seq FROM scans s JOIN kiosks k ON k.no = s.kiosk_no WHERE k.id = $1 ORDER BY s.seq',
    [kioskId],
  );
  const seqs = rows.map((r) => r.seq);
  return { count: seqs.length, distinctSeqs: new Set(seqs).size, seqs };
}

/** Polls `check` until true (`ms` at most, 20 s by default). */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
