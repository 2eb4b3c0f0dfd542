// The officer screen's touch keypads (kiosk/display/src/keypads/) in real Debian Chromium, on a
// test-only harness page (kiosk/display/src/keypads/keypads-harness.testkit.ts, bundled here with
// esbuild, with the display's own stylesheets) at 1024×600 and 1280×800: every key inside the
// viewport and at least 64 px and 10 px apart, action words ≥ 18 px on one line, nothing scrolls,
// a plate with G and a passport with N typed by taps, an 11-digit typo refused in the dialog, a
// PIN shown as dots only, a Telex note typed by taps, a quick phrase lower-cased mid-sentence, the
// Telex key saying whether it is on, the empty code field showing an example with the caret at the
// left.
// Screenshots: test-results/screenshots/keypad-*.png.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot } from './browser.js';

const root = new URL('../../', import.meta.url).pathname;
const VIEWPORTS = [
  { width: 1024, height: 600 },
  { width: 1280, height: 800 },
] as const;
const COMPONENTS = ['pin', 'pin-wide', 'code', 'note', 'note-override'] as const;

let dir: string;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keypads-e2e-'));
  await build({
    entryPoints: [join(root, 'kiosk/display/src/keypads/keypads-harness.testkit.ts')],
    outfile: join(dir, 'harness.js'),
    bundle: true,
    // A classic script: module scripts do not load from file:// pages.
    format: 'iife',
    target: 'chrome120',
    alias: { '@checkpoint-lane/shared': join(root, 'shared/src/index.ts') },
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'kiosk/display/static/display.css'), join(dir, 'display.css'));
  copyFileSync(join(root, 'kiosk/display/static/keypads.css'), join(dir, 'keypads.css'));
  writeFileSync(
    join(dir, 'harness.html'),
    `<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="display.css"><link rel="stylesheet" href="keypads.css">
</head><body class="officer"><script src="harness.js"></script></body></html>`,
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(component: string, viewport: { width: number; height: number }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  await page.goto(`file://${dir}/harness.html#${component}`);
  await page.locator('dialog[open] .kp').waitFor();
  return page;
}

const tap = (page: Page, name: string) => page.getByRole('button', { name, exact: true }).click();
const confirmed = (page: Page) =>
  page.evaluate(
    () => (window as unknown as { keypadHarness: { confirmed: string[] } }).keypadHarness.confirmed,
  );
/** The CSS `content` of the manual-entry field's ::before or ::after. */
const pseudo = (page: Page, which: '::before' | '::after') =>
  page.locator('.kp-typed').evaluate((e, w) => getComputedStyle(e, w).content, which);
const typed = (page: Page) =>
  page.evaluate(() => (window as unknown as { keypadHarness: { value(): string } }).keypadHarness.value());

describe('keypads in English', () => {
  it('name their action keys in words; character keys by their character', async () => {
    const page = await browser.newPage({ viewport: VIEWPORTS[0] });
    await page.goto(`file://${dir}/harness.html?lang=en&page=code#code`);
    for (const name of ['Delete one', 'Clear all', 'Check', 'G', '0', '-', '.']) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(1);
    }
    expect(await pseudo(page, '::after')).toBe('"e.g. 079301004567 · 30G-123.45 · C1234567"');
    await tap(page, '1');
    await tap(page, 'Check');
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('A personal ID has exactly 12 digits (1 typed)');
    await page.goto(`file://${dir}/harness.html?lang=en&page=note#note`);
    for (const name of ['Delete one', 'Clear all', 'Shift', 'Space', 'Telex: ON', 'Done', 'Papers checked']) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(1);
    }
    await tap(page, 'Telex: ON');
    expect(
      await page.getByRole('button', { name: 'Telex: OFF', exact: true }).getAttribute('aria-pressed'),
    ).toBe('false');
    await page.goto(`file://${dir}/harness.html?lang=en&page=pin#pin`);
    for (const name of ['Delete one', 'Clear all', 'Confirm']) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(1);
    }
    await page.close();
  });
});

describe.each(VIEWPORTS)('keypads at $width×$height', (viewport) => {
  it.each(COMPONENTS)(
    '%s: every key inside the viewport, at least 64 px, no scrolling',
    async (component) => {
      const page = await open(component, viewport);
      const keys = await page.locator('dialog[open] button').evaluateAll((buttons) =>
        buttons.map((b) => {
          const r = b.getBoundingClientRect();
          return { name: b.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom };
        }),
      );
      expect(keys.length).toBeGreaterThanOrEqual(component === 'code' ? 42 : 14);
      for (const key of keys) {
        const where = `${component} key ${JSON.stringify(key)}`;
        expect(key.left, where).toBeGreaterThanOrEqual(0);
        expect(key.top, where).toBeGreaterThanOrEqual(0);
        expect(key.right, where).toBeLessThanOrEqual(viewport.width);
        expect(key.bottom, where).toBeLessThanOrEqual(viewport.height);
        expect(key.right - key.left, where).toBeGreaterThanOrEqual(64);
        expect(key.bottom - key.top, where).toBeGreaterThanOrEqual(64);
      }
      const overflow = await page.evaluate(() => {
        const dialog = document.querySelector('dialog[open]');
        const scrolls = (e: Element | null) =>
          e !== null && (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1);
        return {
          dialog: scrolls(dialog),
          form: scrolls(dialog?.querySelector('form') ?? null),
          page: scrolls(document.scrollingElement),
        };
      });
      expect(overflow).toEqual({ dialog: false, form: false, page: false });

      // Keys of a keypad at least 10 px apart (gloves), whichever way they are neighbours.
      const boxes = await page.locator('dialog[open] .kp button').evaluateAll((buttons) =>
        buttons.map((b) => {
          const r = b.getBoundingClientRect();
          return { name: b.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom };
        }),
      );
      for (const a of boxes) {
        for (const b of boxes) {
          if (a === b) continue;
          const sameRow = a.top < b.bottom && b.top < a.bottom;
          const sameColumn = a.left < b.right && b.left < a.right;
          if (sameRow && b.left >= a.right - 0.5)
            expect(b.left - a.right, `${a.name} → ${b.name}`).toBeGreaterThan(9.5);
          if (sameColumn && b.top >= a.bottom - 0.5)
            expect(b.top - a.bottom, `${a.name} ↓ ${b.name}`).toBeGreaterThan(9.5);
        }
      }
      // Action words at least 18 px, on one line, inside their key (quick phrases may take two).
      const words = await page.locator('dialog[open] .kp-action .kp-words').evaluateAll((spans) =>
        spans.map((w) => {
          const r = w.getBoundingClientRect();
          const key = w.closest('button')!.getBoundingClientRect();
          const style = getComputedStyle(w);
          return {
            text: w.textContent,
            phrase: w.closest('.kp-phrase') !== null,
            size: parseFloat(style.fontSize),
            lines: Math.round(r.height / parseFloat(style.lineHeight)),
            inside: r.left >= key.left && r.right <= key.right && r.top >= key.top && r.bottom <= key.bottom,
          };
        }),
      );
      expect(words.length).toBeGreaterThanOrEqual(3);
      for (const w of words) {
        expect(w.size, w.text).toBeGreaterThanOrEqual(18);
        expect(w.inside, w.text).toBe(true);
        if (!w.phrase) expect(w.lines, w.text).toBe(1);
      }
      await screenshot(page, `keypad-${component}-${viewport.width}x${viewport.height}`);
      await page.close();
    },
  );

  it('code keypad: a plate with G and a passport with N typed by taps; an 11-digit typo refused', async () => {
    const page = await open('code', viewport);
    // Empty: the caret at the left edge, then an example; typing replaces both.
    expect(await page.locator('.kp-typed').textContent()).toBe('');
    expect(await pseudo(page, '::before')).toBe('"▏"');
    expect(await pseudo(page, '::after')).toBe('"VD: 079301004567 · 30G-123.45 · C1234567"');
    // Destructive and cancel keys away from Enter: clear all far left, Enter far right.
    const lastRow = await page.locator('.kp-code .kp-row').last().locator('button').allTextContents();
    expect(lastRow.map((k) => k.replace(/^[✕⌫↵]\s*/, ''))).toEqual([
      'Xoá hết',
      'Huỷ',
      'Xoá 1 ký tự',
      'Kiểm tra',
    ]);
    for (const key of ['3', '0', 'G', '-', '1', '2', '3', '.', '4', '5']) await tap(page, key);
    expect(await typed(page)).toBe('30G-123.45');
    await expect.poll(() => page.locator('.kp-typed').textContent()).toBe('30G-123.45');
    expect(await pseudo(page, '::before')).toBe('none');
    expect(await pseudo(page, '::after')).toBe('"▏"');
    await tap(page, 'Kiểm tra');
    expect(await confirmed(page)).toEqual(['30G-123.45']);

    await tap(page, 'Xoá hết');
    for (const key of ['N', '1', '2', '3', '4', '5', '6', '7']) await tap(page, key);
    await tap(page, 'Kiểm tra');
    expect(await confirmed(page)).toEqual(['30G-123.45', 'N1234567']);

    // The typed ID is shown in full, grouped for reading; the value stays the raw digits.
    await tap(page, 'Xoá hết');
    for (const key of '07930100456') await tap(page, key);
    expect(await page.locator('.kp-typed').textContent()).toBe('079 3 01 00456');
    await tap(page, 'Kiểm tra');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('12 chữ số (đã nhập 11)');
    await screenshot(page, `keypad-code-refused-${viewport.width}x${viewport.height}`);
    expect(await confirmed(page)).toHaveLength(2);
    await tap(page, '7');
    expect(await typed(page)).toBe('079301004567');
    expect(await page.locator('.kp-typed').textContent()).toBe('079 3 01 004567');
    await tap(page, 'Xoá 1 ký tự');
    expect(await typed(page)).toBe('07930100456');

    // A physical keyboard works too while the keypad has focus.
    await tap(page, 'Xoá hết');
    await page.keyboard.type('51f-123.45');
    await page.keyboard.press('Enter');
    expect(await confirmed(page)).toEqual(['30G-123.45', 'N1234567', '51F-123.45']);
    await page.close();
  });

  it('PIN pad: dots, never the digits; confirms 4–8 digits by taps or keys', async () => {
    const page = await open('pin', viewport);
    for (const key of ['2', '5', '8', '0']) await tap(page, key);
    expect(await page.locator('.kp-dots').textContent()).toBe('●●●●');
    const shown = await page.locator('.kp-pin-head').innerText();
    expect(shown).not.toMatch(/[0235678]/);
    await screenshot(page, `keypad-pin-typed-${viewport.width}x${viewport.height}`);
    await tap(page, 'Xác nhận');
    expect(await confirmed(page)).toEqual(['2580']);

    await tap(page, '1');
    await tap(page, '2');
    expect(await page.locator('.kp-dots').textContent()).toBe('●●○○');
    await tap(page, 'Xác nhận');
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Mã PIN có 4–8 chữ số');
    expect(await confirmed(page)).toEqual(['2580']);
    await tap(page, 'Xoá 1 số');
    expect(await typed(page)).toBe('1');
    await tap(page, 'Xoá hết');
    expect(await typed(page)).toBe('');

    for (const key of '123456789') await tap(page, key);
    expect(await typed(page)).toBe('12345678');
    await tap(page, 'Xoá hết');
    await page.keyboard.type('1397');
    await page.keyboard.press('Enter');
    expect(await confirmed(page)).toEqual(['2580', '1397']);
    await page.close();
  });

  it('note keyboard: a Telex note typed by taps gets its diacritics; a quick phrase is added', async () => {
    const page = await open('note', viewport);
    const word = async (keys: string) => {
      for (const key of keys) {
        if (key === ' ') await tap(page, 'Dấu cách');
        else if (key === key.toUpperCase()) {
          await tap(page, 'Chữ hoa');
          await tap(page, key);
        } else await tap(page, key);
      }
    };
    await word('Nguyeenx Vawn Aan ');
    expect(await typed(page)).toBe('Nguyễn Văn Ân ');
    await word('ddi cufng xe hoaf');
    expect(await typed(page)).toBe('Nguyễn Văn Ân đi cùng xe hoà');
    await tap(page, ',');
    // Mid-sentence a quick phrase starts in lower case; after a full stop it keeps its capital.
    await tap(page, 'Đã kiểm tra giấy tờ');
    expect(await typed(page)).toBe('Nguyễn Văn Ân đi cùng xe hoà, đã kiểm tra giấy tờ');
    await tap(page, '.');
    await tap(page, 'Xe cấp cứu');
    expect(await typed(page)).toBe('Nguyễn Văn Ân đi cùng xe hoà, đã kiểm tra giấy tờ. Xe cấp cứu');
    for (let i = 0; i < ' Xe cấp cứu'.length + 1; i += 1) await tap(page, 'Xoá 1 ký tự');
    expect(await page.locator('.kp-note-text').textContent()).toBe(await typed(page));
    await screenshot(page, `keypad-note-typed-${viewport.width}x${viewport.height}`);
    await tap(page, 'Xoá 1 ký tự');
    await tap(page, 'Xong');
    expect(await confirmed(page)).toEqual(['Nguyễn Văn Ân đi cùng xe hoà, đã kiểm tra giấy t']);

    // Telex off types letters as they are (codes, English words); the key says which it is.
    await tap(page, 'Xoá hết');
    const telex = page.locator('.kp-telex');
    expect(await telex.getAttribute('aria-pressed')).toBe('true');
    await tap(page, 'Telex: BẬT');
    expect(await telex.getAttribute('aria-pressed')).toBe('false');
    expect(await telex.innerText()).toContain('Telex: TẮT');
    await word('as');
    expect(await typed(page)).toBe('as');
    await page.close();
  });
});
