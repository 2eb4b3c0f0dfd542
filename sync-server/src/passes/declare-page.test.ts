import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { declarePage } from './declare-page.js';
import { PROVINCES } from './provinces.js';

/** An element as far as the page's script touches one. */
interface FakeElement {
  textContent: string;
  value: string;
  innerHTML: string;
  disabled: boolean;
  style: Record<string, string>;
  handlers: Record<string, (ev: unknown) => void>;
  addEventListener(type: string, f: (ev: unknown) => void): void;
  appendChild(): void;
  getAttribute(): string;
  reset(): void;
}

const element = (textContent = ''): FakeElement => ({
  textContent,
  value: '',
  innerHTML: '',
  disabled: false,
  style: {},
  handlers: {},
  addEventListener(type, f) {
    this.handlers[type] = f;
  },
  appendChild() {},
  getAttribute: () => 'title',
  reset() {},
});

/**
 * Runs the page's inline script against a stub DOM whose `fetch` answers `answer` with 201, submits
 * the form, and answers the elements by id once the answer is shown.
 */
async function submitWith(answer: Record<string, unknown>): Promise<Map<string, FakeElement>> {
  const html = declarePage({ nonce: 'n', today: '2021-09-18', maxDate: '2021-09-25', provinces: PROVINCES });
  const script = /<script nonce="n">([\s\S]*?)<\/script>/.exec(html)?.[1];
  const texts = /<script type="application\/json" id="texts">([\s\S]*?)<\/script>/.exec(html)?.[1];
  if (script === undefined || texts === undefined) throw new Error('page script not found');
  const els = new Map<string, FakeElement>();
  const byId = (id: string): FakeElement => {
    let e = els.get(id);
    if (e === undefined) {
      e = element(id === 'texts' ? texts : id === 'provinces' ? JSON.stringify(PROVINCES) : '');
      els.set(id, e);
    }
    return e;
  };
  const document = {
    documentElement: {},
    title: '',
    getElementById: byId,
    querySelectorAll: () => [],
    createElement: () => element(),
  };
  let answered: Promise<unknown> = Promise.resolve();
  const fetch = () => {
    const res = Promise.resolve({ status: 201, json: () => Promise.resolve(answer) });
    answered = res.then(() => new Promise((r) => setTimeout(r, 0)));
    return res;
  };
  runInNewContext(script, {
    document,
    fetch,
    localStorage: { getItem: () => null, setItem() {} },
    window: { scrollTo() {} },
    JSON,
    Number,
    String,
    Date,
  });
  byId('form').handlers.submit?.({ preventDefault() {} });
  await answered;
  await new Promise((r) => setTimeout(r, 0));
  return els;
}

describe('the declaration page', () => {
  it('shows the validity of an issued pass', async () => {
    const els = await submitWith({
      declarationId: '0123456789abcdef',
      passId: '0123456789abcdef',
      validFrom: Date.UTC(2021, 8, 17, 17),
      validUntil: Date.UTC(2021, 8, 20, 17),
      qr: 'CLP1:X',
      qrSvg: '<svg></svg>',
    });
    expect(els.get('pass')?.style.display).toBe('block');
    expect(els.get('validityRow')?.style.display).toBe('');
    expect(els.get('validity')?.textContent).toBe('00:00 18/09/2021 → 00:00 21/09/2021 (UTC+7)');
  });

  it('a held declaration (no pass) shows no validity', async () => {
    const els = await submitWith({
      declarationId: '0123456789abcdef',
      passId: null,
      validFrom: Date.UTC(2021, 8, 17, 17),
      validUntil: Date.UTC(2021, 8, 20, 17),
      qr: null,
      qrSvg: null,
      notice: 'contact_health_station',
    });
    expect(els.get('held')?.style.display).toBe('block');
    expect(els.get('validityRow')?.style.display).toBe('none');
    expect(els.get('validity')?.textContent).toBe('');
    expect(els.get('passId')?.textContent).toBe('0123456789abcdef');
  });
});
