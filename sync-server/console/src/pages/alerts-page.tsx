// Alerts: the server's alert list merged with the live event stream; unacknowledged ones are
// highlighted with an Acknowledge button. Only a subject key hash prefix is ever shown.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ALERT_PAGE, alertsPath, isUnacked, mergeAlerts, oldestId } from '../alerts.js';
import { api, errorText } from '../api.js';
import { DataTable, Pager } from '../components/data.js';
import { Check } from '../components/forms.js';
import { formatTime, shortHash } from '../format.js';
import { t } from '../i18n.js';
import { subscribe, subscribeState } from '../live.js';
import type { Alert, Kiosk } from '../types.js';
import { healthStatusText } from '../codes.js';
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
          columns={[
            t('time'),
            t('checkpoint'),
            t('lane'),
            t('status'),
            t('raisedBy'),
            t('subjectHash'),
            t('state'),
          ]}
          empty={
            !loading &&
            error === null &&
            shown.length === 0 &&
            (onlyUnacked ? t('noUnackedAlerts') : t('noAlerts'))
          }
        >
          {shown.map((a) => {
            const acked = a.ackedAt !== null && a.ackedAt !== undefined;
            return (
              <tr
                key={a.id}
                class={acked ? 'alert-acked' : 'alert-new'}
                data-testid="alert-row"
                data-alert-id={a.id}
                data-acked={acked ? 'true' : 'false'}
              >
                <td class="nowrap">{formatTime(a.at, app.lang)}</td>
                <td>
                  <code>{a.checkpointId}</code>
                </td>
                <td class="nowrap">{lanes.get(a.kioskId) ?? a.kioskId}</td>
                <td class="nowrap">
                  <strong>
                    <CodeLabel value={healthStatusText(a.status, app.lang)} />
                  </strong>
                </td>
                <td class="nowrap">{a.raisedBy === 'lane' ? t('raisedByLane') : t('raisedByServer')}</td>
                <td>
                  <code>{shortHash(a.subjectKey)}</code>
                </td>
                <td>
                  {acked ? (
                    <span class="muted" data-testid="alert-acked">
                      {t('acknowledged', { who: a.ackedBy ?? '', time: formatTime(a.ackedAt, app.lang) })}
                    </span>
                  ) : app.isAdmin ? (
                    <button
                      type="button"
                      class="small primary"
                      data-testid="alert-ack"
                      onClick={() => void ack(a)}
                    >
                      {t('acknowledge')}
                    </button>
                  ) : (
                    <span class="badge-text">{t('unacked')}</span>
                  )}
                </td>
              </tr>
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
