// checkpoint-admin `enroll`, `kiosks` and `revoke`: a lane's enrollment code, the fleet, and
// taking a lane's token away. "kiosk" is the word of the commands and the HTTP paths (the
// published contract); in code the word is "lane".
import type { EnrollmentAnswer, LanesAnswer } from '@checkpoint-lane/shared';
import { isoOrDash, show, table, UsageError, wholeNumber, type AdminContext } from './admin-io.js';

/** The flags the lane commands read. */
export const LANE_OPTIONS = {
  ttl: { type: 'string' },
} as const;

/** Values of `LANE_OPTIONS`. */
export interface LaneFlags {
  readonly ttl?: string | undefined;
}

/** `enroll CHECKPOINT [--ttl SEC]`, `kiosks` and `revoke KIOSK_ID`. */
export async function runLanes(ctx: AdminContext, words: readonly string[], v: LaneFlags): Promise<number> {
  const [cmd, sub] = words;
  if (cmd === 'enroll' && sub !== undefined) {
    const ttl = wholeNumber('ttl', v.ttl);
    const res = await ctx.http.post('/api/v1/admin/enrollments', {
      checkpointId: sub,
      ...(ttl !== undefined && { ttlSec: ttl }),
    });
    return show(
      ctx,
      res,
      (b: EnrollmentAnswer) => `enrollment code for ${sub}: ${b.code} (one use, expires ${b.expiresAt})`,
    );
  }
  if (cmd === 'kiosks') {
    return show(ctx, await ctx.http.get('/api/v1/admin/kiosks'), (b: LanesAnswer) =>
      table(
        b.kiosks.map((k) => ({
          ...k,
          lastHeartbeatAt: isoOrDash(k.lastHeartbeatAt),
          lists: JSON.stringify(k.listVersions),
          revoked: k.revokedAt === null ? '' : 'revoked',
          // Issue 17: a lane's gate, e.g. `unattended fault relay_lost` (blank: no gate report).
          gate:
            k.gate === undefined
              ? ''
              : [k.gate.unattended ? 'unattended' : 'attended', k.gate.state, ...k.gate.faults].join(' '),
        })),
        ['id', 'name', 'checkpointId', 'online', 'lastHeartbeatAt', 'lists', 'backlog', 'revoked', 'gate'],
      ),
    );
  }
  if (cmd === 'revoke' && sub !== undefined) {
    return show(
      ctx,
      await ctx.http.post(`/api/v1/admin/kiosks/${encodeURIComponent(sub)}/revoke`, {}),
      () => `kiosk ${sub} revoked`,
    );
  }
  throw new UsageError(`unknown command: ${words.join(' ')}`);
}
