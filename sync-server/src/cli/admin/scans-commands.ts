// checkpoint-admin `scans` and `alerts`: recorded scans by subject, checkpoint, time or decision,
// and the alerts (never a subject's ID: the masked form only).
import type { AlertRecord, ScanSearchAnswer } from '@checkpoint-lane/shared';
import { show, table, UsageError, wholeNumber, type AdminContext } from './admin-io.js';

/** The flags the scan and alert commands read. */
export const SCAN_OPTIONS = {
  subject: { type: 'string' },
  checkpoint: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  decision: { type: 'string' },
  limit: { type: 'string' },
} as const;

/** Values of `SCAN_OPTIONS`. */
export interface ScanFlags {
  readonly subject?: string | undefined;
  readonly checkpoint?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly decision?: string | undefined;
  readonly limit?: string | undefined;
}

/** An alert as a server may answer it: one older than the alert kinds sends no kind, outcome or issues. */
type AlertRow = Omit<AlertRecord, 'kind' | 'outcome' | 'issues'> &
  Partial<Pick<AlertRecord, 'kind' | 'outcome' | 'issues'>>;

/** `scans [filters]` and `alerts [--limit N]`. */
export async function runScans(ctx: AdminContext, words: readonly string[], v: ScanFlags): Promise<number> {
  if (words[0] === 'scans') {
    const params = Object.fromEntries(
      (['subject', 'checkpoint', 'from', 'to', 'decision', 'limit'] as const)
        .filter((k) => v[k] !== undefined)
        .map((k) => [k, v[k]]),
    );
    return show(ctx, await ctx.http.get('/api/v1/admin/scans', { params }), (b: ScanSearchAnswer) =>
      table(
        b.scans.map((s) => ({ ...s, at: new Date(s.at).toISOString(), reasons: s.reasons.join(' ') })),
        ['at', 'checkpointId', 'kioskId', 'seq', 'decision', 'reasons', 'subjectKey'],
      ),
    );
  }
  if (words[0] === 'alerts') {
    const limit = wholeNumber('limit', v.limit);
    return show(
      ctx,
      await ctx.http.get('/api/v1/admin/alerts', { params: limit === undefined ? {} : { limit } }),
      (b: { alerts: AlertRow[] }) =>
        table(
          b.alerts.map((a) => ({
            ...a,
            at: new Date(a.at).toISOString(),
            kind: a.kind ?? 'health',
            // What happened at the lane, and why an override alert distrusts its record.
            atLane: a.outcome?.state ?? '-',
            issues: Array.isArray(a.issues) ? a.issues.join(' ') : '',
          })),
          ['id', 'at', 'kind', 'checkpointId', 'kioskName', 'status', 'subjectMasked', 'atLane', 'issues'],
        ),
    );
  }
  throw new UsageError(`unknown command: ${words.join(' ')}`);
}
