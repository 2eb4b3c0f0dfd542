// Helpers for lane integration tests: a real sync server process on a fixed loopback port (so
// it can be killed and brought back at the same address), admin calls, and the lane CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SERVER_JS } from './sync-server-helpers.js';

/** The built lane CLI (`npm run build` first; `npm test` does). */
export const LANE_JS = fileURLToPath(new URL('../../kiosk/dist/cli/checkpoint-lane.js', import.meta.url));

/**
 * Lane sync timings for tests: uploads at once and quick retries, while the safety-net poll
 * and the periodic heartbeat are slow (60 s), so anything faster was pushed or event-driven.
 */
export const FAST_SYNC = {
  pollMs: 60_000,
  heartbeatMs: 60_000,
  uploadIdleMs: 200,
  retry: { baseMs: 50, capMs: 300 },
};

/**
 * The development key store, chosen explicitly: test lanes have no TPM (the thief test brings
 * its own swtpm and passes `--key-store tpm`).
 */
export const INSECURE_KEY_STORE_ARGS: readonly string[] = ['--key-store', 'file', '--insecure-key-file'];

/** `checkpoint-lane` arguments for a lane that enrolls and reads scans from stdin (`--json`). */
export function stdinLaneArgs(serverUrl: string, code: string, name: string, dataDir: string): string[] {
  return [
    LANE_JS,
    ...['--server', serverUrl, '--enroll', code, '--name', name, '--data', dataDir],
    ...['--scanner', 'stdin', '--json'],
    ...INSECURE_KEY_STORE_ARGS,
  ];
}

/** A free loopback port. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A sync server process that can be stopped (gracefully or with SIGKILL) and started again. */
export class ServerUnderTest {
  child: ChildProcess | null = null;
  readonly url: string;

  constructor(
    readonly dataDir: string,
    readonly port: number,
    readonly adminToken: string,
    /** More `checkpoint-server` flags (e.g. `--offline-after 2`). */
    readonly extraArgs: readonly string[] = [],
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        SERVER_JS,
        '--port',
        String(this.port),
        '--data',
        this.dataDir,
        '--log-level',
        'warn',
        ...this.extraArgs,
      ],
      {
        env: { ...process.env, CHECKPOINT_ADMIN_TOKEN: this.adminToken },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    const output: string[] = [];
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((resolve, reject) => {
      lines.on('line', (line) => {
        output.push(line);
        if (line.includes('listening on')) resolve();
      });
      child.once('exit', (code) => {
        reject(new Error(`server exited (${code}):\n${output.join('\n')}`));
      });
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  /** An admin API call. */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the JSON shape it expects
  async admin<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}/api/v1/admin${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.adminToken}`,
        ...(body !== undefined && { 'content-type': contentType }),
      },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T };
  }

  async addCheckpoint(
    id: string,
    mode: 'open' | 'closed',
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const res = await this.admin('POST', '/checkpoints', { id, name: `Chốt ${id}`, mode, ...extra });
    if (res.status >= 300) throw new Error(`checkpoint ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async importCsv(list: 'health' | 'whitelist', csv: string): Promise<number> {
    const res = await this.admin<{ version: number }>('POST', `/lists/${list}/import`, csv, 'text/csv');
    if (res.status !== 200) throw new Error(`import ${list}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.version;
  }

  async enrollmentCode(checkpointId: string): Promise<string> {
    const res = await this.admin<{ code: string }>('POST', '/enrollments', { checkpointId });
    if (res.status >= 300) throw new Error(`enroll: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.code;
  }

  /** Scans the server holds for a kiosk: count, distinct ids, and the sequence numbers. */
  storedScans(kioskId: string): { count: number; distinctIds: number; seqs: number[] } {
    const db = new Database(`${this.dataDir}/server.db`, { readonly: true, fileMustExist: true });
    try {
      const rows = db
        .prepare(
          'SELECT s.seq, s.id FROM scans s JOIN kiosks k ON k.no = s.kiosk_no WHERE k.id = ? ORDER BY s.seq',
        )
        .all(kioskId) as {
        seq: number;
        id: string;
      }[];
      return {
        count: rows.length,
        distinctIds: new Set(rows.map((r) => r.id)).size,
        seqs: rows.map((r) => r.seq),
      };
    } finally {
      db.close();
    }
  }
}

/** Overrides the server holds (read from its database). */
export function storedOverrides(server: ServerUnderTest): {
  decision: string;
  original_decision: string;
  officer_id: string;
  supervisor_id: string | null;
}[] {
  const db = new Database(`${server.dataDir}/server.db`, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT decision, original_decision, officer_id, supervisor_id FROM overrides ORDER BY no')
      .all() as never;
  } finally {
    db.close();
  }
}

/** 1..n */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
