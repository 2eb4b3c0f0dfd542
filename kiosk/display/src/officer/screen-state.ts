// What the officer screen knows, in one place: the desk the agent pushed, what the officer has
// opened, the lane's status, and the link to the agent. Views read it; officer.ts updates it.
import type {
  CheckpointConfig,
  Desk,
  DeskItem,
  DeskOfficer,
  DeviceStateView,
  Language,
  LaneSyncView,
} from '@checkpoint-lane/shared';

/** The officer screen's state. */
export const screen = {
  language: ((): Language => (localStorage.getItem('lane-language') === 'en' ? 'en' : 'vi'))(),
  desk: { pending: [], pendingCount: 0, recent: [] } as Desk,
  /** The scan the officer tapped open (queue or strip); null: the most urgent pending one. */
  selected: null as string | null,
  /** The newest scan and when it arrived here (a green shows briefly, never over a pending one). */
  latest: null as { scanId: string; shownAt: number } | null,
  devices: [] as DeviceStateView[],
  /** The lane's officers (names for "who overrode it"); fetched from the agent. */
  officers: [] as DeskOfficer[],
  sync: null as LaneSyncView | null,
  checkpoint: null as CheckpointConfig | null,
  /** The WebSocket to the agent is open. */
  linkUp: false,
  /** When the agent's last event (a tick, at least every second) arrived; 0: never. */
  lastHeard: 0,
  /** Since when the link has been down (for the full-screen state); null while up. */
  downSince: null as number | null,
  /** The officer closed the full-screen stale explanation (it comes back if lists go stale again). */
  staleDismissed: false,
};

/** How long a new green holds the main panel when nothing is pending. */
export const GREEN_HOLD_MS = 4000;

/** A desk item by scan id, pending or recent. */
export function findItem(scanId: string): DeskItem | null {
  return (
    screen.desk.pending.find((i) => i.scanId === scanId) ??
    screen.desk.recent.find((i) => i.scanId === scanId) ??
    null
  );
}

/**
 * The item the main panel shows: the one the officer opened; else the most urgent pending one;
 * else the newest scan for a few seconds after it arrived; else none ("ready").
 */
export function currentItem(now = Date.now()): DeskItem | null {
  if (screen.selected !== null) {
    const found = findItem(screen.selected);
    if (found !== null) return found;
    screen.selected = null;
  }
  const first = screen.desk.pending[0];
  if (first !== undefined) return first;
  const latest = screen.latest;
  if (latest !== null && now - latest.shownAt < GREEN_HOLD_MS) return findItem(latest.scanId);
  return null;
}

/** An officer's name from the lane's roster (their id when the name is not known here). */
export function officerName(id: string): string {
  const found = screen.officers.find((o) => o.id === id);
  return found === undefined || found.name === '' ? id : found.name;
}
