// Alerts: the server's alert list merged with the live event stream; unacknowledged ones are
// highlighted with an Acknowledge button. Only a subject key hash prefix is ever shown.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { formatTime, shortHash } from '../format.js';
import { t } from '../i18n.js';
import { subscribe, subscribeState } from '../live.js';
import type { Alert, Kiosk } from '../types.js';
import { healthStatusText } from '../codes.js';
import { CodeLabel, ErrorBox, Loading, Section, useApp } from '../ui.js';

/** Merges alerts by id (newer data wins), newest first. */
export function mergeAlerts(current: readonly Alert[], incoming: readonly Alert[]): Alert[] {
  const byId = new Map<number, Alert>();
  for (const a of current) byId.set(a.id, a);
  for (const a of incoming) byId.set(a.id, { ...byId.get(a.id), ...a });
  return [...byId.values()].sort((a, b) => b.at - a.at || b.id - a.id);
}

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
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const [onlyUnacked, setOnlyUnacked] = useState(false);
  const load = async (): Promise<void> => {
    try {
      const r = await api<{ alerts: Alert[] }>('GET', '/api/v1/admin/alerts?limit=200');
      setAlerts((cur) => mergeAlerts(cur, r.alerts));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
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
  const shown = onlyUnacked ? alerts.filter((a) => a.ackedAt === null || a.ackedAt === undefined) : alerts;
  return (
    <div class="page">
      <h1>{t('navAlerts')}</h1>
      <p class={live ? 'live on' : 'live off'} data-testid="live-state" aria-live="polite">
        <span class="dot" aria-hidden="true" /> {live ? t('liveOn') : t('liveOff')}
      </p>
      <Section
        title={t('alerts')}
        actions={
          <span class="check">
            <input
              id="alerts-unacked"
              type="checkbox"
              checked={onlyUnacked}
              onChange={(e) => {
                setOnlyUnacked(e.currentTarget.checked);
              }}
            />
            <label for="alerts-unacked">{t('onlyUnacked')}</label>
          </span>
        }
      >
        <ErrorBox error={error} onRetry={() => void load()} testid="alerts-error" />
        <Loading show={loading} />
        <div class="scroll">
          <table class="table" data-testid="alerts-table">
            <thead>
              <tr>
                <th scope="col">{t('time')}</th>
                <th scope="col">{t('checkpoint')}</th>
                <th scope="col">{t('lane')}</th>
                <th scope="col">{t('status')}</th>
                <th scope="col">{t('raisedBy')}</th>
                <th scope="col">{t('subjectHash')}</th>
                <th scope="col">{t('state')}</th>
              </tr>
            </thead>
            <tbody>
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
              {!loading && shown.length === 0 && (
                <tr>
                  <td colSpan={7} class="muted">
                    {t('none')}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </Section>
    </div>
  );
}
