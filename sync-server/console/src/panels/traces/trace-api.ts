// The trace page's calls and a loader that refreshes itself while a trace runs (every 1.5 s, as a
// background request that does not keep an idle session alive), without flashing "Loading…".
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, errorText } from '../../api.js';
import type { TracePromoted, TraceRequest } from '../../types.js';

/** How often a running trace is asked for its progress. */
export const POLL_MS = 1500;

export const TRACES = '/api/v1/admin/traces';

/** The path of one trace (its id encoded). */
export function tracePath(id: string): string {
  return `${TRACES}/${encodeURIComponent(id)}`;
}

/** Starts a trace; resolves with its id. */
export async function startTrace(body: TraceRequest): Promise<string> {
  return (await api<{ id: string }>('POST', TRACES, body)).id;
}

/** Promotes contacts into the health list; resolves with the new list version and the counts. */
export function promote(
  id: string,
  body: { subjects: string[]; status: 'F1' | 'F2'; until?: string },
): Promise<TracePromoted> {
  return api<TracePromoted>('POST', `${tracePath(id)}/promote`, body);
}

/** A polled load: data, error, a first-load flag and a reload. */
export interface Polled<T> {
  data: T | null;
  error: string | null;
  /** Nothing loaded yet (no data, no error). */
  loading: boolean;
  /** The last answer was a 404. */
  missing: boolean;
  reload: () => void;
}

/**
 * Loads now, whenever `deps` change or `reload` is called, and again every `POLL_MS` while
 * `keepPolling(data)` says so. A refresh keeps the data shown; an older answer never overwrites a
 * newer one.
 */
export function usePolled<T>(
  load: (background: boolean) => Promise<T>,
  deps: readonly unknown[],
  keepPolling: (data: T) => boolean,
): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const reload = useCallback(() => {
    setTick((n) => n + 1);
  }, []);
  useEffect(() => {
    const mine = ++seq.current;
    if (timer.current !== null) clearTimeout(timer.current);
    load(tick > 0).then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(null);
        setMissing(false);
        if (keepPolling(d)) timer.current = setTimeout(reload, POLL_MS);
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        setMissing(typeof e === 'object' && e !== null && 'status' in e && e.status === 404);
        setError(errorText(e));
      },
    );
  }, [...deps, tick]);
  useEffect(
    () => () => {
      seq.current++;
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  return { data, error, loading: data === null && error === null, missing, reload };
}
