// The download of an import's rejected rows: the rows as the file wrote them, each with its reason.
import { getLang, t } from '../../i18n.js';
import { rejectedRowsCsv, type RejectedRow } from '../../import-report.js';
import type { ListName } from '../../types.js';

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
export function RejectedDownload(props: {
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
