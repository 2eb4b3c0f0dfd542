// Lists: each list's version and size, CSV import (dry run, report, commit exactly the checked
// file), one entry's lookup / add / edit / delete, and the version history.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorText, uploadCsv } from '../api.js';
import { DataTable, StackPager, usePageStack } from '../components/data.js';
import { Field, FormButtons, GridForm } from '../components/forms.js';
import { buildQuery, formatTime, toLocalInput } from '../format.js';
import { getLang, t } from '../i18n.js';
import { rejectedRowsCsv, rowErrorText, type RejectedRow } from '../import-report.js';
import { subscribe } from '../live.js';
import {
  HEALTH_STATUSES,
  WHITELIST_CATEGORIES,
  type ImportReport,
  type ListEntry,
  type ListName,
  type ListState,
  type ListVersion,
} from '../types.js';
import { ConfirmButton, ErrorBox, Loading, Notice, Section, useApp, useLoad } from '../ui.js';

const listTitle = (l: ListName): string => (l === 'health' ? t('listHealth') : t('listWhitelist'));

/** The lists page. */
export function ListsPage() {
  const app = useApp();
  const [list, setList] = useState<ListName>('health');
  const lists = useLoad(() => api<{ lists: ListState[] }>('GET', '/api/v1/admin/lists'), []);
  const [historyTick, setHistoryTick] = useState(0);
  const changed = (): void => {
    lists.reload();
    setHistoryTick((n) => n + 1);
  };
  useEffect(
    () =>
      subscribe((e) => {
        if (e.name === 'list-version') changed();
      }),
    [],
  );
  return (
    <div class="page">
      <h1>{t('navLists')}</h1>
      <ErrorBox error={lists.error} onRetry={lists.reload} />
      <Loading show={lists.loading && !lists.data} />
      {lists.data && (
        <table class="table narrow" data-testid="lists-table">
          <thead>
            <tr>
              <th scope="col">{t('navLists')}</th>
              <th scope="col">{t('version')}</th>
              <th scope="col">{t('count')}</th>
            </tr>
          </thead>
          <tbody>
            {lists.data.lists.map((l) => (
              <tr key={l.list} data-testid={`list-row-${l.list}`}>
                <td>{listTitle(l.list)}</td>
                <td data-testid="list-version">{l.version}</td>
                <td data-testid="list-count">{l.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="segmented" role="tablist">
        {(['health', 'whitelist'] as const).map((l) => (
          <button
            key={l}
            type="button"
            role="tab"
            aria-selected={list === l}
            class={list === l ? 'selected' : ''}
            data-testid={`list-tab-${l}`}
            onClick={() => {
              setList(l);
            }}
          >
            {listTitle(l)}
          </button>
        ))}
      </div>
      {app.isAdmin && <ImportPanel key={`i-${list}`} list={list} onChanged={changed} />}
      <EntryPanel key={`e-${list}`} list={list} onChanged={changed} />
      <HistoryPanel key={`h-${list}`} list={list} tick={historyTick} />
    </div>
  );
}

/** Saves the rejected rows of `file` (as written, each with its reason) as a CSV download. */
async function downloadRejected(list: ListName, file: File, rows: readonly RejectedRow[]): Promise<void> {
  const csv = rejectedRowsCsv(await file.text(), rows, getLang());
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${list}-${file.name.replace(/\.csv$/i, '')}-rejected.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 60_000);
}

/** The download button of an import's rejected rows, with what the file holds. */
function RejectedDownload(props: {
  list: ListName;
  file: File;
  rows: readonly RejectedRow[];
  total: number;
}) {
  return (
    <div class="rejected-download">
      <button
        type="button"
        class="small"
        data-testid="import-rejected-csv"
        onClick={() => void downloadRejected(props.list, props.file, props.rows)}
      >
        {t('downloadRejected')}
      </button>{' '}
      <span class="muted">{t('rejectedFileHint')}</span>
      {props.total > props.rows.length && (
        <p class="muted">{t('rejectedMore', { shown: props.rows.length, total: props.total })}</p>
      )}
    </div>
  );
}

function ImportPanel(props: { list: ListName; onChanged: () => void }) {
  const app = useApp();
  /** After a partial commit: the file and the rows it skipped, for the download. */
  const [skipped, setSkipped] = useState<{ file: File; rows: RejectedRow[]; total: number } | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [partial, setPartial] = useState(false);
  const [replace, setReplace] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [inputKey, setInputKey] = useState(0);
  const base = `/api/v1/admin/lists/${props.list}/import`;
  const reset = (): void => {
    setFile(null);
    setReport(null);
    setProgress(null);
    setPartial(false);
    setInputKey((n) => n + 1);
  };
  const check = async (): Promise<void> => {
    if (!file) return;
    setError(null);
    setDone(null);
    setSkipped(null);
    setReport(null);
    setProgress(0);
    try {
      const r = await uploadCsv<ImportReport>(
        `${base}${buildQuery({ dryRun: true, replace })}`,
        file,
        setProgress,
      );
      setReport(r.body);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setProgress(null);
    }
  };
  const commit = async (): Promise<void> => {
    if (!file || !report) return;
    setError(null);
    setProgress(0);
    try {
      const q = buildQuery({ expectSha256: report.sha256, partial: partial && !replace, replace });
      const r = await uploadCsv<ImportReport>(`${base}${q}`, file, setProgress);
      if (r.body.applied) {
        const total = r.body.rejectedTotal;
        setDone(
          total > 0
            ? t('importedSkipped', { version: r.body.version, accepted: r.body.accepted, skipped: total })
            : t('imported', { version: r.body.version, accepted: r.body.accepted }),
        );
        setSkipped(total > 0 ? { file, rows: r.body.rejected, total } : null);
        reset();
        props.onChanged();
      } else {
        setReport(r.body);
        setError(t('importNothing', { message: r.body.message ?? r.body.error ?? '' }));
      }
    } catch (e) {
      setError(e instanceof ApiError && e.code === 'file_changed' ? t('fileChanged') : errorText(e));
    } finally {
      setProgress(null);
    }
  };
  const rejectedTotal = report ? report.rejectedTotal : 0;
  return (
    <Section title={`${t('importTitle')} — ${listTitle(props.list)}`} testid="import-panel">
      <form
        class="row-form"
        onSubmit={(e) => {
          e.preventDefault();
          void check();
        }}
      >
        <div class="field">
          <label for="import-file">{t('importFile')}</label>
          <input
            key={inputKey}
            id="import-file"
            type="file"
            accept=".csv,text/csv"
            data-testid="import-file"
            onChange={(e) => {
              setFile(e.currentTarget.files?.[0] ?? null);
              setReport(null);
              setDone(null);
              setSkipped(null);
              setError(null);
            }}
          />
        </div>
        <div class="field check">
          <input
            id="import-replace"
            type="checkbox"
            checked={replace}
            disabled={report !== null}
            onChange={(e) => {
              setReplace(e.currentTarget.checked);
            }}
          />
          <label for="import-replace">{t('replaceList')}</label>
        </div>
        <button
          type="submit"
          class="primary"
          disabled={!file || progress !== null || report !== null}
          data-testid="import-check"
        >
          {t('importCheck')}
        </button>
      </form>
      {progress !== null && (
        <div class="progress">
          <label for="upload-progress">{t('uploading', { pct: progress })}</label>
          <progress id="upload-progress" data-testid="upload-progress" max={100} value={progress} />
        </div>
      )}
      <ErrorBox error={error} testid="import-error" />
      <Notice text={done} testid="import-done" />
      {skipped && (
        <RejectedDownload list={props.list} file={skipped.file} rows={skipped.rows} total={skipped.total} />
      )}
      {report && (
        <div class="report" data-testid="import-report">
          <h3>{t('importReport')}</h3>
          <dl class="stats">
            <div>
              <dt>{t('rowsRead')}</dt>
              <dd data-testid="report-read">{report.rows ?? report.accepted + rejectedTotal}</dd>
            </div>
            <div>
              <dt>{t('rowsAccepted')}</dt>
              <dd data-testid="report-accepted">{report.accepted}</dd>
            </div>
            <div>
              <dt>{t('rowsRejected')}</dt>
              <dd data-testid="report-rejected">{rejectedTotal}</dd>
            </div>
          </dl>
          {report.rejected.length > 0 && (
            <>
              <table class="table" data-testid="report-rejections">
                <thead>
                  <tr>
                    <th scope="col">{t('line')}</th>
                    <th scope="col">{t('reason')}</th>
                  </tr>
                </thead>
                <tbody>
                  {report.rejected.map((r) => (
                    <tr key={r.line} data-testid="rejected-row">
                      <td class="num">{r.line}</td>
                      <td>{rowErrorText(r, app.lang)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {file && (
                <RejectedDownload
                  list={props.list}
                  file={file}
                  rows={report.rejected}
                  total={rejectedTotal}
                />
              )}
              {!replace && (
                <div class="field check">
                  <input
                    id="import-partial"
                    type="checkbox"
                    data-testid="import-partial"
                    checked={partial}
                    onChange={(e) => {
                      setPartial(e.currentTarget.checked);
                    }}
                  />
                  <label for="import-partial">{t('keepGoodRows')}</label>
                </div>
              )}
            </>
          )}
          <div class="buttons">
            <button
              type="button"
              class="primary"
              data-testid="import-commit"
              disabled={progress !== null || (rejectedTotal > 0 && !partial) || report.accepted === 0}
              onClick={() => void commit()}
            >
              {t('commit')}
            </button>
            <button type="button" data-testid="import-cancel" disabled={progress !== null} onClick={reset}>
              {t('cancel')}
            </button>
          </div>
        </div>
      )}
    </Section>
  );
}

interface EntryForm {
  status: string;
  category: string;
  from: string;
  until: string;
  name: string;
  note: string;
  checkpoints: string;
}

function formOf(e: ListEntry | null): EntryForm {
  return {
    status: e?.status ?? 'F0',
    category: e?.category ?? 'shipper',
    from: toLocalInput(e?.since ?? e?.validFrom ?? null, true),
    until: toLocalInput(e?.until ?? e?.validUntil ?? null, true),
    name: e?.name ?? '',
    note: e?.note ?? '',
    checkpoints: (e?.checkpoints ?? []).join(', '),
  };
}

/** The PUT body for one entry from the form. */
export function entryBody(list: ListName, f: EntryForm): Record<string, unknown> {
  const text = (s: string): string | null => (s.trim() === '' ? null : s.trim());
  const common = {
    ...(f.name.trim() !== '' && { name: f.name.trim() }),
    ...(f.note.trim() !== '' && { note: f.note.trim() }),
  };
  if (list === 'health') return { status: f.status, since: text(f.from), until: text(f.until), ...common };
  const cps = f.checkpoints
    .split(/[,;\s]+/)
    .map((c) => c.trim())
    .filter((c) => c !== '');
  return {
    category: f.category,
    validFrom: text(f.from),
    validUntil: text(f.until),
    checkpoints: cps.length === 0 ? null : cps,
    ...common,
  };
}

function EntryPanel(props: { list: ListName; onChanged: () => void }) {
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
        <div data-testid="entry-view">
          <dl class="kv">
            <dt>{t('subject')}</dt>
            <dd>{entry.subject}</dd>
            {health ? (
              <>
                <dt>{t('status')}</dt>
                <dd data-testid="entry-status">{entry.status}</dd>
                <dt>{t('since')}</dt>
                <dd>{formatTime(entry.since, app.lang)}</dd>
                <dt>{t('until')}</dt>
                <dd>{formatTime(entry.until, app.lang)}</dd>
              </>
            ) : (
              <>
                <dt>{t('category')}</dt>
                <dd data-testid="entry-category">{entry.category}</dd>
                <dt>{t('validFrom')}</dt>
                <dd>{formatTime(entry.validFrom, app.lang)}</dd>
                <dt>{t('validUntil')}</dt>
                <dd>{formatTime(entry.validUntil, app.lang)}</dd>
                <dt>{t('navCheckpoints')}</dt>
                <dd>{entry.checkpoints?.join(', ') ?? '—'}</dd>
              </>
            )}
            <dt>{t('name')}</dt>
            <dd>{entry.name ?? ''}</dd>
            <dt>{t('note')}</dt>
            <dd>{entry.note ?? ''}</dd>
            <dt>{t('version')}</dt>
            <dd>{entry.version}</dd>
            <dt>{t('updatedAt')}</dt>
            <dd>{formatTime(entry.updatedAt, app.lang)}</dd>
          </dl>
          {app.isAdmin && (
            <div class="buttons">
              <button
                type="button"
                data-testid="entry-edit"
                onClick={() => {
                  setEditing(true);
                }}
              >
                {t('edit')}
              </button>
              <ConfirmButton
                label={t('delete')}
                danger
                testid="entry-delete"
                question={t('confirmDelete', { subject: entry.subject, list: listTitle(props.list) })}
                onConfirm={remove}
              />
            </div>
          )}
        </div>
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
        <GridForm testid="entry-form" onSubmit={() => void save()}>
          <h3>
            {entry ? t('entryEdit') : t('entryNew')}: {subject}
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
          <FormButtons
            busy={busy}
            testid="entry-save"
            onCancel={() => {
              setEditing(false);
            }}
          />
        </GridForm>
      )}
    </Section>
  );
}

function HistoryPanel(props: { list: ListName; tick: number }) {
  const app = useApp();
  const pages = usePageStack<number>();
  const cursor = pages.current;
  const limit = 20;
  const h = useLoad(
    () =>
      api<{ versions: ListVersion[] }>(
        'GET',
        `/api/v1/admin/lists/${props.list}/history${buildQuery({ limit, before: cursor })}`,
      ),
    [props.list, cursor, props.tick],
  );
  const versions = h.data?.versions ?? [];
  const last = versions.at(-1);
  return (
    <Section title={`${t('history')} — ${listTitle(props.list)}`} testid="history-panel">
      <ErrorBox error={h.error} onRetry={h.reload} />
      <Loading show={h.loading && !h.data} />
      <DataTable
        columns={[t('version'), t('time'), t('who'), t('action'), t('changes')]}
        empty={h.data && versions.length === 0 && t('none')}
      >
        {versions.map((v) => (
          <tr key={v.version} data-testid="history-row">
            <td class="num">{v.version}</td>
            <td class="nowrap">{formatTime(v.at, app.lang)}</td>
            <td class="nowrap">{v.actor}</td>
            <td class="nowrap">{v.action}</td>
            <td>{v.changes ?? ''}</td>
          </tr>
        ))}
      </DataTable>
      <StackPager
        stack={pages}
        next={versions.length < limit || !last ? null : last.version}
        back={{ label: t('newerPage') }}
        forward={{ label: t('olderPage'), testid: 'history-older' }}
      />
    </Section>
  );
}
