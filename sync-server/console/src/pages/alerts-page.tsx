// Alerts: the server's alert list merged with the live event stream, repeats of one subject
// grouped ("3 lần trong 1 giờ", newest first). Each row says what kind of alert it is, where and
// when, who (masked; admins may reveal the ID and name, every reveal audited), what happened at
// the lane (acknowledged, overridden by whom, or pending) and links to the scan.
import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ALERT_PAGE, alertsPath, groupAlerts, isUnacked, mergeAlerts, oldestId } from '../alerts.js';
import { api, errorText } from '../api.js';
import { DataTable, Pager } from '../components/data.js';
import { Check } from '../components/forms.js';
import { formatTime } from '../format.js';
import { t } from '../i18n.js';
import { subscribe, subscribeState } from '../live.js';
import { AlertOutcome, AlertWho } from '../panels/alerts/alert-cells.js';
import type { Alert, Kiosk } from '../types.js';
import { alertKindText } from '../codes.js';
import { CodeLabel, ErrorBox, Loading, Section, useApp } from '../ui.js';

function isAlert(v: unknown): v is Alert {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { id?: unknown }).id === 'number' &&
    typeof (v as { at?: unknown }).at === 'number'
  );
}

/** The alerts page. */
export function AlertsPage() {
  const app = useApp();
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [lanes, setLanes] = useState<Map<string, string>>(new Map());
  const [loading, setLoading] = useState(true);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const [onlyUnacked, setOnlyUnacked] = useState(false);
  /** Groups whose earlier repeats are shown (by the newest alert's id). */
  const [expanded, setExpanded] = useState<Set<number>>(new Set());
  /** Whether the server may hold older alerts than the ones shown. */
  const [more, setMore] = useState(false);
  // The filter as the live handlers (subscribed once) see it, and a counter that drops answers
  // to a request made before the filter changed.
  const filter = useRef(false);
  const seq = useRef(0);
  const olderLoaded = useRef(false);
  /** The newest page again (merged, so live rows and older pages stay). */
  const load = async (): Promise<void> => {
    const mine = seq.current;
    try {
      const r = await api<{ alerts: Alert[] }>('GET', alertsPath({ unacked: filter.current }));
      if (mine !== seq.current) return;
      setAlerts((cur) => mergeAlerts(cur, r.alerts));
      if (!olderLoaded.current) setMore(r.alerts.length >= ALERT_PAGE);
      setError(null);
    } catch (e) {
      if (mine === seq.current) setError(errorText(e));
    } finally {
      if (mine === seq.current) setLoading(false);
    }
  };
  const loadOlder = async (): Promise<void> => {
    const before = oldestId(alerts);
    if (before === null) return;
    const mine = seq.current;
    setLoadingOlder(true);
    try {
      const r = await api<{ alerts: Alert[] }>('GET', alertsPath({ unacked: filter.current, before }));
      if (mine !== seq.current) return;
      olderLoaded.current = true;
      setAlerts((cur) => mergeAlerts(cur, r.alerts));
      setMore(r.alerts.length >= ALERT_PAGE);
      setError(null);
    } catch (e) {
      if (mine === seq.current) setError(errorText(e));
    } finally {
      setLoadingOlder(false);
    }
  };
  const changeFilter = (unacked: boolean): void => {
    filter.current = unacked;
    seq.current++;
    olderLoaded.current = false;
    setOnlyUnacked(unacked);
    setAlerts([]);
    setMore(false);
    setLoading(true);
    void load();
  };
  useEffect(() => {
    void load();
    api<{ kiosks: Kiosk[] }>('GET', '/api/v1/admin/kiosks').then(
      (r) => {
        setLanes(new Map(r.kiosks.map((k) => [k.id, k.name])));
      },
      () => undefined,
    );
    const offState = subscribeState(setLive);
    const off = subscribe((e) => {
      if (e.name === 'alert') {
        const a = (e.data as { alert?: unknown } | null)?.alert ?? e.data;
        if (isAlert(a)) setAlerts((cur) => mergeAlerts(cur, [a]));
        else void load();
      } else if (e.name === 'alert-ack') {
        const d = e.data as { id?: unknown; ackedAt?: unknown; ackedBy?: unknown; alert?: unknown } | null;
        const a = d?.alert ?? d;
        if (isAlert(a)) setAlerts((cur) => mergeAlerts(cur, [a]));
        else if (d && typeof d.id === 'number') {
          const id = d.id;
          const ackedAt = typeof d.ackedAt === 'number' ? d.ackedAt : Date.now();
          const ackedBy = typeof d.ackedBy === 'string' ? d.ackedBy : '';
          setAlerts((cur) => cur.map((x) => (x.id === id ? { ...x, ackedAt, ackedBy } : x)));
        } else void load();
      } else if (e.name === 'hello') void load();
    });
    return () => {
      off();
      offState();
    };
  }, []);
  const ack = async (a: Alert): Promise<void> => {
    setError(null);
    try {
      const r = await api<Alert | { alert?: Alert } | undefined>('POST', `/api/v1/admin/alerts/${a.id}/ack`);
      const updated = r && 'alert' in r ? r.alert : r;
      setAlerts((cur) =>
        mergeAlerts(cur, [
          isAlert(updated) ? updated : { ...a, ackedAt: Date.now(), ackedBy: app.session.account.username },
        ]),
      );
      app.refreshUnacked();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const shown = onlyUnacked ? alerts.filter(isUnacked) : alerts;
  const toggle = (id: number): void => {
    setExpanded((cur) => {
      const next = new Set(cur);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  };
  /** One alert's row; `count` > 1 on a group's newest row, 0 on an earlier repeat. */
  const renderRow = (a: Alert, count: number, open: boolean) => {
    const acked = a.ackedAt !== null && a.ackedAt !== undefined;
    const cls = [
      acked ? 'alert-acked' : 'alert-new',
      count === 0 ? 'alert-repeat' : '',
      `kind-${a.kind ?? 'health'}`,
    ]
      .filter((c) => c !== '')
      .join(' ');
    return (
      <tr
        key={a.id}
        class={cls}
        data-testid={count === 0 ? 'alert-repeat-row' : 'alert-row'}
        data-alert-id={a.id}
        data-kind={a.kind ?? 'health'}
        data-acked={acked ? 'true' : 'false'}
      >
        <td class="nowrap">
          {formatTime(a.at, app.lang)}
          {count > 1 && (
            <div class="repeats">
              <strong data-testid="alert-repeats">{t('repeats', { n: count })}</strong>{' '}
              <button
                type="button"
                class="small link"
                data-testid="alert-repeats-toggle"
                aria-expanded={open}
                onClick={() => {
                  toggle(a.id);
                }}
              >
                {open ? t('hideEarlier') : t('showEarlier')}
              </button>
            </div>
          )}
        </td>
        <td class="nowrap">
          <strong class={a.kind === 'override' || a.kind === 'gate_fault' ? 'suspicious' : ''}>
            <CodeLabel value={alertKindText(a.kind, app.lang)} />
          </strong>
          <div class="muted small-text">
            {t('raisedBy')}: {a.raisedBy === 'lane' ? t('raisedByLane') : t('raisedByServer')}
          </div>
        </td>
        <td class="nowrap">
          <code>{a.checkpointId}</code>
          <div>{a.kioskName ?? lanes.get(a.kioskId) ?? a.kioskId}</div>
        </td>
        <td>
          <AlertWho alert={a} />
        </td>
        <td class="overrides">
          <AlertOutcome alert={a} />
          {a.scanId !== null && (
            <a href={`#/scans?scan=${encodeURIComponent(a.scanId)}`} data-testid="alert-scan-link">
              {t('openScan')}
            </a>
          )}
        </td>
        <td>
          {acked ? (
            <span class="muted" data-testid="alert-acked">
              {t('acknowledged', { who: a.ackedBy ?? '', time: formatTime(a.ackedAt, app.lang) })}
            </span>
          ) : app.isAdmin ? (
            <button type="button" class="small primary" data-testid="alert-ack" onClick={() => void ack(a)}>
              {t('acknowledge')}
            </button>
          ) : (
            <span class="badge-text">{t('unacked')}</span>
          )}
        </td>
      </tr>
    );
  };
  return (
    <div class="page">
      <h1>{t('navAlerts')}</h1>
      <p class={live ? 'live on' : 'live off'} data-testid="live-state" aria-live="polite">
        <span class="dot" aria-hidden="true" /> {live ? t('liveOn') : t('liveOff')}
      </p>
      <Section
        title={t('alerts')}
        actions={
          <Check
            item={{
              id: 'alerts-unacked',
              label: t('onlyUnacked'),
              checked: onlyUnacked,
              onChange: changeFilter,
            }}
          />
        }
      >
        <ErrorBox error={error} onRetry={() => void load()} testid="alerts-error" />
        <Loading show={loading} />
        <DataTable
          testid="alerts-table"
          columns={[t('time'), t('alertKind'), t('alertWhere'), t('alertWho'), t('atTheLane'), t('state')]}
          empty={
            !loading &&
            error === null &&
            shown.length === 0 &&
            (onlyUnacked ? t('noUnackedAlerts') : t('noAlerts'))
          }
        >
          {groupAlerts(shown).map((g) => {
            const open = expanded.has(g.latest.id);
            return (
              <Fragment key={g.latest.id}>
                {renderRow(g.latest, g.earlier.length + 1, open)}
                {open && g.earlier.map((a) => renderRow(a, 0, false))}
              </Fragment>
            );
          })}
        </DataTable>
        {(more || loadingOlder) && (
          <Pager
            buttons={[
              {
                label: loadingOlder ? t('loading') : t('olderPage'),
                testid: 'alerts-older',
                disabled: loadingOlder,
                onClick: () => void loadOlder(),
              },
            ]}
          />
        )}
      </Section>
    </div>
  );
}
