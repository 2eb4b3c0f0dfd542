import { randomBytes } from 'node:crypto';
import { expect, it, vi } from 'vitest';
import { describeEngines } from '../engines.testkit.js';
import { leafStores, secondServer } from './stores.testkit.js';

// Each test opens its own database; dropping them all after a loaded run can take over 10 s.
vi.setConfig({ hookTimeout: 120_000 });

describeEngines('SettingsStore', ({ open }) => {
  it('answers null for an unknown key, stores bytes and replaces them', async () => {
    const { settings } = leafStores(await open());
    expect(await settings.get('k')).toBeNull();
    await settings.set('k', Buffer.from([0, 1, 2, 255]));
    expect(await settings.get('k')).toEqual(Buffer.from([0, 1, 2, 255]));
    await settings.set('k', Buffer.from('second'));
    expect((await settings.get('k'))?.toString()).toBe('second');
    await settings.set('empty', Buffer.alloc(0));
    expect(await settings.get('empty')).toEqual(Buffer.alloc(0));
  });

  it('writes the audit record with the value, and neither when the record cannot be written', async () => {
    const { settings, audit } = leafStores(await open());
    await settings.set('sign', Buffer.from('v1'), {
      at: 5,
      actor: 'admin',
      action: 'settings.set',
      target: 'sign',
      details: { keyId: 1 },
    });
    expect(await audit.list({ limit: 10 })).toMatchObject([
      { at: 5, actor: 'admin', action: 'settings.set', target: 'sign', details: { keyId: 1 } },
    ]);
    // A bigint cannot be written as JSON: the record fails, and the value stays as it was.
    // (called in a then: the SQLite adapter throws at the call instead of rejecting)
    await expect(
      Promise.resolve().then(() =>
        settings.set('sign', Buffer.from('v2'), {
          at: 6,
          actor: 'a',
          action: 'x',
          target: null,
          details: { n: 1n },
        }),
      ),
    ).rejects.toThrow();
    expect((await settings.get('sign'))?.toString()).toBe('v1');
    expect(await audit.list({ limit: 10 })).toHaveLength(1);
  });

  it('getOrCreate creates once and then answers the stored value without calling create', async () => {
    const { settings } = leafStores(await open());
    let calls = 0;
    const create = () => {
      calls++;
      return Buffer.from(`made ${String(calls)}`);
    };
    expect((await settings.getOrCreate('seal', create)).toString()).toBe('made 1');
    expect((await settings.getOrCreate('seal', create)).toString()).toBe('made 1');
    expect(calls).toBe(1);
    await settings.set('given', Buffer.from('kept'));
    expect((await settings.getOrCreate('given', create)).toString()).toBe('kept');
    expect(calls).toBe(1);
  });

  it('getOrCreate from two servers at once: every caller gets the one value that was stored', async () => {
    const d = await open();
    const one = leafStores(d);
    const two = await secondServer(d);
    try {
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          (i % 2 === 0 ? one : two.stores).settings.getOrCreate('race', () => randomBytes(32)),
        ),
      );
      const stored = await one.settings.get('race');
      expect(stored).not.toBeNull();
      for (const r of results) expect(r.equals(stored ?? Buffer.alloc(0))).toBe(true);
    } finally {
      await two.close();
    }
  });
});
