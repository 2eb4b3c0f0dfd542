// checkpoint-admin `checkpoints add|list`: a checkpoint's settings, and the list of checkpoints.
import type { CheckpointList, CheckpointView } from '@checkpoint-lane/shared';
import { show, table, UsageError, wholeNumber, type AdminContext } from './admin-io.js';

/** The flags the checkpoints commands read. */
export const CHECKPOINT_OPTIONS = {
  id: { type: 'string' },
  name: { type: 'string' },
  mode: { type: 'string' },
  'freshness-budget': { type: 'string' },
  blocking: { type: 'string' },
  'repeat-window': { type: 'string' },
  'key-scope': { type: 'string' },
  'vehicle-mode': { type: 'string' },
  location: { type: 'string' },
} as const;

/** Values of `CHECKPOINT_OPTIONS`. */
export interface CheckpointFlags {
  readonly id?: string | undefined;
  readonly name?: string | undefined;
  readonly mode?: string | undefined;
  readonly 'freshness-budget'?: string | undefined;
  readonly blocking?: string | undefined;
  readonly 'repeat-window'?: string | undefined;
  readonly 'key-scope'?: string | undefined;
  readonly 'vehicle-mode'?: string | undefined;
  readonly location?: string | undefined;
}

/** `checkpoints add …` and `checkpoints [list]`. */
export async function runCheckpoints(
  ctx: AdminContext,
  words: readonly string[],
  v: CheckpointFlags,
): Promise<number> {
  const sub = words[1];
  if (sub === 'add') return add(ctx, v);
  if (sub === 'list' || sub === undefined) {
    return show(ctx, await ctx.http.get('/api/v1/admin/checkpoints'), (b: CheckpointList) =>
      table(b.checkpoints, [
        'id',
        'name',
        'mode',
        'freshnessBudgetSec',
        'blockingStatuses',
        'keyScope',
        'vehicleMode',
        'location',
      ]),
    );
  }
  throw new UsageError(`unknown command: ${words.join(' ')}`);
}

async function add(ctx: AdminContext, v: CheckpointFlags): Promise<number> {
  if (v.id === undefined || v.name === undefined || v.mode === undefined) {
    throw new UsageError('checkpoints add needs --id, --name and --mode open|closed');
  }
  const body = {
    id: v.id,
    name: v.name,
    mode: v.mode,
    ...(v['freshness-budget'] !== undefined && {
      freshnessBudgetSec: wholeNumber('freshness-budget', v['freshness-budget']),
    }),
    ...(v['repeat-window'] !== undefined && {
      repeatWindowSec: wholeNumber('repeat-window', v['repeat-window']),
    }),
    ...(v.blocking !== undefined && { blockingStatuses: v.blocking.split(',').map((s) => s.trim()) }),
    ...(v['key-scope'] !== undefined && { keyScope: v['key-scope'] }),
    ...(v['vehicle-mode'] !== undefined && { vehicleMode: onOff('vehicle-mode', v['vehicle-mode']) }),
    ...(v.location !== undefined && { location: parseLocation(v.location) }),
  };
  return show(
    ctx,
    await ctx.http.post('/api/v1/admin/checkpoints', body),
    (b: CheckpointView) =>
      `checkpoint ${b.id} (${b.mode}): freshness ${String(b.freshnessBudgetSec)} s, blocking ${JSON.stringify(b.blockingStatuses)}, key scope ${b.keyScope}` +
      (b.vehicleMode === true ? ', vehicle mode on' : '') +
      (b.location ? `, location ${String(b.location.lat)},${String(b.location.lon)}` : ''),
  );
}

/** `on` or `off` (also true/false, 1/0). */
function onOff(flag: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'on' || v === 'true' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === '0') return false;
  throw new UsageError(`--${flag} takes on or off, not ${JSON.stringify(value)}`);
}

/**
 * `--location LAT,LON` in decimal degrees (latitude -90..90, longitude -180..180), or `none` to
 * remove the checkpoint's location.
 */
export function parseLocation(value: string): { lat: number; lon: number } | null {
  const v = value.trim();
  if (v.toLowerCase() === 'none') return null;
  const m = /^(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)$/.exec(v);
  const lat = m ? Number(m[1]) : NaN;
  const lon = m ? Number(m[2]) : NaN;
  if (!(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)) {
    throw new UsageError(
      `--location takes LAT,LON in degrees (latitude -90..90, longitude -180..180) or none, not ${JSON.stringify(value)}`,
    );
  }
  return { lat, lon };
}
