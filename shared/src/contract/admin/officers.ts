// The admin API's central officer roster (`/api/v1/admin/officers`): what each route takes and
// answers. Schema and type come from one TypeBox definition. PINs travel only in a request body,
// never in an answer.
import Type from 'typebox';
import { CheckpointId } from '../../schemas/checkpoint-schemas.js';
import { OFFICER_ROLES } from '../../vocabulary.js';
import { literalUnion } from '../literal-union.js';
import { SafeText } from '../safe-text.js';
import { STAFF_CARD_MAX_DAYS } from '../../staff-cards/staff-card.js';

/** The most digits an officer PIN has. */
export const OFFICER_PIN_MAX_DIGITS = 8;
/** The lowest minimum a server may set for new PINs (what every lane's PIN pad takes). */
export const OFFICER_PIN_MIN_DIGITS_FLOOR = 4;
/** The minimum digits of a new or changed PIN unless the server sets another (4..8). */
export const DEFAULT_OFFICER_PIN_MIN_DIGITS = 6;

/**
 * A PIN as the body takes it: digits only, at most 8. Fewer digits than the server's minimum
 * (`pinRule.minDigits`) is refused with `400 pin_too_short`.
 */
export const OFFICER_PIN_PATTERN = '^[0-9]{1,8}$';

/** The PIN rule new and changed PINs follow here; existing shorter PINs keep working until changed. */
export const OfficerPinRuleSchema = Type.Object({
  minDigits: Type.Integer({ minimum: OFFICER_PIN_MIN_DIGITS_FLOOR, maximum: OFFICER_PIN_MAX_DIGITS }),
  maxDigits: Type.Integer({ minimum: OFFICER_PIN_MIN_DIGITS_FLOOR, maximum: OFFICER_PIN_MAX_DIGITS }),
});
/** The PIN rule for new and changed PINs. */
export type OfficerPinRule = Type.Static<typeof OfficerPinRuleSchema>;

/** An officer id: what the lane records as `officerId` on overrides. */
export const OfficerId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });

/** An officer's role: supervisors may also let a health-blocked red through. */
export const OfficerRoleSchema = literalUnion(OFFICER_ROLES);
/** An officer's role. */
export type OfficerRole = Type.Static<typeof OfficerRoleSchema>;

/** An officer as admins see it (never the PIN or its hash). */
export const OfficerViewSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: OfficerRoleSchema,
  checkpoints: Type.Union([Type.Array(Type.String()), Type.Null()]),
  disabled: Type.Boolean(),
  updatedAt: Type.Integer({ description: 'epoch ms' }),
});
/** An officer as admins see it. */
export type OfficerView = Type.Static<typeof OfficerViewSchema>;

/** `GET /officers`: the roster, its version and the rule a new or changed PIN must follow. */
export const OfficerListSchema = Type.Object({
  version: Type.Integer(),
  officers: Type.Array(OfficerViewSchema),
  pinRule: OfficerPinRuleSchema,
});
/** `GET /officers` answer. */
export type OfficerList = Type.Static<typeof OfficerListSchema>;

/** The answer of every officer change: the officer and the roster version after it. */
export const OfficerAnswerSchema = Type.Object({
  version: Type.Integer({ description: 'the roster version after the change' }),
  officer: OfficerViewSchema,
});
/** The answer of an officer change. */
export type OfficerAnswer = Type.Static<typeof OfficerAnswerSchema>;

/** `/officers/{id}…` path parameters. */
export const OfficerParamsSchema = Type.Object({ id: OfficerId });
/** `/officers/{id}…` path parameters. */
export type OfficerParams = Type.Static<typeof OfficerParamsSchema>;

/** `PUT /officers/{id}` body: create (needs `pin`) or update (no `pin` keeps the old one). */
export const OfficerPutBodySchema = Type.Object({
  name: SafeText({ minLength: 1, maxLength: 200 }),
  role: OfficerRoleSchema,
  checkpoints: Type.Optional(
    Type.Union([Type.Array(CheckpointId, { minItems: 1, maxItems: 500 }), Type.Null()], {
      description: 'checkpoint ids the officer serves; null: every checkpoint',
    }),
  ),
  pin: Type.Optional(
    Type.String({
      pattern: OFFICER_PIN_PATTERN,
      description:
        "digits; at least the server's minimum (GET /officers pinRule.minDigits, default 6; 400 pin_too_short) and at most 8",
    }),
  ),
});
/** `PUT /officers/{id}` body. */
export type OfficerPutBody = Type.Static<typeof OfficerPutBodySchema>;

/** Days a staff card is valid unless asked otherwise. */
export const STAFF_CARD_DEFAULT_DAYS = 30;

/**
 * `POST /officers/{id}/staff-card` body: a staff card for one checkpoint (the officer must serve
 * there), valid `days` (default 30, at most `STAFF_CARD_MAX_DAYS`, 90).
 */
export const StaffCardRequestSchema = Type.Object(
  {
    checkpointId: CheckpointId,
    days: Type.Optional(Type.Integer({ minimum: 1, maximum: STAFF_CARD_MAX_DAYS })),
  },
  { additionalProperties: false },
);
/** `POST /officers/{id}/staff-card` body. */
export type StaffCardRequest = Type.Static<typeof StaffCardRequestSchema>;

/**
 * `POST /officers/{id}/staff-card` answer: the card's text (`CLSC1:…`, what its QR holds), its
 * random id and expiry (epoch ms).
 */
export const StaffCardAnswerSchema = Type.Object({
  text: Type.String({
    description: 'CLSC1 text form (shared/src/staff-cards/staff-card.ts); the QR holds it',
  }),
  cardId: Type.String(),
  officerId: Type.String(),
  checkpointId: Type.String(),
  issuedAt: Type.Integer({ description: 'epoch ms' }),
  expiresAt: Type.Integer({ description: 'epoch ms' }),
  keyId: Type.String({ description: 'the list-signing key that signed it' }),
});
/** `POST /officers/{id}/staff-card` answer. */
export type StaffCardAnswer = Type.Static<typeof StaffCardAnswerSchema>;
