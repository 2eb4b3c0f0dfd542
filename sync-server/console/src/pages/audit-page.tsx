// Audit: every admin action, newest first, filtered by action, actor and time, paged by id.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
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
  const [form, setForm] = useState<AuditFilters>(EMPTY);
  const [applied, setApplied] = useState<AuditFilters>(EMPTY);
  const [befores, setBefores] = useState<number[]>([]);
  const before = befores.at(-1);
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
  const set = (k: keyof AuditFilters) => (e: Event) => {
    const v = (e.currentTarget as HTMLInputElement).value;
    setForm((f) => ({ ...f, [k]: v }));
  };
  const records = log.data?.records ?? [];
  const last = records.at(-1);
  return (
    <div class="page">
      <h1>{t('navAudit')}</h1>
      <form
        class="filters card"
        data-testid="audit-filter"
        onSubmit={(e) => {
          e.preventDefault();
          setBefores([]);
          setApplied({ ...form });
        }}
      >
        <div class="field">
          <label for="audit-action">{t('action')}</label>
          <input
            id="audit-action"
            maxLength={64}
            placeholder="list.put"
            value={form.action}
            onInput={set('action')}
          />
        </div>
        <div class="field">
          <label for="audit-actor">{t('actor')}</label>
          <input id="audit-actor" maxLength={100} value={form.actor} onInput={set('actor')} />
        </div>
        <div class="field">
          <label for="audit-from">{t('from')}</label>
          <input id="audit-from" type="datetime-local" value={form.from} onInput={set('from')} />
        </div>
        <div class="field">
          <label for="audit-to">{t('to')}</label>
          <input id="audit-to" type="datetime-local" value={form.to} onInput={set('to')} />
        </div>
        <div class="buttons">
          <button type="submit" class="primary" data-testid="audit-search">
            {t('search')}
          </button>
        </div>
      </form>
      <Section title={t('audit')}>
        <ErrorBox error={log.error} onRetry={log.reload} testid="audit-error" />
        <Loading show={log.loading} />
        <div class="scroll">
          <table class="table" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">{t('time')}</th>
                <th scope="col">{t('actor')}</th>
                <th scope="col">{t('action')}</th>
                <th scope="col">{t('target')}</th>
                <th scope="col">{t('details')}</th>
              </tr>
            </thead>
            <tbody>
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
              {log.data && records.length === 0 && (
                <tr>
                  <td colSpan={5} class="empty">
                    {t('none')}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <div class="pager">
          <button
            type="button"
            class="small"
            data-testid="audit-newer"
            disabled={befores.length === 0}
            onClick={() => {
              setBefores((b) => b.slice(0, -1));
            }}
          >
            {t('newerPage')}
          </button>
          <button
            type="button"
            class="small"
            data-testid="audit-older"
            disabled={records.length < PAGE || !last}
            onClick={() => {
              if (last) setBefores((b) => [...b, last.id]);
            }}
          >
            {t('olderPage')}
          </button>
        </div>
      </Section>
    </div>
  );
}
