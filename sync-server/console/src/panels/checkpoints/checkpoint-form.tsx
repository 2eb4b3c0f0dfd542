// The form that creates or edits one checkpoint: name, open/closed mode, freshness budget,
// the health statuses that block, the repeat window and vehicle mode.
import { HEALTH_STATUSES } from '@checkpoint-lane/shared';
import { useState } from 'preact/hooks';
import { api, errorText } from '../../api.js';
import { CheckGroup, Field, FormButtons, GridForm } from '../../components/forms.js';
import { t } from '../../i18n.js';
import type { Checkpoint } from '../../types.js';
import { ErrorBox } from '../../ui.js';

/** A new checkpoint's settings before the admin changes them. */
export const EMPTY_CHECKPOINT: Checkpoint = {
  id: '',
  name: '',
  mode: 'open',
  freshnessBudgetSec: 21600,
  blockingStatuses: ['F0', 'F1'],
  repeatWindowSec: 5,
};

/** The checkpoint form; `onDone` gets the saved checkpoint, or null on cancel. */
export function CheckpointForm(props: {
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
        vehicleMode: c.vehicleMode === true,
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
      <CheckGroup
        legend={t('vehicleModeLegend')}
        items={[
          {
            id: 'cp-vehicle-mode',
            label: t('vehicleMode'),
            checked: c.vehicleMode === true,
            onChange: (on: boolean) => {
              setC((x) => ({ ...x, vehicleMode: on }));
            },
          },
        ]}
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
