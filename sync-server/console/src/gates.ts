// Pure logic of the unattended gates page (issue 17): which lanes it shows, how a live `gate`
// event or a lane's online change updates them, which alerts are gate alerts of a checkpoint.
import type { AdminEventData } from '@checkpoint-lane/shared';
import type { Alert, Kiosk } from './types.js';

/** The gate alert kinds. */
export const GATE_ALERT_KINDS = ['gate_fault', 'gate_red'] as const;

/** Whether an alert is a gate alert. */
export function isGateAlert(a: Pick<Alert, 'kind'>): boolean {
  return a.kind === 'gate_fault' || a.kind === 'gate_red';
}

/**
 * The lanes the page shows for a checkpoint: not revoked, reporting an unattended gate; faults
 * first, then by name.
 */
export function unattendedLanes(kiosks: readonly Kiosk[], checkpointId: string): Kiosk[] {
  return kiosks
    .filter((k) => k.checkpointId === checkpointId && k.revokedAt === null && k.gate?.unattended === true)
    .sort(
      (a, b) =>
        (b.gate?.faults.length ?? 0) - (a.gate?.faults.length ?? 0) ||
        a.name.localeCompare(b.name, 'vi') ||
        a.id.localeCompare(b.id),
    );
}

/** The fleet after a `gate` event: that lane's report (absent when null) and heartbeat time. */
export function applyGateEvent(kiosks: readonly Kiosk[], e: AdminEventData<'gate'>): Kiosk[] {
  return kiosks.map((k) => {
    if (k.id !== e.kioskId) return k;
    const { gate: _old, ...rest } = k;
    return e.gate === null
      ? { ...rest, lastHeartbeatAt: e.at }
      : { ...rest, gate: e.gate, lastHeartbeatAt: e.at };
  });
}

/** The fleet after a `kiosk-status` event. */
export function applyLaneStatus(kiosks: readonly Kiosk[], e: AdminEventData<'kiosk-status'>): Kiosk[] {
  return kiosks.map((k) => (k.id === e.kioskId ? { ...k, online: e.online } : k));
}

/** Whether a value looks like a `gate` event's data (the stream is the server's; still checked). */
export function isGateEvent(v: unknown): v is AdminEventData<'gate'> {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return (
    typeof e.kioskId === 'string' &&
    typeof e.at === 'number' &&
    (e.gate === null ||
      (typeof e.gate === 'object' && Array.isArray((e.gate as { faults?: unknown }).faults)))
  );
}

/** Unacknowledged alerts per lane. */
export function openAlertsByLane(alerts: readonly Alert[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of alerts)
    if (a.ackedAt === null || a.ackedAt === undefined) out.set(a.kioskId, (out.get(a.kioskId) ?? 0) + 1);
  return out;
}
