// The admin API's contact tracing (`/api/v1/admin/traces…`, issue 15; contract:
// ../shared/design/architecture.md, "Tracing" and the traces row of the HTTP API): what each route
// takes and answers. Schema and type come from one TypeBox definition: the server's routes validate
// and answer with these schemas; the console and the CLI import the types only. Admins only:
// viewers get 403 on every trace route.
import Type from 'typebox';
import { CheckpointId } from '../../schemas/checkpoint-schemas.js';

type Member = Parameters<typeof Type.Union>[0][number];
const Nullable = <T extends Member>(t: T) => Type.Union([t, Type.Null()]);

/** Most index subjects one trace takes (given ones plus the `f0Since` F0s). */
export const TRACE_MAX_SUBJECTS = 10_000;
/** Most subjects one promote takes. */
export const TRACE_PROMOTE_MAX_SUBJECTS = 10_000;
/** Default ± window around an index scan, minutes. */
export const TRACE_DEFAULT_WINDOW_MINUTES = 15;
/** Longest ± window, minutes (one day). */
export const TRACE_MAX_WINDOW_MINUTES = 1_440;
/** Default period when `from` is not given: this many days before `to` (or now). */
export const TRACE_DEFAULT_DAYS = 14;
/** Largest page of contacts `GET /traces/{id}` answers. */
export const TRACE_MAX_PAGE = 1_000;
/** The `error` of a running trace whose server stopped updating it (2 minutes without progress). */
export const TRACE_SERVER_LOST = 'server lost';

/** A time as the trace routes take it: ISO 8601 (date only: that day in Vietnam time) or epoch ms. */
export const TraceTimeText = Type.String({
  minLength: 1,
  maxLength: 40,
  description: 'ISO 8601 date or date-time (no offset: Vietnam time) or epoch ms',
});

/** A subject as an admin types it: 12-digit personal ID, passport number or plate. */
export const TraceSubjectText = Type.String({ minLength: 1, maxLength: 64 });

/** How a contact was found: next to an index scan at a lane, or in the same vehicle. */
export const TraceViaSchema = Type.Union([Type.Literal('lane'), Type.Literal('vehicle')]);
/** How a contact was found. */
export type TraceVia = Type.Static<typeof TraceViaSchema>;

/** 1: contact of an index subject (F1); 2: contact of a hop-1 contact (F2). */
export const TraceHopSchema = Type.Union([Type.Literal(1), Type.Literal(2)]);
/** A contact's hop. */
export type TraceHop = Type.Static<typeof TraceHopSchema>;
/** A hop as requests carry it (an integer 1 or 2: every number a request takes is bounded). */
export const TraceHopInput = Type.Integer({ minimum: 1, maximum: 2 });

export const TraceStatusSchema = Type.Union([
  Type.Literal('running'),
  Type.Literal('done'),
  Type.Literal('failed'),
]);
/** A trace's state. */
export type TraceStatusCode = Type.Static<typeof TraceStatusSchema>;

// --- POST /traces ----------------------------------------------------------------------------

/** `POST /traces` body. */
export const TraceCreateSchema = Type.Object({
  subjects: Type.Array(TraceSubjectText, {
    maxItems: TRACE_MAX_SUBJECTS,
    description: 'index subjects (IDs, passports, plates) as typed or pasted; may be empty with f0Since',
  }),
  from: Type.Optional(TraceTimeText),
  to: Type.Optional(TraceTimeText),
  windowMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: TRACE_MAX_WINDOW_MINUTES })),
  hops: Type.Optional(TraceHopInput),
  f0Since: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'also index every F0 entry of the health list written since this time',
    }),
  ),
});
/** `POST /traces` body. */
export type TraceCreate = Type.Static<typeof TraceCreateSchema>;

/** `POST /traces` answer (202): the trace runs in the background on this server. */
export const TraceCreatedSchema = Type.Object({
  id: Type.String(),
  indexCount: Type.Integer({ description: 'index subjects (given and F0s) the trace started from' }),
});
/** `POST /traces` answer. */
export type TraceCreated = Type.Static<typeof TraceCreatedSchema>;

/**
 * Refusals name the subjects they refuse in `message` (400 `bad_subjects`: not an ID, passport or
 * plate; 400 `not_contacts` on promote: not contacts of the trace), as `#N text` (N: 1-based
 * position in `subjects`), the first 20; every error answer is `{error, message}`.
 */
export const TRACE_NAMED_SUBJECTS = 20;

// --- the trace -------------------------------------------------------------------------------

/** What a trace was asked, as its views show it (no subjects: see the contacts' evidence). */
export const TraceParamsViewSchema = Type.Object({
  from: Type.Integer({ description: 'epoch ms' }),
  to: Type.Integer({ description: 'epoch ms' }),
  windowMinutes: Type.Integer(),
  hops: TraceHopSchema,
  indexCount: Type.Integer(),
});
/** A trace's parameters. */
export type TraceParamsView = Type.Static<typeof TraceParamsViewSchema>;

/** A trace as listed. */
export const TraceSummaryViewSchema = Type.Object({
  id: Type.String(),
  status: TraceStatusSchema,
  progress: Type.Number({ minimum: 0, maximum: 1 }),
  createdAt: Type.Integer(),
  createdBy: Type.String(),
  updatedAt: Type.Integer(),
  finishedAt: Nullable(Type.Integer()),
  error: Nullable(
    Type.String({ description: `why it failed; "${TRACE_SERVER_LOST}" when its server stopped` }),
  ),
  contactCount: Nullable(Type.Integer({ description: 'null while running' })),
  hop2Skipped: Type.Optional(
    Nullable(
      Type.Integer({
        description:
          'hop 2 was asked but not run: hop 1 found more contacts (contactCount, all hop 1) than this limit, the most a 2-hop trace follows (checkpoint-server --trace-hop2-max); null otherwise',
      }),
    ),
  ),
  params: TraceParamsViewSchema,
});
/** A trace as listed. */
export type TraceSummaryView = Type.Static<typeof TraceSummaryViewSchema>;

/** One piece of evidence: the contact's scan and the index (or hop-1) scan it was near. */
export const TraceEvidenceViewSchema = Type.Object({
  checkpointId: Type.String(),
  kioskId: Type.String(),
  at: Type.Integer({ description: "the contact's scan, lane clock, epoch ms" }),
  indexSubject: Nullable(Type.String({ description: 'null when its seal cannot be opened' })),
  indexKey: Type.String({ description: "the index subject's key, 16 hex digits" }),
  indexAt: Type.Integer(),
  vehicleId: Nullable(Type.String({ description: 'the plate scan id, for via "vehicle"' })),
});
/** One piece of evidence. */
export type TraceEvidenceView = Type.Static<typeof TraceEvidenceViewSchema>;

/** A contact: who (opened from its seal for this page only), how, and the evidence. */
export const TraceContactViewSchema = Type.Object({
  subject: Nullable(
    Type.String({ description: 'ID, passport or plate; null when its seal cannot be opened' }),
  ),
  subjectKind: Nullable(
    Type.Union([Type.Literal('personal_id'), Type.Literal('passport'), Type.Literal('plate')]),
  ),
  key: Type.String({ description: "the subject's key, 16 hex digits" }),
  format: Nullable(Type.String()),
  hop: TraceHopSchema,
  via: TraceViaSchema,
  evidence: Type.Array(TraceEvidenceViewSchema, { description: 'earliest first, at most 20' }),
  evidenceCount: Type.Integer({ description: 'evidence found in all' }),
});
/** A contact. */
export type TraceContactView = Type.Static<typeof TraceContactViewSchema>;

/** `GET /traces/{id}` query: a page of contacts and filters. */
export const TraceQuerySchema = Type.Object({
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: TRACE_MAX_PAGE })),
  hop: Type.Optional(TraceHopInput),
  via: Type.Optional(TraceViaSchema),
  checkpointId: Type.Optional(CheckpointId),
});
/** `GET /traces/{id}` query. */
export type TraceQuery = Type.Static<typeof TraceQuerySchema>;

/** `GET /traces/{id}` answer: the trace and one page of its (filtered) contacts. */
export const TraceViewSchema = Type.Object({
  ...TraceSummaryViewSchema.properties,
  total: Type.Integer({ description: 'contacts matching the filters (0 while running)' }),
  offset: Type.Integer(),
  limit: Type.Integer(),
  contacts: Type.Array(TraceContactViewSchema),
});
/** `GET /traces/{id}` answer. */
export type TraceView = Type.Static<typeof TraceViewSchema>;

/** `GET /traces` query. */
export const TraceListQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
});
/** `GET /traces` answer: newest first. */
export const TraceListSchema = Type.Object({ traces: Type.Array(TraceSummaryViewSchema) });
/** `GET /traces` answer. */
export type TraceList = Type.Static<typeof TraceListSchema>;

/** `{id}` path parameter of the trace routes. */
export const TraceIdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * The columns of `GET /traces/{id}/contacts.csv` (one row per evidence piece; filters as for
 * `GET /traces/{id}`), times ISO 8601.
 */
export const TRACE_CSV_COLUMNS = [
  'subject',
  'subject_key',
  'hop',
  'via',
  'checkpoint',
  'lane',
  'at',
  'index_subject',
  'index_at',
  'vehicle_id',
] as const;

// --- POST /traces/{id}/promote ---------------------------------------------------------------

/** `POST /traces/{id}/promote` body: contacts of the trace to write to the health list. */
export const TracePromoteSchema = Type.Object({
  subjects: Type.Array(TraceSubjectText, { minItems: 1, maxItems: TRACE_PROMOTE_MAX_SUBJECTS }),
  status: Type.Union([Type.Literal('F1'), Type.Literal('F2')]),
  until: Type.Optional(Nullable(TraceTimeText)),
});
/** `POST /traces/{id}/promote` body. */
export type TracePromote = Type.Static<typeof TracePromoteSchema>;

/** `POST /traces/{id}/promote` answer: the one new health list version. */
export const TracePromotedSchema = Type.Object({
  version: Type.Integer({ description: 'the health list version written (unchanged if none written)' }),
  promoted: Type.Integer(),
  skipped: Type.Integer({
    description: 'subjects already of that status or a closer one (F0; F1 when F2 is asked): never lowered',
  }),
});
/** `POST /traces/{id}/promote` answer. */
export type TracePromoted = Type.Static<typeof TracePromotedSchema>;
