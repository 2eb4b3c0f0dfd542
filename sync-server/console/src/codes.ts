// Words for the stable codes a scan or an alert carries: decision reasons and warnings (the
// lane's own texts, from the shared package), override reasons and health statuses (the
// console's table). An unknown code reads as itself, so a newer lane never shows a blank.
import {
  REASON_CODES,
  WARNING_CODES,
  describeReason,
  describeWarning,
  type ReasonCode,
  type WarningCode,
} from '@checkpoint-lane/shared';
import { TEXTS, type Lang, type TextKey } from './i18n.js';

/** A code and the words shown for it (the code itself when it is not known). */
export interface CodeText {
  code: string;
  text: string;
  known: boolean;
}

const isReason = (code: string): code is ReasonCode => (REASON_CODES as readonly string[]).includes(code);
const isWarning = (code: string): code is WarningCode => (WARNING_CODES as readonly string[]).includes(code);

function fromTable(prefix: string, code: string, lang: Lang): CodeText {
  const key = `${prefix}${code}`;
  const table: Readonly<Record<string, string>> = TEXTS[lang];
  const text = Object.hasOwn(table, key) ? table[key as TextKey] : undefined;
  return text === undefined ? { code, text: code, known: false } : { code, text, known: true };
}

/** A lane's decision reason in words. */
export function reasonText(code: string, lang: Lang): CodeText {
  return isReason(code)
    ? { code, text: describeReason(code, lang), known: true }
    : { code, text: code, known: false };
}

/** A lane's warning in words. */
export function warningText(code: string, lang: Lang): CodeText {
  return isWarning(code)
    ? { code, text: describeWarning(code, lang), known: true }
    : { code, text: code, known: false };
}

/** An officer's override reason (the codes the lane's touchscreen offers) in words. */
export function overrideReasonText(code: string, lang: Lang): CodeText {
  return fromTable('override.', code, lang);
}

/** A health status (F0, F1, …) with a short explanation, e.g. "F0 · Ca bệnh". */
export function healthStatusText(status: string | null | undefined, lang: Lang): CodeText {
  if (status === null || status === undefined || status === '') return { code: '', text: '—', known: false };
  const c = fromTable('health.', status, lang);
  return c.known ? { ...c, text: `${status} · ${c.text}` } : c;
}

/** Why the server distrusts an override or acknowledgement a lane sent, in words. */
export function issueText(code: string, lang: Lang): CodeText {
  return fromTable('issue.', code, lang);
}

/** An alert's kind (health list, suspicious override, pass replay) in words. */
export function alertKindText(kind: string | undefined, lang: Lang): CodeText {
  return fromTable('alertKind.', kind ?? 'health', lang);
}

/** A gate's state (ready, open, shut, fault) in words. */
export function gateStateText(state: string, lang: Lang): CodeText {
  return fromTable('gateState.', state, lang);
}

/** A gate fault (relay lost, scanner lost, …) in words. */
export function gateFaultText(fault: string, lang: Lang): CodeText {
  return fromTable('gateFault.', fault, lang);
}
