// Audit: every admin action, newest first, filtered by action, actor and time, paged by id.
import { api } from '../api.js';
import { DataTable, StackPager, usePageStack } from '../components/data.js';
import { Field, FilterForm, TimeRangeFields, useFilters } from '../components/forms.js';
import { buildQuery, compactJson, formatTime, localInputToIso } from '../format.js';
import { t } from '../i18n.js';
import type { AuditRecord } from '../types.js';
import { ErrorBox, Loading, Section, useApp, useLoad } from '../ui.js';

interface AuditFilters {
  action: string;
  actor: string;
  from: string;
  to: string;
}
const EMPTY: AuditFilters = { action: '', actor: '', from: '', to: '' };
const PAGE = 50;

/** The audit page. */
export function AuditPage() {
  const app = useApp();
  const filters = useFilters(EMPTY);
  const { form, applied, set } = filters;
  const pages = usePageStack<number>();
  const before = pages.current;
  const log = useLoad(
    () =>
      api<{ records: AuditRecord[] }>(
        'GET',
        `/api/v1/admin/audit${buildQuery({
          action: applied.action.trim(),
          actor: applied.actor.trim(),
          from: localInputToIso(applied.from) ?? '',
          to: localInputToIso(applied.to) ?? '',
          before,
          limit: PAGE,
        })}`,
      ),
    [applied, before],
  );
  const records = log.data?.records ?? [];
  const last = records.at(-1);
  return (
    <div class="page">
      <h1>{t('navAudit')}</h1>
      <FilterForm
        testid="audit-filter"
        submitTestid="audit-search"
        onSubmit={() => {
          pages.reset();
          filters.apply();
        }}
      >
        <Field id="audit-action" label={t('action')}>
          <input
            id="audit-action"
            maxLength={64}
            placeholder="list.put"
            value={form.action}
            onInput={set('action')}
          />
        </Field>
        <Field id="audit-actor" label={t('actor')}>
          <input id="audit-actor" maxLength={100} value={form.actor} onInput={set('actor')} />
        </Field>
        <TimeRangeFields
          idPrefix="audit"
          from={form.from}
          to={form.to}
          onFrom={set('from')}
          onTo={set('to')}
        />
      </FilterForm>
      <Section title={t('audit')}>
        <ErrorBox error={log.error} onRetry={log.reload} testid="audit-error" />
        <Loading show={log.loading} />
        <DataTable
          testid="audit-table"
          columns={[t('time'), t('actor'), t('action'), t('target'), t('details')]}
          empty={log.data && records.length === 0 && t('none')}
        >
          {records.map((r) => (
            <tr key={r.id} data-testid="audit-row" data-action={r.action}>
              <td class="nowrap">{formatTime(r.at, app.lang)}</td>
              <td class="nowrap">{r.actor}</td>
              <td>
                <code>{r.action}</code>
              </td>
              <td>{r.target ?? ''}</td>
              <td class="json" title={compactJson(r.details, 4000)}>
                <code>{compactJson(r.details)}</code>
              </td>
            </tr>
          ))}
        </DataTable>
        <StackPager
          stack={pages}
          next={records.length < PAGE || !last ? null : last.id}
          back={{ label: t('newerPage'), testid: 'audit-newer' }}
          forward={{ label: t('olderPage'), testid: 'audit-older' }}
        />
      </Section>
    </div>
  );
}
