// Officers: the central roster of the people who override a lane's decision with a PIN —
// everyone may look; admins create and edit officers (PINs sent once, never shown), and
// disable or enable them, and issue staff cards (a QR that opens an unattended lane's officer
// panel, issue 17). The roster version is shown; lanes pick changes up within seconds.
// The PIN field and its texts follow the server's rule for new PINs (the roster's `pinRule`).
import { OFFICER_ROLES, type OfficerPinRule } from '@checkpoint-lane/shared';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { DataTable } from '../components/data.js';
import { CheckGroup, Field, FormButtons, GridForm, useAction } from '../components/forms.js';
import { formatTime } from '../format.js';
import { t } from '../i18n.js';
import { subscribe } from '../live.js';
import {
  DEFAULT_PIN_RULE,
  officerBody,
  officerErrorText,
  officerForm,
  officerFormProblem,
  pinRuleVars,
  toggleCheckpoint,
  type OfficerForm,
} from '../officers.js';
import type { Checkpoint, Officer, OfficerRole, OfficerRoster } from '../types.js';
import { ConfirmButton, ErrorBox, Loading, Notice, Section, useApp, useLoad } from '../ui.js';
import { StaffCardPanel } from '../panels/officers/staff-card-panel.js';

/** A change's answer. */
interface OfficerAnswer {
  version: number;
  officer: Officer;
}

const roleText = (r: OfficerRole): string => (r === 'supervisor' ? t('roleSupervisor') : t('roleOfficer'));

/** The officers page. */
export function OfficersPage() {
  const app = useApp();
  const roster = useLoad(() => api<OfficerRoster>('GET', '/api/v1/admin/officers'), []);
  const cps = useLoad(() => api<{ checkpoints: Checkpoint[] }>('GET', '/api/v1/admin/checkpoints'), []);
  const act = useAction(officerErrorText);
  const [editing, setEditing] = useState<{ officer: Officer | null } | null>(null);
  const [carding, setCarding] = useState<Officer | null>(null);
  useEffect(
    () =>
      subscribe((e) => {
        if (e.name === 'officers') roster.reload();
      }),
    [],
  );
  const setDisabled = (o: Officer, disable: boolean): Promise<boolean> =>
    act.run(async () => {
      const r = await api<OfficerAnswer>(
        'POST',
        `/api/v1/admin/officers/${encodeURIComponent(o.id)}/${disable ? 'disable' : 'enable'}`,
      );
      act.setNotice(
        t(disable ? 'officerDisabledNotice' : 'officerEnabledNotice', { id: o.id, version: r.version }),
      );
      roster.reload();
    }, true);
  const officers = roster.data?.officers ?? [];
  const pinRule = roster.data?.pinRule ?? DEFAULT_PIN_RULE;
  return (
    <div class="page">
      <h1>{t('navOfficers')}</h1>
      <Section
        title={t('officers')}
        testid="officers-panel"
        actions={
          app.isAdmin && (
            <button
              type="button"
              class="small"
              data-testid="officer-new"
              onClick={() => {
                setEditing({ officer: null });
                act.setNotice(null);
              }}
            >
              {t('newOfficer')}
            </button>
          )
        }
      >
        {roster.data && (
          <p class="muted" data-testid="officers-version" data-version={roster.data.version}>
            {t('rosterVersion', { version: roster.data.version })}
          </p>
        )}
        {roster.data && (
          <p
            class="muted"
            data-testid="officers-pin-rule"
            data-min={pinRule.minDigits}
            data-max={pinRule.maxDigits}
          >
            {t('officerPinRule', pinRuleVars(pinRule))}
          </p>
        )}
        <ErrorBox error={roster.error} onRetry={roster.reload} />
        <ErrorBox error={act.error} testid="officer-error" />
        <Notice text={act.notice} testid="officer-notice" />
        <Loading show={roster.loading && !roster.data} />
        <DataTable
          testid="officers-table"
          columns={[
            t('officerId'),
            t('officerName'),
            t('officerRole'),
            t('officerCheckpoints'),
            t('state'),
            t('updatedAt'),
            app.isAdmin && t('action'),
          ]}
          empty={roster.data && officers.length === 0 && t('noOfficers')}
        >
          {officers.map((o) => (
            <tr
              key={o.id}
              data-testid="officer-row"
              data-officer={o.id}
              class={o.disabled ? 'officer-disabled' : undefined}
            >
              <td>
                <code>{o.id}</code>
              </td>
              <td>{o.name}</td>
              <td class="nowrap">{roleText(o.role)}</td>
              <td>{o.checkpoints === null ? <em>{t('allCheckpoints')}</em> : o.checkpoints.join(', ')}</td>
              <td class="nowrap" data-testid="officer-state" data-state={o.disabled ? 'disabled' : 'active'}>
                {o.disabled ? t('disabled') : t('active')}
              </td>
              <td class="nowrap">{formatTime(o.updatedAt, app.lang)}</td>
              {app.isAdmin && (
                <td class="actions">
                  <button
                    type="button"
                    class="small"
                    data-testid="officer-edit"
                    onClick={() => {
                      setEditing({ officer: o });
                      setCarding(null);
                      act.setNotice(null);
                    }}
                  >
                    {t('edit')}
                  </button>
                  {!o.disabled && (
                    <button
                      type="button"
                      class="small"
                      data-testid="officer-staff-card"
                      onClick={() => {
                        setCarding(o);
                        setEditing(null);
                        act.setNotice(null);
                      }}
                    >
                      {t('staffCard')}
                    </button>
                  )}
                  {o.disabled ? (
                    <ConfirmButton
                      label={t('enable')}
                      testid="officer-enable"
                      question={t('confirmEnableOfficer', { id: o.id })}
                      onConfirm={() => setDisabled(o, false)}
                    />
                  ) : (
                    <ConfirmButton
                      label={t('disable')}
                      danger
                      testid="officer-disable"
                      question={t('confirmDisableOfficer', { id: o.id })}
                      onConfirm={() => setDisabled(o, true)}
                    />
                  )}
                </td>
              )}
            </tr>
          ))}
        </DataTable>
        {app.isAdmin && carding && (
          <StaffCardPanel
            key={carding.id}
            officer={carding}
            checkpoints={cps.data?.checkpoints ?? []}
            onClose={() => {
              setCarding(null);
            }}
          />
        )}
        {app.isAdmin && editing && (
          <OfficerEditor
            key={editing.officer?.id ?? '\u0000new'}
            initial={editing.officer}
            pinRule={pinRule}
            checkpoints={cps.data?.checkpoints ?? []}
            onDone={(saved) => {
              setEditing(null);
              if (saved) {
                act.setNotice(t('officerSaved', { id: saved.officer.id, version: saved.version }));
                roster.reload();
              }
            }}
          />
        )}
      </Section>
    </div>
  );
}

function OfficerEditor(props: {
  initial: Officer | null;
  pinRule: OfficerPinRule;
  checkpoints: readonly Checkpoint[];
  onDone: (saved: OfficerAnswer | null) => void;
}) {
  const isNew = props.initial === null;
  const [f, setF] = useState<OfficerForm>(officerForm(props.initial));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const order = props.checkpoints.map((c) => c.id);
  // Checkpoints the officer has that the list no longer shows stay choosable (and visible).
  const choices = [
    ...props.checkpoints.map((c) => ({ id: c.id, label: `${c.id} — ${c.name}` })),
    ...f.checkpoints.filter((c) => !order.includes(c)).map((c) => ({ id: c, label: c })),
  ];
  const set =
    <K extends keyof OfficerForm>(k: K) =>
    (v: OfficerForm[K]) => {
      setF((x) => ({ ...x, [k]: v }));
    };
  // The PIN's length and digits are checked here, not by the browser, so the refusal is in the
  // console's words and names the server's rule.
  const save = async (): Promise<void> => {
    const problem = officerFormProblem(f, isNew, props.pinRule);
    if (problem !== null) {
      setError(t(problem, pinRuleVars(props.pinRule)));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const id = f.id.trim();
      const saved = await api<OfficerAnswer>(
        'PUT',
        `/api/v1/admin/officers/${encodeURIComponent(id)}`,
        officerBody(f),
      );
      props.onDone(saved);
    } catch (e) {
      setError(officerErrorText(e, props.pinRule));
      // A refused PIN is typed again, never kept in the page longer than needed.
      setF((x) => ({ ...x, pin: '' }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <GridForm testid="officer-form" onSubmit={() => void save()}>
      <h3>{isNew ? t('newOfficer') : t('editOfficer', { id: f.id })}</h3>
      <Field id="officer-id" label={t('officerId')}>
        <input
          id="officer-id"
          required
          maxLength={64}
          autocomplete="off"
          readOnly={!isNew}
          value={f.id}
          onInput={(e) => {
            set('id')(e.currentTarget.value);
          }}
        />
      </Field>
      <Field id="officer-name" label={t('officerName')}>
        <input
          id="officer-name"
          required
          maxLength={200}
          autocomplete="off"
          value={f.name}
          onInput={(e) => {
            set('name')(e.currentTarget.value);
          }}
        />
      </Field>
      <Field id="officer-role" label={t('officerRole')}>
        <select
          id="officer-role"
          value={f.role}
          onChange={(e) => {
            set('role')(e.currentTarget.value === 'supervisor' ? 'supervisor' : 'officer');
          }}
        >
          {OFFICER_ROLES.map((r) => (
            <option key={r} value={r}>
              {roleText(r)}
            </option>
          ))}
        </select>
      </Field>
      <Field id="officer-pin" label={t('officerPin', pinRuleVars(props.pinRule))}>
        <input
          id="officer-pin"
          data-testid="officer-pin"
          type="password"
          inputMode="numeric"
          autocomplete="off"
          maxLength={props.pinRule.maxDigits}
          required={isNew}
          aria-describedby="officer-pin-hint"
          value={f.pin}
          onInput={(e) => {
            set('pin')(e.currentTarget.value);
          }}
        />
        <p id="officer-pin-hint" class="hint">
          {isNew
            ? t('officerPinNewHint', pinRuleVars(props.pinRule))
            : t('officerPinKeep', pinRuleVars(props.pinRule))}
        </p>
      </Field>
      <CheckGroup
        legend={t('officerCheckpoints')}
        items={[
          { id: 'officer-cp-all', label: t('allCheckpointsOption'), checked: f.all, onChange: set('all') },
          ...choices.map((c) => ({
            id: `officer-cp-${c.id}`,
            label: c.label,
            disabled: f.all,
            checked: !f.all && f.checkpoints.includes(c.id),
            onChange: (on: boolean) => {
              setF((x) => ({ ...x, checkpoints: toggleCheckpoint(x.checkpoints, c.id, on, order) }));
            },
          })),
        ]}
      />
      <ErrorBox error={error} testid="officer-form-error" />
      <FormButtons
        busy={busy}
        testid="officer-save"
        onCancel={() => {
          props.onDone(null);
        }}
      />
    </GridForm>
  );
}
