// One stored list entry, read-only (a health entry's status and dates, a whitelist entry's
// category, validity and checkpoints), with an admin's edit and delete buttons.
import { formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import type { ListEntry, ListName } from '../../types.js';
import { ConfirmButton, useApp } from '../../ui.js';
import { listTitle } from './list-title.js';

/** The entry as stored; `onDelete` runs once the admin confirmed. */
export function EntryView(props: {
  list: ListName;
  entry: ListEntry;
  onEdit: () => void;
  onDelete: () => Promise<void>;
}) {
  const app = useApp();
  const entry = props.entry;
  const health = props.list === 'health';
  return (
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
          <button type="button" data-testid="entry-edit" onClick={props.onEdit}>
            {t('edit')}
          </button>
          <ConfirmButton
            label={t('delete')}
            danger
            testid="entry-delete"
            question={t('confirmDelete', { subject: entry.subject, list: listTitle(props.list) })}
            onConfirm={props.onDelete}
          />
        </div>
      )}
    </div>
  );
}
