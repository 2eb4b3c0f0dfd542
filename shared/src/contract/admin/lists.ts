// The admin API's lists (`/api/v1/admin/lists/…`): CSV import (and its preview), the lists'
// state and version history, single entries. Schema and type come from one TypeBox definition:
// the server's routes validate and answer with these schemas; the console and the CLI import
// the types only. Entries here carry what only the server keeps (subject, name, note); a lane
// never gets these shapes.
import Type from 'typebox';
import { Counter } from '../../schemas/bounds.js';
import { HealthStatus, WhitelistCategory } from '../../schemas/list-schemas.js';
import { WireEntry } from '../kiosk-api.js';
import { SafeMultilineText, SafeText } from '../safe-text.js';

/**
 * Why a CSV row was rejected: stable codes the console words in Vietnamese or English (the
 * `reason` beside them stays English, for the CLI and logs).
 */
export const ROW_ERROR_CODES = [
  'field_count',
  'bad_id',
  'name_too_long',
  'note_too_long',
  'bad_status',
  'bad_category',
  'bad_date',
  'not_calendar_date',
  'bad_time',
  'bad_offset',
  'end_before_start',
  'bad_checkpoint',
  'duplicate_id',
  'csv_syntax',
  // A NUL or other control character in a cell (names: any; notes and other cells: not tab or a line break).
  'control_char',
] as const;
/** Why a CSV row was rejected. */
export type RowErrorCode = (typeof ROW_ERROR_CODES)[number];

// --- POST /lists/{list}/import (text/csv body) ----------------------------------------------

/** Query of `POST /lists/{list}/import`. */
export const ListImportQuerySchema = Type.Object({
  partial: Type.Optional(Type.Boolean({ description: 'keep the good rows when some are rejected' })),
  replace: Type.Optional(
    Type.Boolean({ description: 'the file is the whole list: delete entries not in it' }),
  ),
  dryRun: Type.Optional(
    Type.Boolean({ description: 'validate the whole file as an import would and write nothing (200)' }),
  ),
  expectSha256: Type.Optional(
    Type.String({
      pattern: '^[0-9a-fA-F]{64}$',
      description:
        'import only if the body is this file (the `sha256` of its preview); 409 file_changed otherwise',
    }),
  ),
});
/** Query of `POST /lists/{list}/import`. */
export type ListImportQuery = Type.Static<typeof ListImportQuerySchema>;

/** One rejected CSV row: the line it starts on, why (English words), a stable code and its params. */
export const RejectedRowSchema = Type.Object({
  line: Type.Integer({ description: 'the line the row starts on' }),
  reason: Type.String({ description: 'in English' }),
  code: Type.String({ description: `stable: ${ROW_ERROR_CODES.join(', ')}` }),
  params: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), {
      description: 'what the reason names, e.g. {field, value} of a bad date (never the row’s ID)',
    }),
  ),
});
/** One rejected CSV row. */
export type RejectedRowView = Type.Static<typeof RejectedRowSchema>;

/**
 * Answer of `POST /lists/{list}/import`: 200 when written or previewed, 422 (with `error` and
 * `message`) when rejections stopped an all-or-nothing import.
 */
export const ListImportReportSchema = Type.Object({
  version: Type.Integer({ description: 'the list version after the import (unchanged unless applied)' }),
  accepted: Type.Integer({ description: 'rows written; on a dry run, the valid rows' }),
  rejected: Type.Array(RejectedRowSchema),
  rejectedTotal: Type.Integer(),
  applied: Type.Boolean(),
  dryRun: Type.Boolean(),
  sha256: Type.String({ description: 'SHA-256 (hex) of the body' }),
  rows: Type.Integer({ description: 'data rows read (without the header)' }),
  error: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});
/** What an import (or its preview) answers. */
export type ListImportReport = Type.Static<typeof ListImportReportSchema>;

// --- GET /lists/{list}/history ---------------------------------------------------------------

/** Query of `GET /lists/{list}/history`. */
export const ListHistoryQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  before: Type.Optional(Counter({ minimum: 1, description: 'versions older than this one' })),
});
/** Query of `GET /lists/{list}/history`. */
export type ListHistoryQuery = Type.Static<typeof ListHistoryQuerySchema>;

/** One written list version: who, when, what kind of write, how many entries it changed. */
export const ListVersionSchema = Type.Object({
  version: Type.Integer(),
  at: Type.Integer(),
  actor: Type.String(),
  action: Type.String({ description: 'list.import, list.put or list.delete' }),
  changes: Type.Integer({ description: 'entries written or deleted' }),
});
/** One written list version. */
export type ListVersionView = Type.Static<typeof ListVersionSchema>;

/** Answer of `GET /lists/{list}/history`: newest first. */
export const ListHistorySchema = Type.Object({ versions: Type.Array(ListVersionSchema) });
/** Answer of `GET /lists/{list}/history`. */
export type ListHistory = Type.Static<typeof ListHistorySchema>;

// --- GET /lists ------------------------------------------------------------------------------

/** One list's version counter, the oldest version a delta still answers, and its size. */
export const ListStateSchema = Type.Object({
  list: Type.String(),
  version: Type.Integer(),
  changesFrom: Type.Integer(),
  count: Type.Integer(),
});
/** One list's state. */
export type ListStateView = Type.Static<typeof ListStateSchema>;

/** Answer of `GET /lists`. */
export const ListStatesSchema = Type.Object({ lists: Type.Array(ListStateSchema) });
/** Answer of `GET /lists`. */
export type ListStates = Type.Static<typeof ListStatesSchema>;

// --- /lists/{health|whitelist}/entries/{subject} ---------------------------------------------

/** Path parameters of a single-entry route: the ID, passport number or plate as written. */
export const ListSubjectParamsSchema = Type.Object({ subject: Type.String({ minLength: 1, maxLength: 64 }) });
/** Path parameters of a single-entry route. */
export type ListSubjectParams = Type.Static<typeof ListSubjectParamsSchema>;

/** A date as an admin writes it. */
const DateText = Type.Union([Type.String({ maxLength: 40 }), Type.Null()], {
  description: 'ISO 8601 or dd/mm/yyyy; a date alone covers the whole day in Vietnam time (UTC+7)',
});

/** Body of `PUT /lists/health/entries/{subject}`. */
export const HealthEntryInputSchema = Type.Object({
  status: HealthStatus,
  since: Type.Optional(DateText),
  until: Type.Optional(DateText),
  name: Type.Optional(SafeText({ maxLength: 200 })),
  note: Type.Optional(SafeMultilineText({ maxLength: 500 })),
});
/** Body of `PUT /lists/health/entries/{subject}`. */
export type HealthEntryInput = Type.Static<typeof HealthEntryInputSchema>;

/** Body of `PUT /lists/whitelist/entries/{subject}`. */
export const WhitelistEntryInputSchema = Type.Object({
  category: WhitelistCategory,
  validFrom: Type.Optional(DateText),
  validUntil: Type.Optional(DateText),
  checkpoints: Type.Optional(
    Type.Union([Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 }), Type.Null()]),
  ),
  name: Type.Optional(SafeText({ maxLength: 200 })),
  note: Type.Optional(SafeMultilineText({ maxLength: 500 })),
});
/** Body of `PUT /lists/whitelist/entries/{subject}`. */
export type WhitelistEntryInput = Type.Static<typeof WhitelistEntryInputSchema>;

/**
 * Answer of `GET /lists/{list}/entries/{subject}`: a stored entry with what only the server
 * keeps. Health entries carry status/since/until, whitelist entries category/validFrom/
 * validUntil/checkpoints (null: valid everywhere).
 */
export const ListEntrySchema = Type.Object({
  list: Type.String(),
  subject: Type.String(),
  key: Type.String(),
  version: Type.Integer(),
  updatedAt: Type.Integer(),
  name: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  // The entry's list fields, as a change carries them to lanes (one definition).
  ...WireEntry.properties,
});
/** A stored list entry as the admin API answers it. */
export type ListEntryView = Type.Static<typeof ListEntrySchema>;

/** Answer of a single-entry put or delete: the list version it made and the entry's keyed hash. */
export const ListEntryWriteSchema = Type.Object({
  list: Type.String(),
  version: Type.Integer(),
  key: Type.String(),
});
/** Answer of a single-entry put or delete. */
export type ListEntryWrite = Type.Static<typeof ListEntryWriteSchema>;
