import { ListImportQuerySchema, ListImportReportSchema } from '@checkpoint-lane/shared';
import { Readable } from 'node:stream';
import { adminActor } from '../../auth/auth-hooks.js';
import { HttpError } from '../../http-error.js';
import { importListCsv } from '../../lists/list-import.js';
import type { ListWriterStore } from '../../db/store/store.js';
import { publishListWrite } from '../../lists/list-writer.js';
import type { Services } from '../../services.js';
import { adminSecurity, errors, ListParams, type App } from '../schemas.js';

/** Seconds an import refused with 503 `import_busy` is told to wait (`Retry-After`). */
export const IMPORT_BUSY_RETRY_AFTER_SEC = 15;

/**
 * `POST /api/v1/admin/lists/:list/import`: a list CSV streamed in, previewed (`dryRun`) or
 * written as one version by the importer (which audits it); the route publishes the new version.
 * At most `s.importsAtOnce` imports run at once on this server; another one answers 503
 * `import_busy` with `Retry-After` before its body is read.
 */
export function registerListImportRoute(app: App, s: Services, writer: ListWriterStore): void {
  let running = 0;
  // The CSV body is handed over as a stream: the importer parses it as it arrives.
  app.addContentTypeParser(['text/csv', 'application/csv', 'text/plain'], (_req, payload, done) => {
    done(null, payload);
  });

  app.post(
    '/lists/:list/import',
    {
      bodyLimit: s.importMaxBytes,
      schema: {
        summary:
          'Import a list from CSV (text/csv); all-or-nothing unless ?partial=true; ?dryRun=true previews, ?expectSha256= commits the previewed file',
        description:
          'health: `id,status,since,until,name,note`; whitelist: `id,category,valid_from,valid_until,checkpoints,name,note`. ' +
          'UTF-8, RFC 4180 quoting. Dates: ISO 8601 or dd/mm/yyyy (Vietnam time when no offset). ' +
          'The header may end with a `reason` column (a downloaded file of rejected rows), which is ignored. ' +
          'Answers 422 with the row report when rejections stopped the import. ' +
          'With `dryRun=true` the file is checked exactly as an import would check it (header, rows, duplicates) and ' +
          'nothing is written: 200 with the report, `applied: false`, `dryRun: true`. Every report carries the ' +
          'body’s `sha256`; with `expectSha256` a different body answers 409 `file_changed` and writes nothing. ' +
          'While the server already runs its most imports at once (default 2), another answers 503 `import_busy` ' +
          'with `Retry-After` at once, without reading the body.',
        tags: ['admin'],
        security: adminSecurity,
        consumes: ['text/csv'],
        params: ListParams,
        querystring: ListImportQuerySchema,
        response: {
          200: ListImportReportSchema,
          422: ListImportReportSchema,
          ...errors(400, 401, 409, 413, 415, 503),
        },
      },
    },
    async (req, reply) => {
      if (req.query.partial === true && req.query.replace === true) {
        throw new HttpError(
          400,
          'partial_replace',
          'replace deletes every entry not in the file, so it cannot keep going past rejected rows: fix the file or drop partial',
        );
      }
      if (!(req.body instanceof Readable)) {
        throw new HttpError(
          415,
          'unsupported_media_type',
          'send the CSV as the request body with Content-Type: text/csv',
        );
      }
      if (running >= s.importsAtOnce) {
        // The body is not read: close the connection after the answer instead of draining it.
        void reply.header('retry-after', String(IMPORT_BUSY_RETRY_AFTER_SEC)).header('connection', 'close');
        throw new HttpError(
          503,
          'import_busy',
          `this server is already running ${s.importsAtOnce} import(s); try again in ${IMPORT_BUSY_RETRY_AFTER_SEC} s`,
        );
      }
      running++;
      let result: Awaited<ReturnType<typeof importListCsv>>;
      try {
        result = await importListCsv({
          list: req.params.list,
          body: req.body,
          listKey: s.listKey,
          writer,
          now: s.clock(),
          partial: req.query.partial === true,
          replace: req.query.replace === true,
          maxBytes: s.importMaxBytes,
          actor: adminActor(req),
          dryRun: req.query.dryRun === true,
          ...(req.query.expectSha256 !== undefined && { expectSha256: req.query.expectSha256 }),
        });
      } finally {
        running--;
      }
      const { written, ...summary } = result;
      if (written !== null) await publishListWrite(s.hub, written);
      if (summary.dryRun) return reply.send(summary);
      if (!summary.applied) {
        return reply.code(422).send({
          ...summary,
          error: 'rows_rejected',
          message: `${summary.rejectedTotal} row(s) rejected; nothing was imported (use ?partial=true to keep the good rows)`,
        });
      }
      return reply.send(summary);
    },
  );
}
