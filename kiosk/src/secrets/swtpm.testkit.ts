// Test kit: a real software TPM 2.0 (swtpm) in a temp folder, reached by tpm2-tools through
// `TPM2TOOLS_TCTI=swtpm:path=…`. Its state lives in its folder: stopping and starting it again on
// the same folder is the same TPM (same owner seed); a new folder is another TPM.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The programs the kit and the TPM key store need. */
const NEEDED = ['swtpm', 'tpm2_createprimary', 'tpm2_getrandom', 'tpm2_pcrextend'];

/** Why swtpm tests cannot run here (a missing program, with the install line), or null if they can. */
export function swtpmMissing(): string | null {
  const missing = NEEDED.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  return missing.length === 0
    ? null
    : `swtpm tests skipped: ${missing.join(', ')} not installed (apt install swtpm tpm2-tools, or npm run setup:debian)`;
}

/** A running swtpm. */
export class Swtpm {
  #child: ChildProcess | null = null;

  private constructor(
    /** The TPM's state folder (its identity: keep it to restart the same TPM). */
    readonly stateDir: string,
  ) {}

  /** The TCTI string the tools and the TPM key store use for this TPM. */
  get tcti(): string {
    return `swtpm:path=${join(this.stateDir, 'sock')}`;
  }

  /** Starts a TPM on `stateDir` (a new temp folder, i.e. a fresh TPM, when omitted). */
  static async start(stateDir?: string): Promise<Swtpm> {
    const dir = resolve(stateDir ?? mkdtempSync(join(tmpdir(), 'swtpm-')));
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tpm = new Swtpm(dir);
    await tpm.restart();
    return tpm;
  }

  /** Starts this TPM's process again (after `stop`), on the same state: the same TPM. */
  async restart(): Promise<void> {
    if (this.#child !== null) return;
    const d = this.stateDir;
    const child = spawn(
      'swtpm',
      [
        'socket',
        '--tpm2',
        ...['--tpmstate', `dir=${d}`],
        ...['--server', `type=unixio,path=${join(d, 'sock')}`],
        ...['--ctrl', `type=unixio,path=${join(d, 'sock.ctrl')}`],
        ...['--flags', 'not-need-init,startup-clear'],
        ...['--log', `file=${join(d, 'swtpm.log')}`],
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`swtpm exited (${String(child.exitCode)}); see ${d}/swtpm.log`);
      if (this.tool('tpm2_getrandom', ['1']).status === 0) return;
      if (Date.now() > deadline) throw new Error(`swtpm did not answer within 10 s; see ${d}/swtpm.log`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Runs a tpm2-tools program against this TPM (for tests: `tpm2_pcrextend` …). */
  tool(program: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(program, args, {
      env: { ...process.env, TPM2TOOLS_TCTI: this.tcti },
      encoding: 'utf8',
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Extends a sha256 PCR with a measurement (what a changed boot component does). */
  extendPcr(pcr: number): void {
    const r = this.tool('tpm2_pcrextend', [`${String(pcr)}:sha256=${'ab'.repeat(32)}`]);
    if (r.status !== 0) throw new Error(`tpm2_pcrextend failed: ${r.stderr}`);
  }

  /** Stops the process; the state folder stays (start again with `restart`). */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }

  /** Stops the process and deletes its state: this TPM is gone for good. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
