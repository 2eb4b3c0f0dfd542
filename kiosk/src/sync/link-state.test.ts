import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LinkState } from './link-state.js';

const logger = pino({ level: 'silent' });

function link() {
  let changes = 0;
  const state = new LinkState({
    logger,
    retry: { baseMs: 100, capMs: 400 },
    onChange: () => {
      changes++;
    },
  });
  return { state, changes: () => changes };
}

describe('LinkState', () => {
  it('goes online on a success and offline on an unreachable server, remembering the last error', () => {
    const { state, changes } = link();
    state.start();
    expect(state.status()).toEqual({ online: false, revoked: false, clockSkewMs: null, lastError: null });
    state.succeeded();
    expect(state.online()).toBe(true);
    expect(changes()).toBe(1);
    state.succeeded(); // already online: nothing to tell
    expect(changes()).toBe(1);

    state.failed({ kind: 'offline', message: 'ECONNREFUSED' }, 'heartbeat');
    expect(state.status()).toMatchObject({ online: false, lastError: 'heartbeat: ECONNREFUSED' });
    state.succeeded();
    expect(state.status()).toMatchObject({ online: true, lastError: null });
  });

  it('takes a refused token (401) as revoked; an HTTP error otherwise leaves the link up', () => {
    const { state } = link();
    state.start();
    state.succeeded();
    state.failed({ kind: 'http', status: 500, code: 'oops', message: 'HTTP 500' }, 'upload');
    expect(state.status()).toMatchObject({ online: true, revoked: false, lastError: 'upload: HTTP 500' });
    state.failed({ kind: 'http', status: 401, code: 'unauthorized', message: 'bad token' }, 'events');
    expect(state.revoked()).toBe(true);
  });

  it('ignores failures once stopped (a call cut short by stop is no news)', () => {
    const { state, changes } = link();
    state.failed({ kind: 'offline', message: 'aborted' }, 'events');
    expect(state.status().lastError).toBeNull();
    expect(changes()).toBe(0);
    // A refused answer is still shown, running or not.
    state.problem('the server sent an invalid officer roster');
    expect(state.status().lastError).toMatch(/invalid officer roster/);
  });

  it('tells its reconnect listeners when the server is back, and only then', () => {
    const { state } = link();
    let reconnects = 0;
    state.onReconnect(() => reconnects++);
    state.start();
    state.succeeded();
    state.succeeded();
    state.failed({ kind: 'offline', message: 'down' }, 'heartbeat');
    state.succeeded();
    expect(reconnects).toBe(2);
  });

  it('a revocation aborts what is in flight and wakes a sleeper', async () => {
    const { state } = link();
    state.start();
    const signal = state.signal;
    const slept = state.sleep(60_000);
    state.revoke();
    await slept;
    expect(signal.aborted).toBe(true);
    expect(state.status()).toMatchObject({ revoked: true, lastError: 'this lane was revoked by the centre' });
  });

  it('runs timers only while running; stop clears them and a new start has a fresh signal', async () => {
    const { state } = link();
    const ran: string[] = [];
    state.later(1, () => ran.push('before start'));
    state.start();
    state.later(1, () => ran.push('running'));
    state.later(50, () => ran.push('cancelled'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const first = state.signal;
    state.stop();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(ran).toEqual(['running']);
    expect(first.aborted).toBe(true);
    expect(state.running()).toBe(false);
    await state.sleep(60_000); // resolves at once when stopped
    state.start();
    expect(state.signal.aborted).toBe(false);
    state.stop();
  });

  it('spaces retries by capped, jittered back-off', () => {
    const { state } = link();
    for (let attempt = 0; attempt < 10; attempt++) {
      const ms = state.retryDelay(attempt);
      expect(ms).toBeGreaterThanOrEqual(50);
      expect(ms).toBeLessThanOrEqual(400);
    }
  });

  it('keeps the server clock offset', () => {
    const { state } = link();
    state.setClockSkew(-1500);
    expect(state.status().clockSkewMs).toBe(-1500);
  });
});
