import { describe, expect, it } from 'vitest';
import { HttpError } from '../http-error.js';
import { MemoryLimitsStore } from '../db/store/limits-store.js';
import { LoginGuard, TaskGate } from './login-guard.js';

/** A task that finishes when told to, counting how many run at once. */
function controllable(counter: { now: number; max: number }) {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const task = async (): Promise<string> => {
    counter.now++;
    counter.max = Math.max(counter.max, counter.now);
    await done;
    counter.now--;
    return 'ok';
  };
  return {
    task,
    finish: () => {
      finish();
    },
  };
}

describe('TaskGate', () => {
  it('runs at most `concurrency` tasks at once and refuses beyond the queue with 503 busy', async () => {
    const gate = new TaskGate(2, 2);
    const counter = { now: 0, max: 0 };
    const tasks = Array.from({ length: 4 }, () => controllable(counter));
    const running = tasks.map((t) => gate.run(t.task));
    const refused = gate.run(() => Promise.resolve('never'));
    await expect(refused).rejects.toMatchObject({ statusCode: 503, code: 'busy' });
    await expect(refused).rejects.toBeInstanceOf(HttpError);
    for (const t of tasks) t.finish();
    await expect(Promise.all(running)).resolves.toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(counter.max).toBe(2);
    // Every slot came back: the gate runs two at once again.
    const again = Array.from({ length: 2 }, () => controllable(counter));
    const both = again.map((t) => gate.run(t.task));
    for (const t of again) t.finish();
    await Promise.all(both);
    expect(counter.now).toBe(0);
  });

  it('frees the slot when a task fails', async () => {
    const gate = new TaskGate(1, 0);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(gate.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});

describe('LoginGuard', () => {
  it('runs the attempts for one name in order, never two at once, other names alongside', async () => {
    const guard = new LoginGuard({ maxFailures: 5, lockMs: 1000 }, new MemoryLimitsStore());
    const counter = { now: 0, max: 0 };
    const a = [controllable(counter), controllable(counter)];
    const other = controllable({ now: 0, max: 0 });
    const first = guard.serialize('lan', a[0]!.task);
    const second = guard.serialize('lan', a[1]!.task);
    const elsewhere = guard.serialize('minh', other.task);
    other.finish();
    await expect(elsewhere).resolves.toBe('ok');
    a[1]!.finish();
    a[0]!.finish();
    await Promise.all([first, second]);
    expect(counter.max).toBe(1);
  });

  it('locks an unknown name after the fifth failure, for the lock time', async () => {
    const guard = new LoginGuard({ maxFailures: 5, lockMs: 1000 }, new MemoryLimitsStore());
    const locks: (number | null)[] = [];
    for (let i = 0; i < 5; i++) locks.push(await guard.unknownFailure('ghost', 100));
    expect(locks).toEqual([null, null, null, null, 1100]);
    expect(await guard.unknownLockedUntil('ghost', 1099)).toBe(1100);
    expect(await guard.unknownLockedUntil('ghost', 1100)).toBeNull();
    expect(await guard.unknownLockedUntil('other', 500)).toBeNull();
    // The lock zeroed the count: after it, five more failures lock again.
    for (let i = 0; i < 4; i++) expect(await guard.unknownFailure('ghost', 1200)).toBeNull();
    expect(await guard.unknownFailure('ghost', 1200)).toBe(2200);
  });

  it('shares counts and locks through the limits store: two guards (two servers) lock together', async () => {
    const limits = new MemoryLimitsStore();
    const a = new LoginGuard({ maxFailures: 4, lockMs: 1000 }, limits);
    const b = new LoginGuard({ maxFailures: 4, lockMs: 1000 }, limits);
    expect(await a.unknownFailure('ghost', 0)).toBeNull();
    expect(await b.unknownFailure('ghost', 0)).toBeNull();
    expect(await a.unknownFailure('ghost', 0)).toBeNull();
    expect(await b.unknownFailure('ghost', 0)).toBe(1000);
    expect(await a.unknownLockedUntil('ghost', 1)).toBe(1000);
  });
});
