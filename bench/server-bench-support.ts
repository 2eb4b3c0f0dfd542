// Shared helpers for the sync-server benchmarks (not tests): a real server process, stats.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Median and percentiles of a sample. */
export function stats(xs: readonly number[]): {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
} {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { n: s.length, min: s[0] ?? NaN, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s.at(-1) ?? NaN };
}

/** One line describing this machine, for docs/benchmarks.md. */
export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`;
}

/**
 * A `checkpoint-server` child process (built by `npx tsc -b`). `CHECKPOINT_SERVER_JS` may name
 * another build of `checkpoint-server.js` (e.g. an older commit's, for an A/B comparison).
 */
export async function startServer(
  dataDir: string,
  adminToken: string,
): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const js =
    process.env.CHECKPOINT_SERVER_JS ??
    fileURLToPath(new URL('../sync-server/dist/cli/checkpoint-server.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [js, '--port', '0', '--data', dataDir, '--log-level', 'warn', '--enroll-rate-limit', '100000'],
    {
      env: { ...process.env, CHECKPOINT_ADMIN_TOKEN: adminToken },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const stdout = child.stdout;
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: stdout }).on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => {
      reject(new Error(`server exited ${code}`));
    });
  });
  return {
    url,
    child,
    async stop() {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** JSON POST/GET with a bearer token. */
export async function api<T>(url: string, token: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Peak resident set size of a process in MiB, from /proc (Linux). */
export async function peakRssMiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}
