// What a lane reports of the list data it refused (signed lists, issue 13), in words.
import type { ListRefusalReason, ListRefusalReport } from '@checkpoint-lane/shared';
import { t, type TextKey } from './i18n.js';

/** The text key naming a refusal reason. */
export function refusalReasonKey(reason: ListRefusalReason): TextKey {
  return `refusal_${reason}`;
}

/** One line for the lanes panel: how many times the lane refused list data, and the last reason. */
export function refusalText(report: ListRefusalReport): string {
  const list = report.lastList === undefined ? '' : ` (${report.lastList})`;
  return t('listRefused', { n: report.count, reason: `${t(refusalReasonKey(report.lastReason))}${list}` });
}
