// Unsealing a lane's wrapping key at start with `--key-store tpm`: tpm2-tools run as processes
// against a software TPM (swtpm over a Unix socket) started here. Not a test; needs the Debian
// packages swtpm and tpm2-tools (npm run setup:debian). Run: npx tsx bench/lane-unseal.ts
//   env: RUNS (20)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TpmKeyStore } from '@checkpoint-lane/kiosk';

const RUNS = Number(process.env['RUNS'] ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'cl-bench-unseal-'));
const tcti = `swtpm:path=${join(dir, 'sock')}`;
const swtpm = spawn(
  'swtpm',
  [
    ...['socket', '--tpm2', '--tpmstate', `dir=${dir}`],
    ...[
      '--server',
      `type=unixio,path=${join(dir, 'sock')}`,
      '--ctrl',
      `type=unixio,path=${join(dir, 'sock.ctrl')}`,
    ],
    ...['--flags', 'not-need-init,startup-clear', '--log', `file=${join(dir, 'swtpm.log')}`],
  ],
  { stdio: 'ignore' },
);
const env = { ...process.env, TPM2TOOLS_TCTI: tcti };
try {
  while (spawnSync('tpm2_getrandom', ['1'], { env }).status !== 0)
    await new Promise((r) => setTimeout(r, 20));
  console.log(`machine: ${String(cpus().length)} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`);
  for (const pcrs of [[7], []]) {
    const data = mkdtempSync(join(dir, 'lane-'));
    const store = new TpmKeyStore(data, { tcti, pcrs });
    const key = randomBytes(32);
    const t0 = performance.now();
    const sealed = await store.seal(key);
    const sealMs = performance.now() - t0;
    if (!sealed.ok) throw new Error(sealed.error.message);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const opened = await store.unseal();
      times.push(performance.now() - t);
      if (!opened.ok || !opened.value.equals(key)) throw new Error('unseal gave another key');
    }
    times.sort((a, b) => a - b);
    const at = (q: number): string =>
      (times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0).toFixed(0);
    console.log(
      `PCR policy ${pcrs.length === 0 ? 'none' : pcrs.join(',')}: seal ${sealMs.toFixed(0)} ms; unseal ×${String(RUNS)} median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms (load ${loadavg()[0]?.toFixed(1) ?? '?'})`,
    );
  }
} finally {
  swtpm.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
