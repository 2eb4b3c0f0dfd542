import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPortMock } from 'serialport';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { describeScannerContract, RecordingSink } from './scanner-contract.testkit.js';
import { SerialScanner } from './serial-scanner.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const settings = { baudRate: 9600, framing: { suffix: 'CRLF' as const } };

/** A real pseudo-terminal pair from socat: the scanner opens `lane`, the test writes to `device`. */
async function startSocat(dir: string): Promise<ChildProcess> {
  const proc = spawn(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${join(dir, 'lane')}`, `pty,raw,echo=0,link=${join(dir, 'device')}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    proc.stderr.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      // socat logs "starting data transfer loop" once both ptys and their links exist.
      if (seen.includes('starting data transfer loop')) resolve();
    });
    proc.once('error', reject);
    proc.once('exit', (code) => {
      reject(new Error(`socat exited (${code}): ${seen}`));
    });
  });
  return proc;
}

async function stopSocat(proc: ChildProcess | null): Promise<void> {
  if (!proc || proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  await exited;
}

describeScannerContract(
  'serial through a socat pty pair',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serial-'));
    let socat: ChildProcess | null = await startSocat(dir);
    // The "device" keeps its end open, as a real scanner does: closing a pty's last writer can
    // drop bytes socat has not read yet.
    let deviceFd: number | null = openSync(join(dir, 'device'), 'w');
    const unplug = async (): Promise<void> => {
      if (deviceFd !== null) closeSync(deviceFd);
      deviceFd = null;
      await stopSocat(socat);
      socat = null;
    };
    const scanner = new SerialScanner({
      path: join(dir, 'lane'),
      settings,
      logger,
      retry: { baseMs: 50, capMs: 200 },
    });
    return {
      scanner,
      emit: (code) => {
        if (deviceFd === null) throw new Error('device unplugged');
        writeSync(deviceFd, Buffer.from(`${code}\r\n`, 'utf8'));
        return Promise.resolve();
      },
      unplug,
      replug: async () => {
        socat = await startSocat(dir);
        deviceFd = openSync(join(dir, 'device'), 'w');
      },
      dispose: async () => {
        await unplug();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { canUnplug: true },
);

describeScannerContract(
  'serial through @serialport/binding-mock',
  () => {
    const path = `/dev/mock-${Math.random().toString(36).slice(2)}`;
    SerialPortMock.binding.createPort(path, { echo: false, record: false });
    let port: SerialPortMock | null = null;
    const scanner = new SerialScanner({
      path,
      settings,
      logger,
      openPort: (p, s) => {
        port = new SerialPortMock({ path: p, baudRate: s.baudRate, autoOpen: false });
        return port;
      },
    });
    return Promise.resolve({
      scanner,
      emit: (code) => {
        port?.port?.emitData(Buffer.from(`${code}\r\n`, 'utf8'));
        return Promise.resolve();
      },
      dispose: () => {
        SerialPortMock.binding.reset();
        return Promise.resolve();
      },
    });
  },
  { canUnplug: false },
);

describe('SerialScanner', () => {
  it('keeps retrying a port that does not exist, reporting it disconnected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serial-'));
    const scanner = new SerialScanner({
      path: join(dir, 'nothing'),
      settings,
      logger,
      retry: { baseMs: 20, capMs: 40 },
    });
    const sink = new RecordingSink();
    try {
      scanner.start(sink);
      await sink.until(
        () => sink.states.filter((s) => s.status === 'connecting').length >= 3,
        'three attempts',
      );
      expect(scanner.state().status).not.toBe('connected');
      expect(sink.states.find((s) => s.status === 'disconnected')?.detail).toMatch(/ENOENT|No such file/);
    } finally {
      await scanner.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
