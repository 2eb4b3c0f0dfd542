// The checkpoints and their settings: the table, (admins) the create / edit form and the
// issuing of a one-time lane enrollment code.
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { DataTable } from '../../components/data.js';
import { useAction } from '../../components/forms.js';
import { t } from '../../i18n.js';
import type { Checkpoint, Enrollment } from '../../types.js';
import { ErrorBox, Loading, Notice, Section, useApp, useLoad } from '../../ui.js';
import { CheckpointForm, EMPTY_CHECKPOINT } from './checkpoint-form.js';
import { EnrollmentCard } from './enrollment-card.js';

/** The checkpoints panel. */
export function CheckpointsPanel() {
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
              setEditing({ value: { ...EMPTY_CHECKPOINT }, isNew: true });
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
            <td class="nowrap">
              {c.mode === 'open' ? t('modeOpenShort') : t('modeClosedShort')}
              {c.vehicleMode === true && ` · ${t('vehicleModeShort')}`}
            </td>
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
        <EnrollmentCard
          enrollment={enrollment}
          onClose={() => {
            setEnrollment(null);
          }}
        />
      )}
    </Section>
  );
}
