// The fleet of lanes: live online state, last heartbeat, each list's version and lag behind the
// server, list data the lane refused (a bad signature …), upload backlog, devices, its gate (issue 17), clock skew, and (admins) revoke. Refreshed every 10 s and on
// fleet events.
import { useEffect } from 'preact/hooks';
import { api } from '../../api.js';
import { DataTable } from '../../components/data.js';
import { useAction } from '../../components/forms.js';
import { formatSkew, formatTime, listLag, relativeTime } from '../../format.js';
import { t } from '../../i18n.js';
import { refusalText } from '../../list-refusals.js';
import { subscribe } from '../../live.js';
import type { Kiosk, ListState } from '../../types.js';
import { GateSummary } from '../gates/gate-bits.js';
import { ConfirmButton, ErrorBox, Loading, Section, useApp, useLoad, useNow } from '../../ui.js';

/** Whether a lane device's status reads as working. */
export function deviceOk(status: string): boolean {
  return ['ok', 'connected', 'ready', 'running', 'open', 'online'].includes(status.toLowerCase());
}

/** A lane's list version, and how far it lags behind the server's. */
function LagCell(props: { server: number | undefined; lane: number | null }) {
  const lag = listLag(props.server, props.lane);
  return (
    <span>
      {props.lane ?? '—'}
      {lag !== null && (
        <span class={lag > 0 ? 'lag behind' : 'lag'} data-testid="lane-lag">
          {' '}
          ({lag > 0 ? t('lag', { n: lag }) : t('upToDate')})
        </span>
      )}
    </span>
  );
}

/** The lanes panel. */
export function LanesPanel() {
  const app = useApp();
  const now = useNow(5000);
  // Refreshed every 10 s and on fleet events: background requests, so an unattended page
  // still signs out after the idle time.
  const kiosks = useLoad(
    () => api<{ kiosks: Kiosk[] }>('GET', '/api/v1/admin/kiosks', undefined, { background: true }),
    [],
  );
  const lists = useLoad(
    () => api<{ lists: ListState[] }>('GET', '/api/v1/admin/lists', undefined, { background: true }),
    [],
  );
  const act = useAction();
  useEffect(
    () =>
      subscribe((e) => {
        if (e.name === 'kiosk-status' || e.name === 'gate') kiosks.reload();
        if (e.name === 'list-version') lists.reload();
      }),
    [],
  );
  // Heartbeats move even without a status change: refresh every 10 s.
  useEffect(() => {
    const id = setInterval(() => {
      kiosks.reload();
    }, 10_000);
    return () => {
      clearInterval(id);
    };
  }, []);
  const server = (l: 'health' | 'whitelist'): number | undefined =>
    lists.data?.lists.find((x) => x.list === l)?.version;
  const revoke = (k: Kiosk): Promise<boolean> =>
    act.run(async () => {
      await api('POST', `/api/v1/admin/kiosks/${encodeURIComponent(k.id)}/revoke`);
      kiosks.reload();
    });
  return (
    <Section
      title={t('lanes')}
      testid="lanes-panel"
      actions={
        <button type="button" class="small" onClick={kiosks.reload}>
          {t('refresh')}
        </button>
      }
    >
      <ErrorBox error={kiosks.error} onRetry={kiosks.reload} />
      <ErrorBox error={act.error} testid="lane-error" />
      <Loading show={kiosks.loading && !kiosks.data} />
      <DataTable
        columns={[
          t('laneName'),
          t('checkpoint'),
          t('state'),
          t('lastHeartbeat'),
          t('listHealth'),
          t('listWhitelist'),
          t('backlog'),
          t('devices'),
          t('gateColumn'),
          t('clockSkew'),
          app.isAdmin && t('action'),
        ]}
        empty={kiosks.data && kiosks.data.kiosks.length === 0 && t('none')}
      >
        {(kiosks.data?.kiosks ?? []).map((k) => {
          const state = k.revokedAt !== null ? 'revoked' : k.online ? 'online' : 'offline';
          return (
            <tr
              key={k.id}
              data-testid="lane-row"
              data-kiosk={k.id}
              data-lane-name={k.name}
              class={`lane-${state}`}
            >
              <td class="nowrap">{k.name}</td>
              <td>
                <code>{k.checkpointId}</code>
              </td>
              <td>
                <span class={`status status-${state}`} data-testid="lane-status" data-state={state}>
                  {t(state)}
                </span>
              </td>
              <td class="nowrap" title={formatTime(k.lastHeartbeatAt, app.lang)}>
                {k.lastHeartbeatAt === null ? t('never') : relativeTime(k.lastHeartbeatAt, now, app.lang)}
              </td>
              <td class="nowrap">
                <LagCell server={server('health')} lane={k.listVersions.health} />
                {k.listRefusals !== undefined && (
                  <div
                    class="refusal"
                    data-testid="lane-refusals"
                    title={formatTime(k.listRefusals.lastAt, app.lang)}
                  >
                    {refusalText(k.listRefusals)}
                  </div>
                )}
              </td>
              <td class="nowrap">
                <LagCell server={server('whitelist')} lane={k.listVersions.whitelist} />
              </td>
              <td class="num" data-testid="lane-backlog">
                {k.backlog ?? '—'}
              </td>
              <td>
                <ul class="devices">
                  {k.devices.map((d) => (
                    <li key={`${d.kind}:${d.name}`} data-testid="lane-device">
                      {d.name} {/* An offline lane's last report says nothing about its devices now. */}
                      {state === 'online' ? (
                        <span class={`dev dev-${deviceOk(d.status) ? 'ok' : 'bad'}`}>{d.status}</span>
                      ) : (
                        <span class="dev dev-unknown" title={d.status}>
                          {t('deviceUnknown')}
                        </span>
                      )}
                    </li>
                  ))}
                </ul>
              </td>
              <td>{k.gate ? <GateSummary gate={k.gate} online={state === 'online'} /> : '—'}</td>
              <td class="num">{formatSkew(k.clockSkewMs) || '—'}</td>
              {app.isAdmin && (
                <td>
                  {k.revokedAt === null ? (
                    <ConfirmButton
                      label={t('revoke')}
                      danger
                      testid="lane-revoke"
                      question={t('confirmRevoke', { name: k.name })}
                      onConfirm={() => revoke(k)}
                    />
                  ) : (
                    <span class="muted">{formatTime(k.revokedAt, app.lang)}</span>
                  )}
                </td>
              )}
            </tr>
          );
        })}
      </DataTable>
    </Section>
  );
}
