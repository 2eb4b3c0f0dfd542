import { AuditAnswerSchema, AuditQuerySchema } from '@checkpoint-lane/shared';
import type { Services } from '../../services.js';
import { adminSecurity, errors, type App } from '../schemas.js';
import { parseTime } from './query-time.js';

/** Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern. */
const likePrefix = (text: string): string => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** `/api/v1/admin/audit`: the audit log (viewers do not see sign-in and account records). */
export function registerAuditRoutes(app: App, s: Services): void {
  app.get(
    '/audit',
    {
      schema: {
        summary: 'The audit log: every list change and admin action, newest first',
        tags: ['admin'],
        security: adminSecurity,
        querystring: AuditQuerySchema,
        response: { 200: AuditAnswerSchema, ...errors(400, 401) },
      },
    },
    async (req) => {
      const q = req.query;
      const from = parseTime('from', q.from);
      const to = parseTime('to', q.to);
      return {
        records: await s.audit.list({
          limit: q.limit ?? 100,
          ...(q.before !== undefined && { before: q.before }),
          ...(q.action !== undefined && { action: q.action }),
          ...(q.actor !== undefined && { actor: q.actor }),
          ...(from !== undefined && { from }),
          ...(to !== undefined && { to }),
          ...(q.target !== undefined && q.target !== '' && { targetLike: likePrefix(q.target) }),
          withoutAccounts: req.admin?.role !== 'admin',
        }),
      };
    },
  );
}
