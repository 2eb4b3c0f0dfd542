import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import fp from 'fastify-plugin';
import { Readable } from 'node:stream';
import { explainSafeTextPattern } from '@checkpoint-lane/shared';
import Type from 'typebox';
import { adminAuth, AuthFailureLimiter, laneAuth } from './auth/auth-hooks.js';
import { limitsRateStore } from './auth/rate-limit-store.js';
import { serveConsole } from './routes/console/serve-console.js';
import { HttpError } from './http-error.js';
import { registerAccountRoutes } from './routes/admin/accounts-routes.js';
import { registerArrivalsRoutes } from './routes/admin/arrivals-routes.js';
import { registerCheckpointRoutes } from './routes/admin/checkpoints-routes.js';
import { registerFleetRoutes } from './routes/admin/fleet-routes.js';
import { registerListKeyRoutes } from './routes/admin/list-key-routes.js';
import { registerListSigningRoutes } from './routes/admin/list-signing-routes.js';
import { registerListRoutes } from './routes/admin/lists-routes.js';
import { registerOfficerRoutes } from './routes/admin/officers-routes.js';
import { registerPassRoutes } from './routes/admin/pass-routes.js';
import { registerTraceRoutes } from './routes/admin/trace-routes.js';
import { registerEnrollRoute } from './routes/kiosk/enroll-route.js';
import { registerKioskRoutes } from './routes/kiosk/kiosk-routes.js';
import { registerListKeyRoute } from './routes/kiosk/list-key-route.js';
import { registerPassesRoute } from './routes/kiosk/passes-route.js';
import { registerDeclarationRoutes, registerDeclarePage } from './routes/public/declaration-routes.js';
import type { App } from './routes/schemas.js';
import { registerSessionRoutes } from './routes/session/session-routes.js';
import { pgAnswer, type StoredAnswer } from './db/pg/pg-errors.js';
import { createServices, type AppOptions, type Services } from './services.js';

export type { AppOptions } from './services.js';

/**
 * Whether a parsed JSON value, query or path holds a number JavaScript cannot hold exactly:
 * Infinity, NaN, or beyond ±(2^53 − 1) (bounded depth). Every schema bounds its integers; this
 * is the net under them.
 */
function hasUnsafeNumber(value: unknown, depth = 0): boolean {
  if (typeof value === 'number') return !(Math.abs(value) <= Number.MAX_SAFE_INTEGER);
  if (value === null || typeof value !== 'object' || depth > 8) return false;
  // Streams (CSV import bodies) and buffers are not parsed values.
  if (value instanceof Readable || ArrayBuffer.isView(value)) return false;
  for (const v of Object.values(value)) if (hasUnsafeNumber(v, depth + 1)) return true;
  return false;
}

/**
 * The answer to a SQLite error, or null for one that is the server's own fault. A constraint
 * or type error means the request held something the schema let through but the database
 * refuses: the client's to fix (4xx), never a 500.
 */
function sqliteAnswer(err: { code?: unknown }): StoredAnswer | null {
  const code = typeof err.code === 'string' ? err.code : '';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
    return { status: 409, code: 'conflict', message: 'this conflicts with a stored record' };
  if (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH')
    return { status: 400, code: 'bad_request', message: 'a value is out of range or of the wrong type' };
  if (code === 'SQLITE_TOOBIG')
    return { status: 413, code: 'body_too_large', message: 'a value is too large to store' };
  return null;
}

/** The event-stream routes: refused while the server drains. */
const EVENT_STREAM_PATHS: ReadonlySet<string> = new Set(['/api/v1/kiosk/events', '/api/v1/admin/events']);

/** Error codes of Fastify and its plugins, as this API names them. */
const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_json',
  rate_limited: 'rate_limited',
};

/**
 * onSend hook of the admin and session routes: their answers hold personal data or secrets
 * (CSRF tokens), so no cache keeps them, and browsers never sniff them into something else.
 */
async function privateAnswer(_req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
  void reply.header('x-content-type-options', 'nosniff');
  return Promise.resolve(payload);
}

/**
 * The sync server as a Fastify plugin: storage, secrets and clock come in through `opts`
 * (see `AppOptions`), so tests build it on a temp database and drive it with `inject()`.
 */
export const checkpointServer: FastifyPluginAsync<AppOptions> = fp(
  async (fastify: FastifyInstance, opts: AppOptions) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const s = await createServices(opts);
    app.decorate('services', s);
    app.decorateRequest('lane', null);
    app.decorateRequest('admin', null);
    await app.register(cookie);

    await app.register(swagger, {
      openapi: {
        info: { title: 'checkpoint-lane sync server', version: '1.0.0' },
        components: {
          securitySchemes: {
            adminToken: { type: 'http', scheme: 'bearer', description: 'admin token' },
            kioskToken: { type: 'http', scheme: 'bearer', description: 'kiosk token from enrollment' },
            sessionCookie: {
              type: 'apiKey',
              in: 'cookie',
              name: 'cl_session',
              description: 'admin console session (POST /api/v1/session); changes need X-CSRF-Token',
            },
          },
        },
      },
    });
    await app.register(rateLimit, {
      global: false,
      // Counted in the database's limits store: every server of a fleet counts an address together.
      store: limitsRateStore(s.store.limits, s.clock),
      errorResponseBuilder: (_req, context) => ({
        statusCode: 429,
        code: 'rate_limited',
        message: `too many attempts; try again in ${context.after}`,
      }),
    });

    app.setErrorHandler((err: FastifyError, req, reply) => {
      if (err instanceof HttpError) {
        return reply.code(err.statusCode).send({ error: err.code, message: err.message });
      }
      if (err.validation) {
        return reply.code(400).send({ error: 'bad_request', message: explainSafeTextPattern(err.message) });
      }
      const stored = sqliteAnswer(err) ?? (s.store.engine === 'postgres' ? pgAnswer(err) : null);
      if (stored !== null) {
        if (stored.retryAfterSec !== undefined)
          void reply.header('retry-after', String(stored.retryAfterSec));
        // Still logged: a schema that lets such a value through is a bug to fix.
        req.log.warn({ code: err.code, url: req.routeOptions.url }, 'database refused a request value');
        return reply.code(stored.status).send({ error: stored.code, message: stored.message });
      }
      const status = err.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        // Plugin errors (rate limit, body parser) may come without a code, or with Fastify's own.
        const code = FASTIFY_CODES[err.code] ?? (status === 429 ? 'rate_limited' : 'bad_request');
        return reply.code(status).send({ error: code, message: err.message });
      }
      // A PostgreSQL error's detail, hint and where can quote the row's values: log its code only.
      const logged = 'severity' in err ? { code: err.code, message: err.message } : err;
      req.log.error({ err: logged }, 'request failed');
      return reply.code(500).send({ error: 'internal', message: 'internal server error' });
    });
    app.setNotFoundHandler((req, reply) =>
      reply
        .code(404)
        .send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0] ?? ''}` }),
    );

    // JSON and query coercion turn `1e400` into Infinity, which passes an integer schema's
    // maximum (ajv 8) and would reach SQLite: refuse non-finite and unsafe numbers after validation.
    app.addHook('preHandler', async (req) => {
      if (hasUnsafeNumber(req.query) || hasUnsafeNumber(req.body) || hasUnsafeNumber(req.params)) {
        throw new HttpError(
          400,
          'bad_request',
          `numbers must be finite and within ±${Number.MAX_SAFE_INTEGER} (2^53 − 1)`,
        );
      }
      await Promise.resolve();
    });

    // Upkeep of the database (PostgreSQL: next months' scan partitions), at start and daily.
    const upkeep = (): void => {
      s.store.maintain(s.clock()).catch((err: unknown) => {
        app.log.error({ err }, 'database upkeep failed; retried in a day');
      });
    };
    upkeep();
    const upkeepTimer = setInterval(upkeep, 24 * 3_600_000);
    upkeepTimer.unref();

    // Draining (see `drain`): /ready answers 503 and new event streams are refused, so a load
    // balancer and the lanes turn to another server while requests in flight finish.
    let draining = false;
    // Requests in flight, each with whether it is an event stream.
    const inFlight = new Map<FastifyReply['raw'], boolean>();
    app.addHook('onRequest', async (req, reply) => {
      const path = req.url.split('?')[0] ?? '';
      if (draining && EVENT_STREAM_PATHS.has(path)) {
        void reply.header('retry-after', '2');
        throw new HttpError(503, 'draining', 'this server is shutting down; connect to another');
      }
      if (path !== '/ready' && path !== '/health') {
        const res = reply.raw;
        inFlight.set(res, EVENT_STREAM_PATHS.has(path));
        res.once('close', () => inFlight.delete(res));
      }
      await Promise.resolve();
    });
    app.decorate('drain', async (graceMs: number) => {
      draining = true;
      // Event streams get a retry hint (1 to 4 s, spread so their reconnects do not all land at
      // once), then end; the requests behind them leave the in-flight set as their sockets close.
      for (const [res, stream] of inFlight) {
        if (stream && res.headersSent && !res.writableEnded)
          res.write(`retry: ${1000 + Math.floor(Math.random() * 3000)}\n\n`);
      }
      s.hub.closeAll();
      const until = Date.now() + graceMs;
      while (inFlight.size > 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, Math.min(50, until - Date.now())));
      }
    });

    app.addHook('preClose', async () => {
      clearInterval(upkeepTimer);
      s.fleet.stop();
      s.hub.closeAll();
      s.hub.detach();
      await Promise.resolve();
    });
    s.fleet.start(5_000);

    app.get(
      '/health',
      {
        schema: {
          summary:
            'Liveness and readiness: 503 while the database does not answer or the fleet event bus is cut off (a load balancer then sends lanes elsewhere)',
          tags: ['meta'],
          response: {
            200: Type.Object({ status: Type.Literal('ok'), time: Type.Integer() }),
            503: Type.Object({
              status: Type.Literal('unavailable'),
              time: Type.Integer(),
              database: Type.Union([Type.Literal('ok'), Type.Literal('unreachable')]),
              events: Type.Union([Type.Literal('ok'), Type.Literal('disconnected')]),
            }),
          },
        },
      },
      async (req, reply) => {
        const db = await s.store.ping();
        const bus = s.hub.bus.state();
        if (db.ok && bus.connected) return reply.send({ status: 'ok' as const, time: s.clock() });
        req.log.warn(
          {
            database: db.ok ? 'ok' : db.error,
            events: bus.connected ? 'ok' : (bus.lastError ?? 'disconnected'),
          },
          'not ready',
        );
        return reply.code(503).send({
          status: 'unavailable' as const,
          time: s.clock(),
          database: db.ok ? ('ok' as const) : ('unreachable' as const),
          events: bus.connected ? ('ok' as const) : ('disconnected' as const),
        });
      },
    );
    app.get(
      '/ready',
      {
        schema: {
          summary:
            'Readiness: 200 while the database answers, the fleet event bus is connected and the server is not draining; 503 with the reason otherwise (a load balancer then sends no new requests). /health is the liveness path.',
          tags: ['meta'],
          response: {
            200: Type.Object({ status: Type.Literal('ready') }),
            503: Type.Object({
              status: Type.Literal('not_ready'),
              reason: Type.Union([
                Type.Literal('draining'),
                Type.Literal('database_unreachable'),
                Type.Literal('events_disconnected'),
              ]),
            }),
          },
        },
      },
      async (_req, reply) => {
        const notReady = (reason: 'draining' | 'database_unreachable' | 'events_disconnected') =>
          reply.code(503).send({ status: 'not_ready' as const, reason });
        const db = await s.store.ping();
        // Checked after the database answered: draining may have begun meanwhile.
        if (draining) return notReady('draining');
        if (!db.ok) return notReady('database_unreachable');
        if (!s.hub.bus.state().connected) return notReady('events_disconnected');
        return reply.send({ status: 'ready' as const });
      },
    );
    app.get('/', { schema: { summary: 'Redirects to the admin console', tags: ['meta'] } }, (_req, reply) =>
      reply.redirect('/admin/'),
    );
    await serveConsole(app, opts.consoleDir);
    app.get('/openapi.json', { schema: { summary: 'This API as OpenAPI 3', tags: ['meta'] } }, () =>
      app.swagger(),
    );

    // Separate budgets: console sign-in noise must never lock lanes out (they may share a NAT).
    const limiter = new AuthFailureLimiter(s.store.limits, 'auth-session', s.clock);
    // Bad admin tokens and forged cookies have their own budget too: garbage from a neighbour
    // must not refuse a console sign-in (passwords, unlike tokens, are checked against it first).
    const adminLimiter = new AuthFailureLimiter(s.store.limits, 'auth-admin', s.clock);
    const kioskLimiter = new AuthFailureLimiter(s.store.limits, 'auth-kiosk', s.clock);
    await app.register(
      async (admin: App) => {
        admin.addHook('onRequest', adminAuth(s, adminLimiter));
        admin.addHook('onSend', privateAnswer);
        registerAccountRoutes(admin, s);
        registerCheckpointRoutes(admin, s);
        registerListRoutes(admin, s);
        registerListSigningRoutes(admin, s);
        registerListKeyRoutes(admin, s);
        registerFleetRoutes(admin, s);
        registerOfficerRoutes(admin, s);
        registerTraceRoutes(admin, s, s.store);
        registerArrivalsRoutes(admin, s);
        registerPassRoutes(admin, s);
        await Promise.resolve();
      },
      { prefix: '/api/v1/admin' },
    );
    await app.register(
      async (session: App) => {
        session.addHook('onSend', privateAnswer);
        registerSessionRoutes(session, s, limiter);
        await Promise.resolve();
      },
      { prefix: '/api/v1' },
    );
    await app.register(
      async (kiosk: App) => {
        registerEnrollRoute(kiosk, s);
        await kiosk.register(async (authed: App) => {
          authed.addHook('onRequest', laneAuth(s, kioskLimiter));
          registerKioskRoutes(authed, s);
          registerListKeyRoute(authed, s);
          registerPassesRoute(authed, s);
          await Promise.resolve();
        });
      },
      { prefix: '/api/v1/kiosk' },
    );
    // Movement declarations (no auth): the page and the route it posts to.
    registerDeclarePage(app, s);
    await app.register(
      async (pub: App) => {
        pub.addHook('onSend', privateAnswer);
        registerDeclarationRoutes(pub, s);
        await Promise.resolve();
      },
      { prefix: '/api/v1/public' },
    );
  },
  { name: 'checkpoint-server', fastify: '5.x' },
);

declare module 'fastify' {
  interface FastifyInstance {
    /** Repositories and services (for tests and the CLI). */
    services: Services;
    /**
     * Starts draining before a shutdown: /ready answers 503 from now on, new event streams are
     * refused with 503, open ones get a retry hint and end; then waits until no request is in
     * flight (probes of /ready and /health not counted) or `graceMs` has passed. The caller closes
     * the server after it.
     */
    drain(graceMs: number): Promise<void>;
  }
}

/** Options of a standalone server: the app's plus a logger. */
export interface ServerOptions extends AppOptions {
  readonly logger?: FastifyBaseLogger | false;
  /**
   * Addresses (comma-separated IPs or CIDRs) of a TLS-terminating reverse proxy whose
   * `X-Forwarded-Proto/-Host/-For` are believed: the console's Secure cookie, Origin check and
   * per-address limits then see the browser's view. Unset: no proxy is trusted.
   */
  readonly trustProxy?: string;
}

/** Builds a ready-to-listen Fastify instance with the sync server registered. */
export async function buildServer(opts: ServerOptions): Promise<App> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: opts.bodyLimit ?? 4 * 1024 * 1024,
    return503OnClosing: true,
    // Errors the router answers before any route runs: the API's own {error, message} shape,
    // without echoing the path (it may hold a subject's ID).
    frameworkErrors: (err, _req, reply: FastifyReply) => {
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH')
        void reply.code(414).send({ error: 'uri_too_long', message: 'a path segment is too long' });
      else void reply.code(400).send({ error: 'bad_url', message: 'the path is not a valid URL' });
    },
    ...(opts.trustProxy !== undefined && { trustProxy: opts.trustProxy }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(checkpointServer, opts);
  await app.ready();
  return app;
}
