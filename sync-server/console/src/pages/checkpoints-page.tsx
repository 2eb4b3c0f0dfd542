// Checkpoints & lanes: the checkpoints and their settings (create / edit), one-time lane
// enrollment codes (text and QR), and the fleet with live online state, list lag and revoke.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { DataTable } from '../components/data.js';
import { CheckGroup, Field, FormButtons, GridForm, useAction } from '../components/forms.js';
import { formatSkew, formatTime, listLag, relativeTime } from '../format.js';
import { t } from '../i18n.js';
import { subscribe } from '../live.js';
import { QrCode } from '../qr.js';
import { HEALTH_STATUSES, type Checkpoint, type Enrollment, type Kiosk, type ListState } from '../types.js';
import { ConfirmButton, ErrorBox, Loading, Notice, Section, useApp, useLoad, useNow } from '../ui.js';

const EMPTY: Checkpoint = {
  id: '',
  name: '',
  mode: 'open',
  freshnessBudgetSec: 21600,
  blockingStatuses: ['F0', 'F1'],
  repeatWindowSec: 5,
};

/** The checkpoints & lanes page. */
export function CheckpointsPage() {
  const app = useApp();
  const cps = useLoad(() => api<{ checkpoints: Checkpoint[] }>('GET', '/api/v1/admin/checkpoints'), []);
  const [editing, setEditing] = useState<{ value: Checkpoint; isNew: boolean } | null>(null);
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const act = useAction();
  const { setNotice } = act;
  const issue = (id: string): Promise<boolean> =>
    act.run(async () => {
      setEnrollment(await api<Enrollment>('POST', '/api/v1/admin/enrollments', { checkpointId: id }));
    });
  return (
    <div class="page">
      <h1>{t('navCheckpoints')}</h1>
      <Section
        title={t('checkpoints')}
        testid="checkpoints-panel"
        actions={
          app.isAdmin && (
            <button
              type="button"
              class="small"
              data-testid="checkpoint-new"
              onClick={() => {
                setEditing({ value: { ...EMPTY }, isNew: true });
                setNotice(null);
              }}
            >
              {t('newCheckpoint')}
            </button>
          )
        }
      >
        <ErrorBox error={cps.error} onRetry={cps.reload} />
        <ErrorBox error={act.error} testid="checkpoint-error" />
        <Notice text={act.notice} testid="checkpoint-notice" />
        <Loading show={cps.loading && !cps.data} />
        <DataTable
          columns={[
            t('checkpointId'),
            t('checkpointName'),
            t('mode'),
            t('freshness'),
            t('blocking'),
            t('repeatWindow'),
            app.isAdmin && t('action'),
          ]}
        >
          {(cps.data?.checkpoints ?? []).map((c) => (
            <tr key={c.id} data-testid="checkpoint-row" data-checkpoint={c.id}>
              <td>
                <code>{c.id}</code>
              </td>
              <td>{c.name}</td>
              <td class="nowrap">{c.mode === 'open' ? t('modeOpenShort') : t('modeClosedShort')}</td>
              <td class="num">{c.freshnessBudgetSec}</td>
              <td class="nowrap">{c.blockingStatuses.join(', ')}</td>
              <td class="num">{c.repeatWindowSec}</td>
              {app.isAdmin && (
                <td class="actions">
                  <button
                    type="button"
                    class="small"
                    data-testid="checkpoint-edit"
                    onClick={() => {
                      setEditing({ value: { ...c }, isNew: false });
                      setNotice(null);
                    }}
                  >
                    {t('edit')}
                  </button>
                  <button
                    type="button"
                    class="small"
                    data-testid="enroll-issue"
                    onClick={() => void issue(c.id)}
                  >
                    {t('issueCode')}
                  </button>
                </td>
              )}
            </tr>
          ))}
        </DataTable>
        {app.isAdmin && editing && (
          <CheckpointForm
            key={editing.value.id || 'new'}
            initial={editing.value}
            isNew={editing.isNew}
            onDone={(saved) => {
              setEditing(null);
              if (saved) {
                setNotice(t('checkpointSaved', { id: saved.id }));
                cps.reload();
              }
            }}
          />
        )}
        {enrollment && (
          <div class="enroll" data-testid="enroll-panel">
            <h3>{t('enrollTitle', { id: enrollment.checkpointId })}</h3>
            <div class="enroll-body">
              <QrCode text={enrollment.code} label={enrollment.code} />
              <div>
                <p class="enroll-code" data-testid="enroll-code">
                  {enrollment.code}
                </p>
                <p data-testid="enroll-expires">
                  {t('enrollExpires', { time: formatTime(enrollment.expiresAt, app.lang) })}
                </p>
                <button
                  type="button"
                  class="small"
                  onClick={() => {
                    setEnrollment(null);
                  }}
                >
                  {t('close')}
                </button>
              </div>
            </div>
          </div>
        )}
      </Section>
      <LanesPanel />
    </div>
  );
}

function CheckpointForm(props: {
  initial: Checkpoint;
  isNew: boolean;
  onDone: (saved: Checkpoint | null) => void;
}) {
  const [c, setC] = useState<Checkpoint>(props.initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const saved = await api<Checkpoint>('POST', '/api/v1/admin/checkpoints', {
        id: c.id.trim(),
        name: c.name.trim(),
        mode: c.mode,
        freshnessBudgetSec: c.freshnessBudgetSec,
        blockingStatuses: c.blockingStatuses,
        repeatWindowSec: c.repeatWindowSec,
      });
      props.onDone(saved);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const toggle = (s: string, on: boolean): void => {
    setC((x) => ({
      ...x,
      blockingStatuses: on
        ? [...new Set([...x.blockingStatuses, s])]
        : x.blockingStatuses.filter((b) => b !== s),
    }));
  };
  const numberField = (
    id: string,
    label: string,
    min: number,
    max: number,
    key: 'freshnessBudgetSec' | 'repeatWindowSec',
  ) => (
    <Field id={id} label={label}>
      <input
        id={id}
        type="number"
        min={min}
        max={max}
        required
        value={c[key]}
        onInput={(e) => {
          const v = Number(e.currentTarget.value);
          setC((x) => ({ ...x, [key]: v }));
        }}
      />
    </Field>
  );
  return (
    <GridForm testid="checkpoint-form" onSubmit={() => void save()}>
      <h3>{props.isNew ? t('newCheckpoint') : t('editCheckpoint')}</h3>
      <div class="field">
        <label for="cp-id">{t('checkpointId')}</label>
        <input
          id="cp-id"
          required
          maxLength={64}
          readOnly={!props.isNew}
          value={c.id}
          onInput={(e) => {
            const v = e.currentTarget.value;
            setC((x) => ({ ...x, id: v }));
          }}
        />
      </div>
      <div class="field">
        <label for="cp-name">{t('checkpointName')}</label>
        <input
          id="cp-name"
          required
          maxLength={200}
          value={c.name}
          onInput={(e) => {
            const v = e.currentTarget.value;
            setC((x) => ({ ...x, name: v }));
          }}
        />
      </div>
      <div class="field">
        <label for="cp-mode">{t('mode')}</label>
        <select
          id="cp-mode"
          value={c.mode}
          onChange={(e) => {
            const v = e.currentTarget.value === 'closed' ? 'closed' : 'open';
            setC((x) => ({ ...x, mode: v }));
          }}
        >
          <option value="open">{t('modeOpen')}</option>
          <option value="closed">{t('modeClosed')}</option>
        </select>
      </div>
      {numberField('cp-fresh', t('freshness'), 60, 2592000, 'freshnessBudgetSec')}
      {numberField('cp-repeat', t('repeatWindow'), 0, 600, 'repeatWindowSec')}
      <CheckGroup
        legend={t('blocking')}
        items={HEALTH_STATUSES.map((s) => ({
          id: `cp-block-${s}`,
          label: s,
          checked: c.blockingStatuses.includes(s),
          onChange: (on: boolean) => {
            toggle(s, on);
          },
        }))}
      />
      <ErrorBox error={error} testid="checkpoint-form-error" />
      <FormButtons
        busy={busy}
        testid="checkpoint-save"
        onCancel={() => {
          props.onDone(null);
        }}
      />
    </GridForm>
  );
}

/** Whether a lane device's status reads as working. */
export function deviceOk(status: string): boolean {
  return ['ok', 'connected', 'ready', 'running', 'open', 'online'].includes(status.toLowerCase());
}

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

function LanesPanel() {
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
        if (e.name === 'kiosk-status') kiosks.reload();
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
