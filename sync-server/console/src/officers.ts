// Officer roster helpers (pure): PIN and id checks, the PUT body from the form, and the
// texts for the server's refusals. New PINs follow the server's rule (`pinRule` of the roster).
import {
  DEFAULT_OFFICER_PIN_MIN_DIGITS,
  OFFICER_PIN_MAX_DIGITS,
  type OfficerPinRule,
} from '@checkpoint-lane/shared';
import { ApiError, errorText } from './api.js';
import { t, type TextKey } from './i18n.js';
import type { Officer, OfficerRole } from './types.js';

/** An officer id as the server takes it (the `officerId` lanes record). */
export const OFFICER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** The rule until the server's roster has said its own (the server's default). */
export const DEFAULT_PIN_RULE: OfficerPinRule = {
  minDigits: DEFAULT_OFFICER_PIN_MIN_DIGITS,
  maxDigits: OFFICER_PIN_MAX_DIGITS,
};

/** The `{min}` and `{max}` of the PIN texts. */
export const pinRuleVars = (rule: OfficerPinRule): { min: number; max: number } => ({
  min: rule.minDigits,
  max: rule.maxDigits,
});

/** What is wrong with a typed PIN under `rule` (a text key), or null when it may be sent. */
export function pinProblem(pin: string, rule: OfficerPinRule): TextKey | null {
  if (!/^[0-9]+$/.test(pin) || pin.length > rule.maxDigits) return 'officerPinInvalid';
  return pin.length < rule.minDigits ? 'officerPinTooShort' : null;
}

/** The officer form as typed. */
export interface OfficerForm {
  id: string;
  name: string;
  role: OfficerRole;
  /** Every checkpoint (sent as null). */
  all: boolean;
  checkpoints: readonly string[];
  /** '' keeps the current PIN (edit only). */
  pin: string;
}

/** The form for a new officer, or filled from an existing one. */
export function officerForm(o: Officer | null): OfficerForm {
  return {
    id: o?.id ?? '',
    name: o?.name ?? '',
    role: o?.role ?? 'officer',
    all: o === null || o.checkpoints === null,
    checkpoints: o?.checkpoints ?? [],
    pin: '',
  };
}

/** What is wrong with the form before it is sent (a text key), or null when it may go. */
export function officerFormProblem(
  f: OfficerForm,
  isNew: boolean,
  rule: OfficerPinRule = DEFAULT_PIN_RULE,
): TextKey | null {
  if (isNew && !OFFICER_ID_PATTERN.test(f.id.trim())) return 'officerIdInvalid';
  if (f.name.trim() === '') return 'officerNameRequired';
  if (!f.all && f.checkpoints.length === 0) return 'officerCheckpointsRequired';
  if (f.pin === '') return isNew ? 'officerPinRequired' : null;
  return pinProblem(f.pin, rule);
}

/** The `PUT /api/v1/admin/officers/{id}` body: no `pin` keeps the current one. */
export function officerBody(f: OfficerForm): {
  name: string;
  role: OfficerRole;
  checkpoints: string[] | null;
  pin?: string;
} {
  return {
    name: f.name.trim(),
    role: f.role,
    checkpoints: f.all ? null : [...new Set(f.checkpoints)],
    ...(f.pin !== '' && { pin: f.pin }),
  };
}

/** The text for a refusal of an officer change, or null for the generic error text. */
export function officerErrorKey(e: unknown): TextKey | null {
  if (!(e instanceof ApiError)) return null;
  switch (e.code) {
    case 'pin_in_use':
      return 'officerPinInUse';
    case 'pin_required':
      return 'officerPinRequired';
    case 'pin_too_short':
      return 'officerPinTooShort';
    case 'unknown_checkpoint':
      return 'officerUnknownCheckpoint';
    case 'unknown_officer':
      return 'officerUnknown';
    case 'bad_request':
      return e.status === 400 ? 'officerBadRequest' : null;
    default:
      return null;
  }
}

/** Adds or removes a checkpoint in the chosen ones (kept in the order given by `order`). */
export function toggleCheckpoint(
  chosen: readonly string[],
  id: string,
  on: boolean,
  order: readonly string[],
): string[] {
  const set = new Set(chosen);
  if (on) set.add(id);
  else set.delete(id);
  const known = order.filter((c) => set.has(c));
  return [...known, ...[...set].filter((c) => !order.includes(c))];
}

/** A person-readable text for a failed officer change (PIN texts name `rule`'s digits). */
export function officerErrorText(e: unknown, rule: OfficerPinRule = DEFAULT_PIN_RULE): string {
  const key = officerErrorKey(e);
  return key === null ? errorText(e) : t(key, pinRuleVars(rule));
}
