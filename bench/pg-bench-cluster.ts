// A throwaway PostgreSQL cluster for a bench, with the settings a fleet's database would run with
// (docs/fleet.md, "The database"), instead of the machine's shared cluster and its stock settings
// (shared_buffers 128 MB, max_wal_size 1 GB). Made with the installed server's initdb in a
// temporary directory owned by the `postgres` user, on its own port, trust auth on 127.0.0.1 only;
// stopped and deleted by `stop()`. Needs root (to run the server as `postgres`) and Debian's
// postgresql package (the project's scripts/start-postgres.sh installs it).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The settings docs/fleet.md recommends for a fleet's database, scaled to this machine. */
export const FLEET_PG_SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: '2GB',
  max_wal_size: '8GB',
  min_wal_size: '1GB',
  checkpoint_timeout: '15min',
  checkpoint_completion_target: '0.9',
  wal_buffers: '64MB',
  wal_compression: 'lz4',
  effective_cache_size: '8GB',
  max_connections: '300',
};

export interface BenchCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  readonly url: string;
  /** The directory of its Unix socket. */
  readonly socketDir: string;
  stop(): void;
}

function pgBin(tool: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', tool)))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(`no ${tool} under ${root}: install Debian's postgresql`);
  return join(root, versions[0]!, 'bin', tool);
}

function asPostgres(tool: string, args: readonly string[]): void {
  execFileSync('runuser', ['-u', 'postgres', '--', pgBin(tool), ...args], { stdio: 'pipe' });
}

/** Starts a fresh cluster on `port` with `settings` (each passed as `-c name=value`). */
export function startBenchCluster(
  port: number,
  settings: Readonly<Record<string, string>> = FLEET_PG_SETTINGS,
): BenchCluster {
  const dir = mkdtempSync(join(tmpdir(), 'cl-bench-pgdata-'));
  chmodSync(dir, 0o700);
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  chownSync(dir, uid, gid);
  const data = join(dir, 'data');
  try {
    asPostgres('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
    const options = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      `-c unix_socket_directories=${dir}`,
      ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
    ].join(' ');
    asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    socketDir: dir,
    stop() {
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
