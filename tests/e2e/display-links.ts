// Opening a lane screen in Chromium the way a kiosk window does: through a one-time link whose
// code the display server trades for a session cookie. Each page gets its own browser context,
// so an officer page and a traveller page never share cookies.
import type { Browser, Page } from 'playwright-core';
import type { DisplayServer, DisplayView } from '@checkpoint-lane/kiosk';

/** Opens `view` of a running display server in a new page (own context), signed in by a fresh one-time link. */
export async function openLaneView(
  browser: Browser,
  display: Pick<DisplayServer, 'mintLink'>,
  view: DisplayView,
  viewport: { width: number; height: number } = { width: 1280, height: 800 },
): Promise<Page> {
  const page = await browser.newPage({ viewport });
  await openLink(page, display.mintLink(view));
  return page;
}

/** Loads a one-time link in `page` and checks it landed on the clean page URL (code traded for a cookie). */
export async function openLink(page: Page, link: string): Promise<void> {
  const res = await page.goto(link);
  const target = new URL(link);
  if (
    res?.status() !== 200 ||
    new URL(page.url()).pathname !== target.pathname ||
    page.url().includes('code=')
  )
    throw new Error(
      `the display link was refused (HTTP ${String(res?.status())} at ${new URL(page.url()).pathname})`,
    );
}
