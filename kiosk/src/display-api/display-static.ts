// The display's pages and assets, and the few pages the server writes itself (a refused link,
// the hop to a clean URL, the placeholder before the display is built).
import { existsSync } from 'node:fs';
import { extname, join } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};

/** Pages and assets of the built display; only known files, never a path from the request. */
export function staticFile(dir: string | undefined, pathname: string): { file: string; type: string } | null {
  if (dir === undefined) return null;
  const name =
    pathname === '/'
      ? 'index.html'
      : pathname === '/traveller'
        ? 'traveller.html'
        : /^\/assets\/[\w.-]+$/.test(pathname)
          ? pathname.slice(1)
          : null;
  if (name === null || name.includes('..')) return null;
  const file = join(dir, name);
  const type = CONTENT_TYPES[extname(name)];
  return type !== undefined && existsSync(file) ? { file, type } : null;
}

/** HTML. */
export const HTML = 'text/html; charset=utf-8';

// The page's CSP allows no inline style and a refused visitor gets no assets, so plain HTML
// presentation attributes make it dark and large.
/** The page of a used (or unknown) link, and of a page asked for without its session. */
export const REFUSED_PAGE = `<!doctype html><html lang="vi"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Liên kết đã được dùng</title>
<body bgcolor="#111111" text="#ffffff"><table width="100%" border="0" cellpadding="24"><tr><td align="center">
<font size="7" color="#fc8181" aria-hidden="true">✕</font>
<h1><font size="7">Liên kết đã được dùng —<br>gọi kỹ&nbsp;thuật</font></h1>
<p lang="en"><font size="6">This link was already used — call a technician</font></p>
<p><br><font size="3" color="#a0aec0">Kỹ thuật: mở liên kết mới trong <code>display.json</code> của làn · Technician: open a fresh link from the lane's <code>display.json</code></font></p>
</td></tr></table></body></html>`;

/** Moves on to a view's page by a same-origin navigation (no script: the CSP allows none inline). */
export const continuePage = (path: string): string =>
  `<!doctype html><html lang="vi"><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${path}">` +
  '<title>checkpoint-lane</title><body></body></html>';

/** The officer page while the display is not built. */
export const PLACEHOLDER = `<!doctype html><html lang="vi"><meta charset="utf-8"><title>checkpoint-lane</title>
<body><h1>Làn kiểm soát</h1><p>Màn hình làn đang được xây dựng. / The lane display is not built yet.</p></body></html>`;
