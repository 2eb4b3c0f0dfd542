// The officer screen's touch keypads (kiosk/display/src/keypads/) in real Debian Chromium, on a
// test-only harness page (tests/e2e/fixtures/keypads-harness.ts, bundled here with esbuild, with
// the display's own stylesheets) at 1024×600 and 1280×800: every key inside the viewport and at
// least 64 px, nothing scrolls, a plate with G and a passport with N typed by taps, an 11-digit
// typo refused in the dialog, a PIN shown as dots only, a Telex note typed by taps.
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
const COMPONENTS = ['pin', 'pin-wide', 'code', 'note'] as const;

let dir: string;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keypads-e2e-'));
  await build({
    entryPoints: [join(root, 'tests/e2e/fixtures/keypads-harness.ts')],
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
const typed = (page: Page) =>
  page.evaluate(() => (window as unknown as { keypadHarness: { value(): string } }).keypadHarness.value());

describe('keypads in English', () => {
  it('name their action keys in words; character keys by their character', async () => {
    const page = await browser.newPage({ viewport: VIEWPORTS[0] });
    await page.goto(`file://${dir}/harness.html?lang=en&page=code#code`);
    for (const name of ['Delete one', 'Clear all', 'Check', 'G', '0', '-', '.']) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(1);
    }
    await tap(page, '1');
    await tap(page, 'Check');
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toBe('A personal ID has exactly 12 digits (1 typed)');
    await page.goto(`file://${dir}/harness.html?lang=en&page=note#note`);
    for (const name of ['Delete one', 'Clear all', 'Shift', 'Space', 'Telex', 'Done', 'Papers checked']) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(1);
    }
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
      await screenshot(page, `keypad-${component}-${viewport.width}x${viewport.height}`);
      await page.close();
    },
  );

  it('code keypad: a plate with G and a passport with N typed by taps; an 11-digit typo refused', async () => {
    const page = await open('code', viewport);
    for (const key of ['3', '0', 'G', '-', '1', '2', '3', '.', '4', '5']) await tap(page, key);
    expect(await typed(page)).toBe('30G-123.45');
    await expect.poll(() => page.locator('.kp-typed').textContent()).toBe('30G-123.45');
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
    await tap(page, 'Đã kiểm tra giấy tờ');
    expect(await typed(page)).toBe('Nguyễn Văn Ân đi cùng xe hoà, Đã kiểm tra giấy tờ');
    expect(await page.locator('.kp-note-text').textContent()).toBe(await typed(page));
    await screenshot(page, `keypad-note-typed-${viewport.width}x${viewport.height}`);
    await tap(page, 'Xoá 1 ký tự');
    await tap(page, 'Xong');
    expect(await confirmed(page)).toEqual(['Nguyễn Văn Ân đi cùng xe hoà, Đã kiểm tra giấy t']);

    // Telex off types letters as they are (codes, English words).
    await tap(page, 'Xoá hết');
    await tap(page, 'Gõ Telex');
    await word('as');
    expect(await typed(page)).toBe('as');
    await page.close();
  });
});
