// Small shared pieces: the app context, a loader hook, error and loading boxes, decision
// chips, and a button that asks for confirmation in the page (no window.confirm).
import { Component, createContext, Fragment, type ComponentChildren } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './api.js';
import type { CodeText } from './codes.js';
import { t, type Lang } from './i18n.js';
import { DECISIONS, type Session } from './types.js';

/** What every page may read: the session, the language, and whether edits are allowed. */
export interface AppContext {
  session: Session;
  lang: Lang;
  isAdmin: boolean;
  /** Unacknowledged alerts (the nav badge). */
  unacked: number;
  refreshUnacked: () => void;
}

/** The app context (set by the shell once signed in). */
export const Ctx = createContext<AppContext | null>(null);

/** The app context; only used under the signed-in shell. */
export function useApp(): AppContext {
  const c = useContext(Ctx);
  if (!c) throw new Error('no app context');
  return c;
}

/** A loader's state. */
export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` now and whenever `deps` change or `reload` is called; keeps the last data. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const seq = useRef(0);
  useEffect(() => {
    const mine = ++seq.current;
    setLoading(true);
    load().then(
      (d) => {
        if (mine !== seq.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (mine !== seq.current) return;
        setError(errorText(e));
        setLoading(false);
      },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => {
    setTick((n) => n + 1);
  }, []);
  return { data, error, loading, reload };
}

/** A clock that ticks every `ms` (relative times). */
export function useNow(ms = 5000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => {
      setNow(Date.now());
    }, ms);
    return () => {
      clearInterval(id);
    };
  }, [ms]);
  return now;
}

/** An error message near what failed. */
export function ErrorBox(props: { error: string | null; testid?: string; onRetry?: () => void }) {
  if (props.error === null) return null;
  return (
    <div class="error" role="alert" data-testid={props.testid ?? 'error'}>
      <span>{props.error}</span>
      {props.onRetry && (
        <button type="button" class="small" onClick={props.onRetry}>
          {t('retry')}
        </button>
      )}
    </div>
  );
}

/** A success notice. */
export function Notice(props: { text: string | null; testid?: string }) {
  if (props.text === null) return null;
  return (
    <div class="notice" role="status" data-testid={props.testid ?? 'notice'}>
      {props.text}
    </div>
  );
}

/** "Loading…" while a first load runs. */
export function Loading(props: { show: boolean }) {
  return props.show ? (
    <p class="loading" data-testid="loading" aria-live="polite">
      {t('loading')}
    </p>
  ) : null;
}

/** A decision as a coloured chip with its word (never colour alone). */
export function DecisionChip(props: { decision: string }) {
  const d = props.decision;
  const known = DECISIONS.find((x) => x === d);
  const mark = d === 'green' ? '✓' : d === 'red' ? '✕' : '!';
  return (
    <span class={`chip chip-${known ?? 'other'}`} data-testid="decision-chip" data-decision={d}>
      <span aria-hidden="true">{mark}</span> {known ? t(known) : d}
    </span>
  );
}

/** A code shown as its words, the code itself in a tooltip (no tooltip when there are no words for it). */
export function CodeLabel(props: { value: CodeText; class?: string }) {
  const v = props.value;
  return (
    <span class={props.class} title={v.known ? v.code : undefined} data-code={v.code}>
      {v.text}
    </span>
  );
}

/** Several codes as their words, separated by "; ". */
export function CodeList(props: { values: readonly CodeText[]; class?: string }) {
  return (
    <span class={props.class}>
      {props.values.map((v, i) => (
        <Fragment key={`${v.code}-${i}`}>
          {i > 0 && '; '}
          <CodeLabel value={v} />
        </Fragment>
      ))}
    </span>
  );
}

/** A button that turns into "Confirm? Yes / No" in place before it acts. */
export function ConfirmButton(props: {
  label: string;
  question: string;
  onConfirm: () => unknown;
  testid?: string;
  danger?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button
        type="button"
        class={props.danger === true ? 'small danger' : 'small'}
        data-testid={props.testid}
        onClick={() => {
          setAsking(true);
        }}
      >
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={props.question}>
      <span class="confirm-q">{props.question}</span>
      <button
        type="button"
        class="small danger"
        data-testid="confirm-yes"
        onClick={() => {
          setAsking(false);
          void props.onConfirm();
        }}
      >
        {t('confirm')}
      </button>
      <button
        type="button"
        class="small"
        data-testid="confirm-no"
        onClick={() => {
          setAsking(false);
        }}
      >
        {t('cancel')}
      </button>
    </span>
  );
}

/** A titled page section. */
export function Section(props: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
  testid?: string;
}) {
  return (
    <section class="card" data-testid={props.testid}>
      <header class="card-head">
        <h2>{props.title}</h2>
        {props.actions && <div class="card-actions">{props.actions}</div>}
      </header>
      {props.children}
    </section>
  );
}

/** Keeps a page's render error on the page (with its message), never a blank screen. */
export class ErrorBoundary extends Component<{ children: ComponentChildren }, { error: string | null }> {
  override state = { error: null as string | null };

  override componentDidCatch(error: unknown): void {
    this.setState({ error: error instanceof Error ? error.message : String(error) });
  }

  override render() {
    if (this.state.error !== null)
      return <ErrorBox error={`${t('errorPage')} ${this.state.error}`} testid="page-error" />;
    return this.props.children;
  }
}
