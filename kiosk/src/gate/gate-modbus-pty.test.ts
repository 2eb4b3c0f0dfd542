// The gate driving the shipped Modbus RTU profile through the real SerialRelay over a real socat
// pty, the far end played by a model of the module (function 05: it switches the coil and answers
// with the same bytes). One answer is lost on the RS-485 line while the gate is open: the relay
// goes to `error`, and the module must still be told to shut (the barrier coil off) within 2 s,
// come back when it answers, and the gate must not open again by itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadHardwareProfile } from '../profiles/hardware-profile.js';
import { PtyBoard } from '../relays/pty-board.testkit.js';
import { pollUntil } from '../relays/relay-contract.testkit.js';
import { buildRelay } from '../relays/build-relay.js';
import { GateController } from './gate-controller.js';
import { gateRelaySetup } from './gate-relay.js';

const logger = pino({ level: process.env['TEST_LOG'] ?? 'silent' });

/** The module's coils, changed by each write-single-coil frame it receives, with when. */
class ModbusModel {
  readonly coils = [false, false, false, false];
  /** When the barrier coil (0) changed, and to what. */
  readonly barrier: { at: number; on: boolean }[] = [];
  /** When the red lamp (coil 3: out of service, the fault frames) last came on. */
  redLampAt: number | null = null;
  /** Answers to lose (the frame is acted on, its echo never comes back); when the last was lost. */
  lose = 0;
  lostAt: number | null = null;
  /** Frames that were not a write-single-coil to slave 1 (the profile sends none). */
  unknown = 0;
  #pending = Buffer.alloc(0);

  constructor(readonly board: PtyBoard) {
    board.onData = (chunk) => {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      while (this.#pending.length >= 8) {
        const frame = Buffer.from(this.#pending.subarray(0, 8));
        this.#pending = this.#pending.subarray(8);
        this.#frame(frame);
      }
    };
  }

  #frame(frame: Buffer): void {
    if (frame[0] !== 1 || frame[1] !== 5) {
      this.unknown++;
      return;
    }
    const coil = frame.readUInt16BE(2);
    const on = frame.readUInt16BE(4) === 0xff00;
    if (this.coils[coil] !== on && coil === 0) this.barrier.push({ at: Date.now(), on });
    if (this.coils[coil] !== on && coil === 3 && on) this.redLampAt = Date.now();
    this.coils[coil] = on;
    if (this.lose > 0) {
      this.lose--;
      this.lostAt = Date.now();
      return;
    }
    this.board.answer(frame);
  }
}

describe('gate over a Modbus module on a socat pty', () => {
  it(
    'a lost echo while open: the barrier coil drops within 2 s, the board comes back, never reopens',
    { timeout: 60_000 },
    async () => {
      const loaded = loadHardwareProfile(
        new URL('../../../hardware-profiles/modbus-rtu-4ch-relay.json', import.meta.url).pathname,
      );
      if (!loaded.ok || loaded.profile.kind !== 'relay') throw new Error('modbus profile');
      const profile = loaded.profile;
      const board = new PtyBoard(mkdtempSync(join(tmpdir(), 'gate-modbus-')));
      const model = new ModbusModel(board);
      await board.plug();
      // As the lane builds it (`--relay serial:PATH`): echo replies checked, the default reply timeout.
      const built = await buildRelay({ kind: 'serial', path: board.path }, profile, logger);
      if (!built.ok) throw new Error(built.message);
      const relay = built.relay;
      // The profile as shipped (keep-alive 1 s, echo checked), with a longer open time so the lost
      // answer surely falls while the gate is open on a loaded machine.
      const setup = { ...gateRelaySetup(relay, profile), openMs: 20_000 };
      const gate = new GateController({ relay: setup, unattended: true, logger });
      try {
        await gate.start();
        expect(model.coils).toEqual([false, false, false, false]);
        gate.decision({ decision: 'green', record: true, scanId: 's1', passbackKey: null });
        await pollUntil(() => model.coils[0] === true, 'the barrier coil on');
        expect(gate.state()).toBe('open');
        // The next frame's answer is lost (the keep-alive re-sends the green frames every second).
        model.lose = 1;
        await pollUntil(() => model.lostAt !== null, 'an answer lost', 10_000);
        await pollUntil(() => model.coils[0] === false, 'the barrier coil off', 5000);
        const lostAt = model.lostAt ?? 0;
        const off = model.barrier.find((c) => !c.on && c.at >= lostAt);
        expect(off, 'the barrier dropped after the lost answer').toBeDefined();
        expect((off?.at ?? Infinity) - lostAt).toBeLessThan(2000);
        // The fault frames did it (barrier off first, then the red lamp: out of service).
        await pollUntil(() => (model.redLampAt ?? 0) >= lostAt, 'the red lamp on (the fault frames)', 5000);
        // The module answers again: the relay is back and the gate idle (shut), not open again.
        await pollUntil(
          () => relay.state().status === 'connected' && gate.state() === 'idle' && gate.faults().length === 0,
          'the gate back to idle',
          10_000,
        );
        await pollUntil(() => model.coils.every((on) => !on), 'the idle frames at the module');
        expect(gate.report().counts).toMatchObject({ opens: 1, faults: 1 });
        // Keep-alives go on (the idle frames), the barrier stays down.
        const changes = model.barrier.length;
        await new Promise((resolve) => setTimeout(resolve, 2500));
        expect(model.barrier).toHaveLength(changes);
        expect(model.coils[0]).toBe(false);
        expect(gate.state()).toBe('idle');
        expect(model.unknown).toBe(0);
      } finally {
        await gate.stop();
        await board.unplug();
        rmSync(board.dir, { recursive: true, force: true });
      }
    },
  );
});
