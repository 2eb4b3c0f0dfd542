import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` puts the console (the same path from `src/` under tests and `dist/`). */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

/**
 * The console's Content-Security-Policy: everything from this origin only, nothing inline
 * (scripts, styles), no framing; data: images for the enrollment QR code.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function setSecurityHeaders(reply: FastifyReply): void {
  void reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin');
}

const NOT_BUILT = `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>checkpoint-lane</title></head>
<body><h1>Bảng quản trị chưa được dựng / The admin console is not built</h1>
<p>Chạy <code>npm run build</code> rồi khởi động lại máy chủ. / Run <code>npm run build</code> and restart the server.</p>
</body></html>`;

/**
 * Serves the built admin console at `/admin/` with strict security headers. The app routes
 * by URL fragment, so `/admin/` and its static files are all there is. Without a build it
 * answers a page that says how to make one.
 */
export async function serveConsole(app: FastifyInstance, dir: string = CONSOLE_DIR): Promise<void> {
  app.get('/admin', { schema: { hide: true } }, (_req, reply) => reply.redirect('/admin/'));
  if (!existsSync(join(dir, 'index.html'))) {
    app.get(
      '/admin/',
      { schema: { summary: 'The admin console (not built)', tags: ['meta'] } },
      (_req, reply) => {
        setSecurityHeaders(reply);
        return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
      },
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/admin/',
    index: 'index.html',
    wildcard: false,
    dotfiles: 'deny',
    // Source maps stay on the server's disk for whoever runs it; they are not published.
    allowedPath: (path: string) => !path.endsWith('.map'),
    schemaHide: true,
    decorateReply: false,
    cacheControl: false,
    setHeaders: (reply: FastifyReply, path: string) => {
      setSecurityHeaders(reply);
      // The page names its script and style without a version: revalidate every load.
      void reply.header('cache-control', path.endsWith('.html') ? 'no-store' : 'no-cache');
    },
  });
}
