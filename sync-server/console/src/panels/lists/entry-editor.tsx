// The form that adds or edits one list entry: a health entry's status and dates, or a whitelist
// entry's category, validity and checkpoints; name and note for both.
import { HEALTH_STATUSES, WHITELIST_CATEGORIES } from '@checkpoint-lane/shared';
import type { Dispatch, StateUpdater } from 'preact/hooks';
import { Field, FormButtons, GridForm } from '../../components/forms.js';
import { t } from '../../i18n.js';
import type { ListName } from '../../types.js';
import type { EntryForm } from './entry-form.js';

/** The editor of `subject` in `list`; the form's values are the caller's state (kept across a cancel). */
export function EntryEditor(props: {
  list: ListName;
  subject: string;
  isNew: boolean;
  form: EntryForm;
  setForm: Dispatch<StateUpdater<EntryForm>>;
  busy: boolean;
  onSave: () => void;
  onCancel: () => void;
}) {
  const { form, setForm } = props;
  const set = (k: keyof EntryForm) => (e: Event) => {
    const v = (e.currentTarget as HTMLInputElement).value;
    setForm((f) => ({ ...f, [k]: v }));
  };
  const health = props.list === 'health';
  const choice = (id: string, label: string, key: 'status' | 'category', values: readonly string[]) => (
    <Field id={id} label={label}>
      <select id={id} value={form[key]} onChange={set(key)}>
        {values.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    </Field>
  );
  return (
    <GridForm testid="entry-form" onSubmit={props.onSave}>
      <h3>
        {props.isNew ? t('entryNew') : t('entryEdit')}: {props.subject}
      </h3>
      {health
        ? choice('entry-status', t('status'), 'status', HEALTH_STATUSES)
        : choice('entry-category', t('category'), 'category', WHITELIST_CATEGORIES)}
      <div class="field">
        <label for="entry-from">{health ? t('since') : t('validFrom')}</label>
        <input id="entry-from" type="date" value={form.from} onInput={set('from')} />
      </div>
      <div class="field">
        <label for="entry-until">{health ? t('until') : t('validUntil')}</label>
        <input id="entry-until" type="date" value={form.until} onInput={set('until')} />
      </div>
      {!health && (
        <div class="field wide">
          <label for="entry-checkpoints">{t('checkpointsField')}</label>
          <input id="entry-checkpoints" value={form.checkpoints} onInput={set('checkpoints')} />
        </div>
      )}
      <div class="field">
        <label for="entry-name">{t('name')}</label>
        <input id="entry-name" maxLength={200} value={form.name} onInput={set('name')} />
      </div>
      <div class="field wide">
        <label for="entry-note">{t('note')}</label>
        <input id="entry-note" maxLength={500} value={form.note} onInput={set('note')} />
      </div>
      <FormButtons busy={props.busy} testid="entry-save" onCancel={props.onCancel} />
    </GridForm>
  );
}
