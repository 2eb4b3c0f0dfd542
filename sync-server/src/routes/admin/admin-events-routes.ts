import type { AdminEventData } from '@checkpoint-lane/shared';
import { sessionStillValid } from '../../auth/sessions.js';
import { openSse } from '../../events/sse.js';
import type { Services } from '../../services.js';
import { adminSecurity, type App } from '../schemas.js';

/** `/api/v1/admin/events`: the admin event stream (alerts and fleet changes as they happen). */
export function registerAdminEventRoutes(app: App, s: Services): void {
  app.get(
    '/events',
    {
      schema: {
        summary:
          'Server-sent events: `hello`, `alert` (an alert as `GET /alerts` shows it), `alert-ack` {id, ackedAt, ackedBy}, ' +
          '`kiosk-status` {kioskId, online}, `list-version` {list, version}; keep-alive comments',
        tags: ['admin'],
        security: adminSecurity,
        produces: ['text/event-stream'],
      },
    },
    (req, reply) => {
      let remove = (): void => undefined;
      let sessionCheck: NodeJS.Timeout | undefined;
      const stream = openSse(
        reply,
        s.sseKeepAliveMs,
        () => {
          clearInterval(sessionCheck);
          remove();
        },
        s.sseMaxBufferBytes,
      );
      // Capped per credential: each console session, and the admin token, keeps its newest streams.
      remove = s.hub.addAdmin(stream, req.admin?.sessionHash ?? 'token');
      // A console stream lives only as long as its session: sign-out, expiry, a disabled
      // account or a changed password/role (which end sessions) close it within seconds.
      const sessionHash = req.admin?.sessionHash;
      if (sessionHash !== undefined) {
        sessionCheck = setInterval(
          () => {
            void sessionStillValid(s, sessionHash, s.clock()).then(
              (valid) => {
                if (!valid) stream.close();
              },
              // A database that does not answer ends no session; the next check decides.
              () => undefined,
            );
          },
          Math.min(5_000, s.sseKeepAliveMs),
        );
        sessionCheck.unref();
      }
      const hello: AdminEventData<'hello'> = { at: s.clock(), ...s.hub.counts() };
      stream.send('hello', hello);
    },
  );
}
