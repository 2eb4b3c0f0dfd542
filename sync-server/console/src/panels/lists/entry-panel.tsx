// One list entry by subject: look it up, then (admins) add it when missing, edit or delete it.
import { useState } from 'preact/hooks';
import { api, ApiError, errorText } from '../../api.js';
import { t } from '../../i18n.js';
import type { ListEntry, ListName } from '../../types.js';
import { ErrorBox, Notice, Section, useApp } from '../../ui.js';
import { EntryEditor } from './entry-editor.js';
import { entryBody, formOf, type EntryForm } from './entry-form.js';
import { EntryView } from './entry-view.js';
import { listTitle } from './list-title.js';

/** The entry panel of one list; `onChanged` runs after a save or delete made a new version. */
export function EntryPanel(props: { list: ListName; onChanged: () => void }) {
  const app = useApp();
  const [query, setQuery] = useState('');
  const [subject, setSubject] = useState<string | null>(null);
  const [entry, setEntry] = useState<ListEntry | null>(null);
  const [missing, setMissing] = useState(false);
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState<EntryForm>(formOf(null));
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const path = (s: string): string => `/api/v1/admin/lists/${props.list}/entries/${encodeURIComponent(s)}`;
  const look = async (s: string): Promise<void> => {
    setBusy(true);
    setError(null);
    setNotice(null);
    setEditing(false);
    setEntry(null);
    setMissing(false);
    setSubject(s);
    try {
      const e = await api<ListEntry>('GET', path(s));
      setEntry(e);
      setForm(formOf(e));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        setMissing(true);
        setForm(formOf(null));
      } else setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const save = async (): Promise<void> => {
    if (subject === null) return;
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ version: number }>('PUT', path(subject), entryBody(props.list, form));
      props.onChanged();
      await look(subject);
      setNotice(t('entrySaved', { version: r.version }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const remove = async (): Promise<void> => {
    if (subject === null) return;
    setError(null);
    try {
      const r = await api<{ version: number }>('DELETE', path(subject));
      props.onChanged();
      setEntry(null);
      setMissing(true);
      setNotice(t('entryDeleted', { version: r.version }));
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <Section title={`${t('entryTitle')} — ${listTitle(props.list)}`} testid="entry-panel">
      <form
        class="row-form"
        data-testid="entry-search"
        onSubmit={(e) => {
          e.preventDefault();
          if (query.trim() !== '') void look(query.trim());
        }}
      >
        <div class="field grow">
          <label for="entry-subject">{t('subject')}</label>
          <input
            id="entry-subject"
            data-testid="entry-subject"
            autocomplete="off"
            maxLength={64}
            value={query}
            onInput={(e) => {
              setQuery(e.currentTarget.value);
            }}
          />
        </div>
        <button type="submit" class="primary" disabled={busy} data-testid="entry-search-submit">
          {t('search')}
        </button>
      </form>
      <ErrorBox error={error} testid="entry-error" />
      <Notice text={notice} testid="entry-notice" />
      {missing && (
        <p class="muted" data-testid="entry-missing">
          {t('entryNotFound')}
        </p>
      )}
      {entry && !editing && (
        <EntryView
          list={props.list}
          entry={entry}
          onEdit={() => {
            setEditing(true);
          }}
          onDelete={remove}
        />
      )}
      {app.isAdmin && missing && !editing && subject !== null && (
        <button
          type="button"
          data-testid="entry-new"
          onClick={() => {
            setEditing(true);
          }}
        >
          {t('entryNew')}: {subject}
        </button>
      )}
      {app.isAdmin && editing && subject !== null && (
        <EntryEditor
          list={props.list}
          subject={subject}
          isNew={entry === null}
          form={form}
          setForm={setForm}
          busy={busy}
          onSave={() => void save()}
          onCancel={() => {
            setEditing(false);
          }}
        />
      )}
    </Section>
  );
}
