// The admin console: checks the session, shows the sign-in page or the signed-in shell (top
// bar, navigation, hash-routed pages) and keeps the unacknowledged-alert badge live.
import { AlertBanner } from './alert-banner.js';
import { render } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorText, onUnauthorized, setCsrfToken } from './api.js';
import { formatTime } from './format.js';
import { getLang, loadLang, setLang, t, type Lang, type TextKey } from './i18n.js';
import { startLive, stopLive, subscribe } from './live.js';
import { currentSession, isProvinceScoped, pagesFor } from './session.js';
import { AccountsPage } from './pages/accounts-page.js';
import { AlertsPage } from './pages/alerts-page.js';
import { ArrivalsPage } from './pages/arrivals-page.js';
import { AuditPage } from './pages/audit-page.js';
import { CheckpointsPage } from './pages/checkpoints-page.js';
import { GatesPage } from './pages/gates-page.js';
import { ListsPage } from './pages/lists-page.js';
import { OfficersPage } from './pages/officers-page.js';
import { OverviewPage } from './pages/overview-page.js';
import { PasswordPage } from './pages/password-page.js';
import { ScansPage } from './pages/scans-page.js';
import { TracesPage } from './pages/traces-page.js';
import type { Alert, Session } from './types.js';
import { Ctx, ErrorBoundary, ErrorBox, Loading } from './ui.js';

/** The console's pages, in navigation order. */
export const ROUTES = [
  'overview',
  'lists',
  'checkpoints',
  'officers',
  'alerts',
  'gates',
  'scans',
  'arrivals',
  'traces',
  'audit',
  'accounts',
] as const;
type Route = (typeof ROUTES)[number] | 'password';
const NAV_TEXT: Record<(typeof ROUTES)[number], TextKey> = {
  overview: 'navOverview',
  lists: 'navLists',
  checkpoints: 'navCheckpoints',
  officers: 'navOfficers',
  alerts: 'navAlerts',
  gates: 'navGates',
  scans: 'navScans',
  arrivals: 'navArrivals',
  traces: 'navTraces',
  audit: 'navAudit',
  accounts: 'navAccounts',
};

function readRoute(): Route | null {
  const name = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  if (name === '') return 'overview';
  if (name === 'password') return 'password';
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : null;
}

function useRoute(): Route | null {
  const [route, setRoute] = useState(readRoute());
  useEffect(() => {
    const on = (): void => {
      setRoute(readRoute());
    };
    addEventListener('hashchange', on);
    return () => {
      removeEventListener('hashchange', on);
    };
  }, []);
  return route;
}

function LangToggle(props: { onChange: (l: Lang) => void }) {
  return (
    <button
      type="button"
      class="small lang"
      data-testid="lang-toggle"
      lang={getLang() === 'vi' ? 'en' : 'vi'}
      onClick={() => {
        props.onChange(getLang() === 'vi' ? 'en' : 'vi');
      }}
    >
      {getLang() === 'vi' ? 'EN' : 'VI'} · {t('langToggle')}
    </button>
  );
}

function lockMessage(e: ApiError, lang: Lang): string {
  const body = (e.body ?? {}) as { lockedUntil?: unknown; retryAfterSec?: unknown };
  let until: number | null = null;
  if (typeof body.lockedUntil === 'number') until = body.lockedUntil;
  else if (typeof body.lockedUntil === 'string') until = Date.parse(body.lockedUntil);
  else if (typeof body.retryAfterSec === 'number') until = Date.now() + body.retryAfterSec * 1000;
  else if (/\d{4}-\d{2}-\d{2}T[\d:.]+Z/.test(e.message)) {
    until = Date.parse(/\d{4}-\d{2}-\d{2}T[\d:.]+Z/.exec(e.message)?.[0] ?? '');
  } else {
    const ra = Number(e.headers?.get('retry-after'));
    if (Number.isFinite(ra) && ra > 0) until = Date.now() + ra * 1000;
  }
  return until !== null && !Number.isNaN(until)
    ? t('lockedUntil', { time: formatTime(until, lang) })
    : t('locked');
}

function SignIn(props: {
  onSignedIn: (s: Session) => void;
  notice: string | null;
  lang: Lang;
  onLang: (l: Lang) => void;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await api<Session>('POST', '/api/v1/session', { username, password }, { quiet401: true });
      props.onSignedIn(s);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setError(t('badCredentials'));
      else if (err instanceof ApiError && err.status === 423) setError(lockMessage(err, props.lang));
      else setError(errorText(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="signin-page">
      <div class="signin-lang">
        <LangToggle onChange={props.onLang} />
      </div>
      <form class="signin card" data-testid="login-form" onSubmit={(e) => void submit(e)}>
        <h1>{t('product')}</h1>
        <h2>{t('signInTitle')}</h2>
        {props.notice !== null && <p class="notice">{props.notice}</p>}
        <label for="login-username">{t('username')}</label>
        <input
          id="login-username"
          name="username"
          autocomplete="username"
          required
          value={username}
          onInput={(e) => {
            setUsername(e.currentTarget.value);
          }}
        />
        <label for="login-password">{t('password')}</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => {
            setPassword(e.currentTarget.value);
          }}
        />
        {error !== null && (
          <p class="error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy} data-testid="login-submit">
          {busy ? t('signingIn') : t('signIn')}
        </button>
      </form>
    </div>
  );
}

function Shell(props: { session: Session; lang: Lang; onLang: (l: Lang) => void; onSignOut: () => void }) {
  const asked = useRoute();
  const isAdmin = props.session.account.role === 'admin';
  // An account limited to a province may use only the arrivals page (and its own password): it
  // lands there whatever page was asked for.
  const scoped = isProvinceScoped(props.session.account);
  const route: Route | null = scoped && asked !== 'password' ? 'arrivals' : asked;
  useEffect(() => {
    if (scoped && asked !== 'password' && asked !== 'arrivals') location.replace('#/arrivals');
  }, [scoped, asked]);
  const [unacked, setUnacked] = useState(0);
  const refreshUnacked = useCallback(() => {
    api<{ alerts: Alert[] }>('GET', '/api/v1/admin/alerts?unacked=true&limit=1000').then(
      (r) => {
        setUnacked(r.alerts.filter((a) => a.ackedAt === null || a.ackedAt === undefined).length);
      },
      () => undefined,
    );
  }, []);
  useEffect(() => {
    // The alerts and the event stream are refused to a province-limited account.
    if (scoped) return undefined;
    startLive();
    refreshUnacked();
    const off = subscribe((e) => {
      if (e.name === 'alert' || e.name === 'alert-ack') refreshUnacked();
    });
    return () => {
      off();
      stopLive();
    };
  }, [refreshUnacked, scoped]);
  const signOut = async (): Promise<void> => {
    try {
      await api('DELETE', '/api/v1/session', undefined, { quiet401: true });
    } catch {
      // Signed out locally either way.
    }
    props.onSignOut();
  };
  const acc = props.session.account;
  // Accounts and tracing are for admins only (viewers may neither run nor read traces).
  const visible = pagesFor(acc, ROUTES);
  return (
    <Ctx.Provider value={{ session: props.session, lang: props.lang, isAdmin, unacked, refreshUnacked }}>
      <header class="topbar">
        <a class="brand" href={scoped ? '#/arrivals' : '#/overview'}>
          {t('product')}
        </a>
        <span class="who" data-testid="who">
          {acc.displayName}{' '}
          <span class="role">({acc.role === 'admin' ? t('roleAdmin') : t('roleViewer')})</span>
        </span>
        <a class="button small" href="#/password" data-testid="nav-password">
          {t('changeOwnPassword')}
        </a>
        <LangToggle onChange={props.onLang} />
        <button type="button" class="small" data-testid="signout" onClick={() => void signOut()}>
          {t('signOut')}
        </button>
      </header>
      {!scoped && <AlertBanner />}
      <div class="layout">
        <nav class="nav" aria-label="menu">
          <ul>
            {visible.map((r) => (
              <li key={r}>
                <a
                  href={`#/${r}`}
                  data-testid={`nav-${r}`}
                  class={route === r ? 'active' : ''}
                  aria-current={route === r ? 'page' : undefined}
                >
                  {t(NAV_TEXT[r])}
                  {r === 'alerts' && unacked > 0 && (
                    <span
                      class="badge"
                      data-testid="nav-alerts-badge"
                      title={t('unackedBadge', { n: unacked })}
                    >
                      {unacked}
                    </span>
                  )}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main class="main" data-testid={`page-${route ?? 'unknown'}`}>
          <ErrorBoundary key={route ?? ''}>
            {route === 'overview' && <OverviewPage />}
            {route === 'lists' && <ListsPage />}
            {route === 'checkpoints' && <CheckpointsPage />}
            {route === 'officers' && <OfficersPage />}
            {route === 'alerts' && <AlertsPage />}
            {route === 'gates' && <GatesPage />}
            {route === 'scans' && <ScansPage />}
            {route === 'arrivals' && <ArrivalsPage />}
            {route === 'traces' && (isAdmin ? <TracesPage /> : <ErrorBox error={t('errorForbidden')} />)}
            {route === 'audit' && <AuditPage />}
            {route === 'accounts' && (isAdmin ? <AccountsPage /> : <ErrorBox error={t('errorForbidden')} />)}
            {route === 'password' && <PasswordPage />}
            {route === null && <ErrorBox error={t('notFound')} />}
          </ErrorBoundary>
        </main>
      </div>
    </Ctx.Provider>
  );
}

function App() {
  const [lang, setLangState] = useState<Lang>(loadLang(globalThis.localStorage));
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(true);
  const [checkError, setCheckError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const changeLang = (l: Lang): void => {
    setLang(l, globalThis.localStorage);
    document.documentElement.lang = l;
    setLangState(l);
  };
  const accept = (s: Session): void => {
    setCsrfToken(s.csrfToken);
    setNotice(null);
    setSession(s);
  };
  const check = useCallback(() => {
    setChecking(true);
    setCheckError(null);
    currentSession().then(
      (s) => {
        if (s !== null) accept(s);
        setChecking(false);
      },
      (e: unknown) => {
        setCheckError(errorText(e));
        setChecking(false);
      },
    );
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
    onUnauthorized(() => {
      setCsrfToken('');
      setSession((s) => {
        if (s) setNotice(t('sessionEnded'));
        return null;
      });
    });
    check();
  }, []);
  useEffect(() => {
    document.title = t('product');
  }, [lang]);
  if (checking) return <Loading show />;
  if (checkError !== null) return <ErrorBox error={checkError} onRetry={check} />;
  if (!session) return <SignIn onSignedIn={accept} notice={notice} lang={lang} onLang={changeLang} />;
  return (
    <Shell
      session={session}
      lang={lang}
      onLang={changeLang}
      onSignOut={() => {
        setCsrfToken('');
        setSession(null);
      }}
    />
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
