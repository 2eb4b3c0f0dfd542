import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { describeScannerContract, RecordingSink } from './scanner-contract.testkit.js';
import { SimulatedScanner } from './simulated-scanner.js';
import { StdinScanner } from './stdin-scanner.js';

describeScannerContract(
  'stdin, one line per scan',
  () => {
    const input = new PassThrough();
    return Promise.resolve({
      scanner: new StdinScanner(input),
      emit: (code) => {
        input.write(`${code}\r\n`);
        return Promise.resolve();
      },
      dispose: () => Promise.resolve(),
    });
  },
  { canUnplug: false },
);

describeScannerContract(
  'simulated',
  () => {
    const codes: string[] = [];
    const scanner = new SimulatedScanner({ codes, intervalMs: 60_000 });
    return Promise.resolve({
      scanner,
      emit: (code) => {
        codes.push(code);
        scanner.emitNext();
        return Promise.resolve();
      },
      dispose: () => Promise.resolve(),
    });
  },
  { canUnplug: false },
);

describe('StdinScanner', () => {
  it('reports end of input as disconnected after the last line', async () => {
    const input = new PassThrough();
    const scanner = new StdinScanner(input);
    const sink = new RecordingSink();
    scanner.start(sink);
    input.end('a\nb');
    await scanner.ended();
    expect(sink.scans.map((s) => s.text)).toEqual(['a', 'b']);
    expect(scanner.state()).toMatchObject({ status: 'disconnected', detail: 'end of input' });
  });
});

describe('SimulatedScanner', () => {
  it('stops after its limit', async () => {
    const scanner = new SimulatedScanner({ codes: ['x', 'y'], intervalMs: 5, limit: 3 });
    const sink = new RecordingSink();
    scanner.start(sink);
    await sink.untilStatus('disconnected');
    expect(sink.scans.map((s) => s.text)).toEqual(['x', 'y', 'x']);
  });
});
