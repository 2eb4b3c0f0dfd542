// One list's CSV import: check the file (a dry run and its report), then commit exactly the
// checked file (its SHA-256 sent back), whole or keeping only the good rows; admins only.
import { useState } from 'preact/hooks';
import { ApiError, errorText, uploadCsv } from '../../api.js';
import { buildQuery } from '../../format.js';
import { t } from '../../i18n.js';
import { rowErrorText, type RejectedRow } from '../../import-report.js';
import type { ImportReport, ListName } from '../../types.js';
import { ErrorBox, Notice, Section, useApp } from '../../ui.js';
import { listTitle } from './list-title.js';
import { RejectedDownload } from './rejected-download.js';

/** The import panel of one list; `onChanged` runs after a commit made a new version. */
export function ImportPanel(props: { list: ListName; onChanged: () => void }) {
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
