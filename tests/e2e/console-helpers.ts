// Helpers for the admin console end-to-end tests: a real lane process reading scans from its
// stdin, accounts made with the bootstrap token, and a browser page that records every request
// it makes (the console must never reach past the server it came from).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Page } from 'playwright-core';
import { stdinLaneArgs, type ServerUnderTest } from '../integration/lane-helpers.js';

/** A `checkpoint-lane --scanner stdin --json` process: each written line is one scan. */
export class StdinLane {
  readonly decisions: Record<string, unknown>[] = [];
  private readonly output: string[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.output.push(line);
      if (line.startsWith('{')) {
        this.decisions.push(JSON.parse(line) as Record<string, unknown>);
        for (const w of this.waiters.splice(0)) w();
      }
    });
    child.stderr.on('data', (d: Buffer) => this.output.push(d.toString()));
  }

  /**
   * Enrolls and starts a lane; resolves once it has enrolled and synced its lists. `args`: more
   * `checkpoint-lane` flags; `prefix`: a command the lane runs under (e.g. `faketime -f -1h`).
   */
  static async start(
    server: ServerUnderTest,
    dataDir: string,
    name: string,
    checkpointId: string,
    opts: { args?: readonly string[]; prefix?: readonly string[] } = {},
  ) {
    const code = await server.enrollmentCode(checkpointId);
    const argv = [
      ...(opts.prefix ?? []),
      process.execPath,
      ...stdinLaneArgs(server.url, code, name, dataDir),
      '--display',
      'none',
      ...(opts.args ?? []),
    ];
    const child = spawn(argv[0]!, argv.slice(1), {
      env: { ...process.env, CHECKPOINT_LOG_LEVEL: 'warn' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lane = new StdinLane(child);
    // The lane is in the fleet once the server has seen it heartbeat.
    for (let i = 0; i < 200; i++) {
      const kiosks = await server.admin<{ kiosks: { name: string; lastHeartbeatAt: number | null }[] }>(
        'GET',
        '/kiosks',
      );
      if (kiosks.body.kiosks.some((k) => k.name === name && k.lastHeartbeatAt !== null)) return lane;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`lane ${name} did not come up:\n${lane.output.join('\n')}`);
  }

  /** Scans one code and resolves with the lane's decision line. */
  async scan(text: string): Promise<Record<string, unknown>> {
    const before = this.decisions.length;
    const seen = new Promise<void>((resolve) => this.waiters.push(resolve));
    this.child.stdin.write(`${text}\n`);
    while (this.decisions.length <= before) await seen;
    const decision = this.decisions[before];
    if (!decision) throw new Error('no decision');
    return decision;
  }

  /** Stops the lane abruptly (a lane that lost power). */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}

/** Creates a console account with the bootstrap admin token. */
export async function createAccount(
  server: ServerUnderTest,
  username: string,
  role: 'admin' | 'viewer',
  password: string,
  displayName = username,
): Promise<void> {
  const res = await server.admin('POST', '/accounts', { username, displayName, role, password });
  if (res.status !== 201) throw new Error(`account ${username}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** Requests that went anywhere but the given origin (data: and blob: URLs stay in the page). */
export function foreignRequests(urls: readonly string[], origin: string): string[] {
  return urls.filter((u) => !u.startsWith(`${origin}/`) && !/^(data|blob):/.test(u));
}

/** Signs in on the console's sign-in form. */
export async function signIn(page: Page, origin: string, username: string, password: string): Promise<void> {
  await page.goto(`${origin}/admin/`);
  const form = page.getByTestId('login-form');
  await form.waitFor();
  await form.getByLabel(/tên đăng nhập|username/i).fill(username);
  await form.getByLabel(/mật khẩu|password/i).fill(password);
  await form.getByRole('button').click();
}
