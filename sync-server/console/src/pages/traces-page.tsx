// Tracing (admins only; viewers may neither run nor read traces): `#/traces` starts a trace and
// lists the kept ones; `#/traces?id=ID` shows one (panels/traces/).
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { TraceList } from '../panels/traces/trace-list.js';
import { TraceStart } from '../panels/traces/trace-start.js';
import { TraceView } from '../panels/traces/trace-view.js';
import { ErrorBox, useApp } from '../ui.js';

/** The trace id in `#/traces?id=ID`, or null. */
function traceInHash(): string | null {
  const q = location.hash.split('?')[1];
  const id = q === undefined ? null : new URLSearchParams(q).get('id');
  return id === null || id === '' ? null : id;
}

/** The trace id in the hash, following changes while the page is open. */
function useTraceInHash(): string | null {
  const [id, setId] = useState(traceInHash());
  useEffect(() => {
    const on = (): void => {
      setId(traceInHash());
    };
    addEventListener('hashchange', on);
    return () => {
      removeEventListener('hashchange', on);
    };
  }, []);
  return id;
}

/** The tracing page. */
export function TracesPage() {
  const app = useApp();
  const id = useTraceInHash();
  const [tick, setTick] = useState(0);
  if (!app.isAdmin) return <ErrorBox error={t('errorForbidden')} />;
  if (id !== null) return <TraceView key={id} id={id} />;
  return (
    <div class="page traces">
      <h1>{t('tracesTitle')}</h1>
      <TraceStart
        onStarted={() => {
          setTick((n) => n + 1);
        }}
      />
      <TraceList tick={tick} />
    </div>
  );
}
