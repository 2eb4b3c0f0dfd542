import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { modbusWriteCoil, withModbusCrc } from '../profiles/relay-frames.js';
import { PtyBoard } from './pty-board.testkit.js';
import { describeRelayContract, pollUntil, StateRecorder } from './relay-contract.testkit.js';
import { SerialRelay } from './serial-relay.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const settings = { baudRate: 9600 };

describeRelayContract(
  'serial through a socat pty',
  async () => {
    const board = new PtyBoard(mkdtempSync(join(tmpdir(), 'relay-')));
    await board.plug();
    const relay = new SerialRelay({
      path: board.path,
      settings,
      logger,
      retry: { baseMs: 50, capMs: 200 },
      watchdogMs: 100,
    });
    return {
      relay,
      received: () => board.received(),
      unplug: () => board.unplug(),
      replug: () => board.plug(),
      dispose: async () => {
        await board.unplug();
        rmSync(board.dir, { recursive: true, force: true });
      },
    };
  },
  { canUnplug: true },
);

describe('SerialRelay', () => {
  it('keeps retrying a port that does not exist, reporting it disconnected, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-'));
    const relay = new SerialRelay({
      path: join(dir, 'nothing'),
      settings,
      logger,
      retry: { baseMs: 20, capMs: 40 },
    });
    const recorder = new StateRecorder();
    try {
      relay.start(recorder.onStatus);
      await recorder.until(
        () => recorder.states.filter((s) => s.status === 'connecting').length >= 3,
        'three attempts',
      );
      expect(relay.state().status).not.toBe('connected');
      expect(recorder.states.find((s) => s.status === 'disconnected')?.detail).toMatch(/ENOENT|No such file/);
      await expect(relay.write([Uint8Array.of(0xa0, 1, 0, 0xa1)])).resolves.toBe(false);
    } finally {
      await relay.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes a board that appears after the lane started', { timeout: 30_000 }, async () => {
    const board = new PtyBoard(mkdtempSync(join(tmpdir(), 'relay-')));
    const relay = new SerialRelay({ path: board.path, settings, logger, retry: { baseMs: 50, capMs: 200 } });
    const recorder = new StateRecorder();
    try {
      relay.start(recorder.onStatus);
      await recorder.untilStatus('disconnected');
      await board.plug();
      await recorder.untilStatus('connected');
      await expect(relay.write([Uint8Array.of(0xa0, 1, 0, 0xa1)])).resolves.toBe(true);
      await pollUntil(() => board.received().length >= 4, 'the frame');
      expect([...board.received()]).toEqual([0xa0, 1, 0, 0xa1]);
    } finally {
      await relay.stop();
      await board.unplug();
      rmSync(board.dir, { recursive: true, force: true });
    }
  });

  describe('echo replies (Modbus write single coil answers with the request)', () => {
    const on = modbusWriteCoil(1, 0, true);
    const off = modbusWriteCoil(1, 1, false);

    async function withBoard(
      answer: (board: PtyBoard, chunk: Buffer) => void,
      body: (relay: SerialRelay, board: PtyBoard, recorder: StateRecorder) => Promise<void>,
    ): Promise<void> {
      const board = new PtyBoard(mkdtempSync(join(tmpdir(), 'relay-')));
      board.onData = (chunk) => {
        answer(board, chunk);
      };
      await board.plug();
      // Generous reply timeout: these machines are loaded; a silent board still fails in bounded time.
      const relay = new SerialRelay({
        path: board.path,
        settings,
        logger,
        reply: 'echo',
        replyTimeoutMs: 1500,
      });
      const recorder = new StateRecorder();
      try {
        relay.start(recorder.onStatus);
        await recorder.untilStatus('connected');
        await body(relay, board, recorder);
      } finally {
        await relay.stop();
        await board.unplug();
        rmSync(board.dir, { recursive: true, force: true });
      }
    }

    it('resolves true when the board echoes every frame', { timeout: 30_000 }, async () => {
      await withBoard(
        (board, chunk) => {
          board.answer(chunk);
        },
        async (relay, board) => {
          await expect(relay.write([on, off])).resolves.toBe(true);
          expect([...board.received()]).toEqual([...on, ...off]);
          expect(relay.state().status).toBe('connected');
        },
      );
    });

    it(
      'resolves false and reports an error when the board does not answer; recovers when it does',
      {
        timeout: 30_000,
      },
      async () => {
        let answering = false;
        await withBoard(
          (board, chunk) => {
            if (answering) board.answer(chunk);
          },
          async (relay, board, recorder) => {
            await expect(relay.write([on])).resolves.toBe(false);
            expect(relay.state()).toMatchObject({ status: 'error', detail: 'board did not answer' });
            expect([...board.received()]).toEqual([...on]);
            answering = true;
            const mark = recorder.states.length;
            await expect(relay.write([off])).resolves.toBe(true);
            await recorder.untilStatus('connected', mark);
          },
        );
      },
    );

    it(
      'a silent board is waited for once per write: every frame still goes out',
      { timeout: 30_000 },
      async () => {
        await withBoard(
          () => undefined,
          async (relay, board) => {
            const frames = [on, off, modbusWriteCoil(1, 2, false)];
            const started = Date.now();
            await expect(relay.write(frames)).resolves.toBe(false);
            // One reply timeout (1.5 s), not three; generous bound for a loaded machine.
            expect(Date.now() - started).toBeLessThan(4000);
            await pollUntil(() => board.received().length >= 24, 'all three frames');
            expect(Buffer.from(board.received())).toEqual(Buffer.concat(frames.map((f) => Buffer.from(f))));
          },
        );
      },
    );

    it(
      'a board that answers some frames and loses others stays in error (no flapping)',
      { timeout: 30_000 },
      async () => {
        let pending = Buffer.alloc(0);
        await withBoard(
          (board, chunk) => {
            pending = Buffer.concat([pending, chunk]);
            while (pending.length >= 8) {
              const frame = pending.subarray(0, 8);
              pending = pending.subarray(8);
              // Only the `on` frame is ever answered.
              if (frame.equals(Buffer.from(on))) board.answer(frame);
            }
          },
          async (relay, _board, recorder) => {
            await expect(relay.write([on, off])).resolves.toBe(false);
            expect(relay.state().status).toBe('error');
            const mark = recorder.states.length;
            await expect(relay.write([on, off])).resolves.toBe(false);
            expect(recorder.states.slice(mark).map((s) => s.status)).not.toContain('connected');
            expect(relay.state().status).toBe('error');
            // A write answered whole brings it back.
            await expect(relay.write([on])).resolves.toBe(true);
            expect(relay.state().status).toBe('connected');
          },
        );
      },
    );

    it(
      'a late echo of a frame not waited for, ahead of the answer, does not hide it',
      { timeout: 30_000 },
      async () => {
        // The board loses its answer to the first frame, and answers the others 200 ms late: the
        // second frame's echo (not waited for after the silence) lands ahead of the third's.
        let pending = Buffer.alloc(0);
        let index = 0;
        await withBoard(
          (board, chunk) => {
            pending = Buffer.concat([pending, chunk]);
            while (pending.length >= 8) {
              const frame = pending.subarray(0, 8);
              pending = pending.subarray(8);
              if (index++ === 0) continue;
              setTimeout(() => {
                board.answer(frame);
              }, 200);
            }
          },
          async (relay, _board, recorder) => {
            await expect(relay.write([on, off])).resolves.toBe(false);
            expect(relay.state().status).toBe('error');
            const mark = recorder.states.length;
            await expect(relay.write([modbusWriteCoil(1, 2, false)])).resolves.toBe(true);
            await recorder.untilStatus('connected', mark);
          },
        );
      },
    );

    it(
      'resolves false when the board answers something else (a Modbus exception)',
      { timeout: 30_000 },
      async () => {
        await withBoard(
          (board) => {
            // Function 0x85: exception to 05, code 02 (illegal address), with its CRC: 5 bytes.
            board.answer(withModbusCrc(Uint8Array.of(0x01, 0x85, 0x02)));
          },
          async (relay) => {
            await expect(relay.write([on])).resolves.toBe(false);
            expect(relay.state()).toMatchObject({ status: 'error', detail: 'board answered something else' });
          },
        );
      },
    );
  });
});
