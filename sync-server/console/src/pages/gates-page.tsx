// Unattended gates ("Cổng tự động", issue 17): a supervisor at a site picks a checkpoint and sees
// its lanes with no officer as big cards (gate state, faults, counts, last report, open alerts)
// and the checkpoint's gate alerts, kept live from the admin stream (`gate`, `kiosk-status`,
// `alert`, `alert-ack`) and refreshed every 30 s besides. Made for a tablet: large type, one
// column when narrow. The checkpoint chosen stays in the address (`#/gates?checkpoint=ID`).
import { useEffect, useRef, useState } from 'preact/hooks';
import { mergeAlerts } from '../alerts.js';
import { api, errorText } from '../api.js';
import { alertKindText } from '../codes.js';
import { formatTime, relativeTime } from '../format.js';
import {
  applyGateEvent,
  applyLaneStatus,
  GATE_ALERT_KINDS,
  isGateAlert,
  isGateEvent,
  openAlertsByLane,
  unattendedLanes,
} from '../gates.js';
import { t } from '../i18n.js';
import { subscribe, subscribeState } from '../live.js';
import { GateAlertLine } from '../panels/alerts/alert-cells.js';
import { GateCounts, GateFaults, GateStateLabel } from '../panels/gates/gate-bits.js';
import type { Alert, Checkpoint, Kiosk } from '../types.js';
import { CodeLabel, ErrorBox, Loading, Section, useApp, useLoad, useNow } from '../ui.js';

const STORAGE_KEY = 'cl.gates.checkpoint';

/** The checkpoint in the address (`#/gates?checkpoint=ID`), else the one chosen last time. */
function chosenCheckpoint(): string {
  const query = location.hash.split('?')[1] ?? '';
  const fromHash = new URLSearchParams(query).get('checkpoint');
  if (fromHash !== null && fromHash !== '') return fromHash;
  try {
    return globalThis.localStorage.getItem(STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

function choose(id: string): void {
  try {
    globalThis.localStorage.setItem(STORAGE_KEY, id);
  } catch {
    // Private mode: the address keeps it.
  }
  history.replaceState(null, '', id === '' ? '#/gates' : `#/gates?checkpoint=${encodeURIComponent(id)}`);
}

/** The unattended gates page. */
export function GatesPage() {
  const app = useApp();
  const now = useNow(5000);
  const [checkpoint, setCheckpoint] = useState(chosenCheckpoint);
  const cps = useLoad(() => api<{ checkpoints: Checkpoint[] }>('GET', '/api/v1/admin/checkpoints'), []);
  const [kiosks, setKiosks] = useState<Kiosk[] | null>(null);
  const [alerts, setAlerts] = useState<Alert[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  // The checkpoint as the live handlers (subscribed once) see it.
  const current = useRef(checkpoint);
  current.current = checkpoint;

  const load = async (background: boolean): Promise<void> => {
    const cp = current.current;
    try {
      const fleet = await api<{ kiosks: Kiosk[] }>('GET', '/api/v1/admin/kiosks', undefined, { background });
      const pages =
        cp === ''
          ? []
          : await Promise.all(
              GATE_ALERT_KINDS.map((kind) =>
                api<{ alerts: Alert[] }>(
                  'GET',
                  `/api/v1/admin/alerts?limit=50&kind=${kind}&checkpoint=${encodeURIComponent(cp)}`,
                  undefined,
                  { background },
                ),
              ),
            );
      if (cp !== current.current) return;
      setKiosks(fleet.kiosks);
      setAlerts((old) =>
        mergeAlerts(
          old.filter((a) => a.checkpointId === cp),
          pages.flatMap((p) => p.alerts),
        ).slice(0, 100),
      );
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  };

  useEffect(() => {
    setAlerts([]);
    void load(false);
  }, [checkpoint]);

  useEffect(() => {
    const offState = subscribeState(setLive);
    const off = subscribe((e) => {
      if (e.name === 'gate' && isGateEvent(e.data)) {
        const data = e.data;
        setKiosks((cur) => {
          if (cur === null) return cur;
          // A lane the page does not know yet (enrolled since): read the fleet again.
          if (!cur.some((k) => k.id === data.kioskId)) void load(true);
          return applyGateEvent(cur, data);
        });
      } else if (e.name === 'kiosk-status') {
        const data = e.data as { kioskId?: unknown; online?: unknown; at?: unknown };
        if (typeof data.kioskId === 'string' && typeof data.online === 'boolean')
          setKiosks((cur) =>
            cur === null
              ? cur
              : applyLaneStatus(cur, {
                  kioskId: data.kioskId as string,
                  online: data.online as boolean,
                  at: 0,
                }),
          );
      } else if (e.name === 'alert') {
        const a = e.data as Alert | null;
        if (a !== null && typeof a.id === 'number' && isGateAlert(a) && a.checkpointId === current.current)
          setAlerts((cur) => mergeAlerts(cur, [a]));
      } else if (e.name === 'alert-ack') {
        const d = e.data as { id?: unknown; ackedAt?: number | null; ackedBy?: string | null } | null;
        if (d !== null && typeof d.id === 'number')
          setAlerts((cur) =>
            cur.map((a) =>
              a.id === d.id ? { ...a, ackedAt: d.ackedAt ?? null, ackedBy: d.ackedBy ?? null } : a,
            ),
          );
      }
    });
    // Heartbeats the stream missed (a reconnect), and relative times: read again every 30 s.
    const id = setInterval(() => {
      void load(true);
    }, 30_000);
    return () => {
      off();
      offState();
      clearInterval(id);
    };
  }, []);

  const ack = async (a: Alert): Promise<void> => {
    try {
      const updated = await api<Alert>('POST', `/api/v1/admin/alerts/${a.id}/ack`, {});
      setAlerts((cur) => mergeAlerts(cur, [updated]));
    } catch (e) {
      setError(errorText(e));
    }
  };

  const lanes = kiosks === null || checkpoint === '' ? [] : unattendedLanes(kiosks, checkpoint);
  const open = openAlertsByLane(alerts);
  const checkpoints = cps.data?.checkpoints ?? [];
  return (
    <div class="page gates-page">
      <h1>{t('navGates')}</h1>
      <p class="muted">{t('gatesIntro')}</p>
      <p class={live ? 'live on' : 'live off'} data-testid="live-state" aria-live="polite">
        <span class="dot" aria-hidden="true" /> {live ? t('liveOn') : t('liveOff')}
      </p>
      <div class="gates-pick">
        <label for="gates-checkpoint">{t('gatesPick')}</label>
        <select
          id="gates-checkpoint"
          data-testid="gates-checkpoint"
          value={checkpoint}
          onChange={(e) => {
            const id = e.currentTarget.value;
            choose(id);
            setCheckpoint(id);
          }}
        >
          <option value="">—</option>
          {checkpoints.map((c) => (
            <option key={c.id} value={c.id}>
              {c.id} — {c.name}
            </option>
          ))}
          {checkpoint !== '' && cps.data && !checkpoints.some((c) => c.id === checkpoint) && (
            <option value={checkpoint}>{checkpoint}</option>
          )}
        </select>
      </div>
      <ErrorBox error={cps.error} onRetry={cps.reload} />
      <ErrorBox error={error} onRetry={() => void load(false)} testid="gates-error" />
      {checkpoint === '' ? (
        <p class="notice" data-testid="gates-pick-hint">
          {t('gatesPickHint')}
        </p>
      ) : (
        <>
          <Loading show={kiosks === null} />
          <Section title={t('gateLanes', { checkpoint })} testid="gates-lanes">
            {kiosks !== null && lanes.length === 0 && (
              <p class="muted" data-testid="gates-none">
                {t('gatesNone')}
              </p>
            )}
            <div class="gate-cards">
              {lanes.map((k) => {
                const g = k.gate;
                if (!g) return null;
                const online = k.online;
                const openAlerts = open.get(k.id) ?? 0;
                return (
                  <article
                    key={k.id}
                    class={`gate-card gate-card-${g.state}${online ? '' : ' gate-card-offline'}`}
                    data-testid="gate-card"
                    data-kiosk={k.id}
                    data-state={g.state}
                    data-online={online}
                  >
                    <header class="gate-card-head">
                      <h3>{k.name}</h3>
                      <GateStateLabel gate={g} stale={!online} large />
                    </header>
                    {!online && (
                      <p class="gate-offline" data-testid="gate-offline">
                        {t('gateLaneOffline')}
                      </p>
                    )}
                    <GateFaults gate={g} />
                    <p class="gate-meta">
                      <span title={formatTime(k.lastHeartbeatAt, app.lang)} data-testid="gate-last">
                        {t('gateLastReport', {
                          time:
                            k.lastHeartbeatAt === null
                              ? t('never')
                              : // A report the stream just brought may be ahead of this page's clock tick.
                                relativeTime(k.lastHeartbeatAt, Math.max(now, k.lastHeartbeatAt), app.lang),
                        })}
                      </span>
                      {' · '}
                      <span>{g.relay === null ? t('gateNoRelay') : t('gateRelay', { relay: g.relay })}</span>
                    </p>
                    <GateCounts gate={g} />
                    {openAlerts > 0 && (
                      <p class="gate-open-alerts" data-testid="gate-open-alerts">
                        {t('gateOpenAlerts', { n: openAlerts })}
                      </p>
                    )}
                  </article>
                );
              })}
            </div>
          </Section>
          <Section title={t('gateAlerts')} testid="gates-alerts">
            {alerts.length === 0 ? (
              <p class="muted" data-testid="gates-no-alerts">
                {t('gateNoAlerts')}
              </p>
            ) : (
              <ul class="gate-alert-list">
                {alerts.map((a) => {
                  const acked = a.ackedAt !== null && a.ackedAt !== undefined;
                  return (
                    <li
                      key={a.id}
                      class={`gate-alert-item kind-${a.kind ?? ''}${acked ? ' alert-acked' : ' alert-new'}`}
                      data-testid="gate-alert"
                      data-alert-id={a.id}
                      data-kind={a.kind}
                      data-acked={acked}
                    >
                      <div class="gate-alert-when">
                        <strong>
                          <CodeLabel value={alertKindText(a.kind, app.lang)} />
                        </strong>
                        <span class="muted">
                          {a.kioskName ?? a.kioskId} · {formatTime(a.at, app.lang)}
                        </span>
                      </div>
                      <GateAlertLine alert={a} />
                      <div class="gate-alert-ack">
                        {acked ? (
                          <span class="muted small-text">
                            {t('acknowledged', {
                              who: a.ackedBy ?? '',
                              time: formatTime(a.ackedAt, app.lang),
                            })}
                          </span>
                        ) : app.isAdmin ? (
                          <button
                            type="button"
                            class="primary"
                            data-testid="gate-alert-ack"
                            onClick={() => void ack(a)}
                          >
                            {t('acknowledge')}
                          </button>
                        ) : (
                          <span class="badge-text">{t('unacked')}</span>
                        )}
                      </div>
                    </li>
                  );
                })}
              </ul>
            )}
          </Section>
        </>
      )}
    </div>
  );
}
