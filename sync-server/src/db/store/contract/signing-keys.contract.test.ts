import { expect, it, vi } from 'vitest';
import { ListSigner } from '../../../lists/list-signing.js';
import { describeEngines } from '../engines.testkit.js';
import { leafStores, secondServer } from './stores.testkit.js';

vi.setConfig({ hookTimeout: 120_000 });

describeEngines('list-signing keys across servers', ({ open }) => {
  it('keeps every rotation when two servers rotate at once, each key endorsed by the one before', async () => {
    const d = await open();
    const a = await ListSigner.load(leafStores(d).settings, 1);
    const other = await secondServer(d);
    try {
      const b = await ListSigner.load(other.stores.settings, 1);
      const audit = (answer: { current: string }) => ({
        at: 2,
        actor: 'admin',
        action: 'list.signing_key_rotate',
        target: answer.current,
      });
      for (let round = 0; round < 3; round++) {
        await Promise.all([a.rotate(10 + round, audit), b.rotate(10 + round, audit)]);
      }
      // Each server re-reads what the other stored before it signs again.
      await a.reload();
      await b.reload();
      const keys = a.publicKeys();
      expect(keys).toHaveLength(7);
      expect(b.publicKeys()).toEqual(keys);
      // A chain: every key after the first is endorsed by the key before it, which is retired.
      for (let i = 1; i < keys.length; i++) {
        expect(keys[i]?.endorsement?.by).toBe(keys[i - 1]?.id);
        expect(keys[i - 1]?.validUntil).not.toBeNull();
      }
      expect(keys.at(-1)?.validUntil).toBeNull();
      // Every rotation's audit record names a key that is kept.
      const audited = await leafStores(d).audit.list({ limit: 20, action: 'list.signing_key_rotate' });
      expect(audited).toHaveLength(6);
      const ids = new Set(keys.map((k) => k.id));
      for (const r of audited) expect(ids.has(r.target ?? '')).toBe(true);
    } finally {
      await other.close();
    }
  });
});
