import {
  LIST_NAMES,
  ListHistoryQuerySchema,
  ListHistorySchema,
  ListStatesSchema,
} from '@checkpoint-lane/shared';
import type { Services } from '../../services.js';
import { adminSecurity, errors, ListParams, type App } from '../schemas.js';
import { registerListEntryRoutes } from './list-entry-routes.js';
import { registerListImportRoute } from './list-import-route.js';

/**
 * `/api/v1/admin/lists/…`: CSV import with preview (list-import-route.ts), the lists' state and
 * version history (here), single entries (list-entry-routes.ts). Every write goes through one
 * `ListWriter`, which makes the version, its history row and its audit record in one transaction.
 */
export function registerListRoutes(app: App, s: Services): void {
  const writer = s.store.listWriter;
  registerListImportRoute(app, s, writer);

  app.get(
    '/lists/:list/history',
    {
      schema: {
        summary:
          'A list’s version history, newest first: who wrote each version, when, how, how many entries',
        tags: ['admin'],
        security: adminSecurity,
        params: ListParams,
        querystring: ListHistoryQuerySchema,
        response: { 200: ListHistorySchema, ...errors(400, 401) },
      },
    },
    async (req) => ({
      versions: await s.lists.history(req.params.list, {
        limit: req.query.limit ?? 50,
        ...(req.query.before !== undefined && { before: req.query.before }),
      }),
    }),
  );

  app.get(
    '/lists',
    {
      schema: {
        summary: 'Versions and sizes of the lists',
        tags: ['admin'],
        security: adminSecurity,
        response: { 200: ListStatesSchema, ...errors(401) },
      },
    },
    async () => ({
      lists: await Promise.all(
        LIST_NAMES.map(async (list) => ({
          list,
          ...(await s.lists.state(list)),
          count: await s.lists.count(list),
        })),
      ),
    }),
  );

  registerListEntryRoutes(app, s, writer);
}
