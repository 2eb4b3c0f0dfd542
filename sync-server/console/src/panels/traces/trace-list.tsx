// The traces kept on the server, newest first: status (a progress bar while running, asked again
// every 1.5 s), contacts found, who ran it and when, its settings; open, or delete after a confirm.
import { api } from '../../api.js';
import { DataTable } from '../../components/data.js';
import { useAction } from '../../components/forms.js';
import { formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { percent } from '../../trace.js';
import { ConfirmButton, ErrorBox, Loading, Notice, Section, useApp } from '../../ui.js';
import type { TraceSummaryView } from '../../types.js';
import { tracePath, TRACES, usePolled } from './trace-api.js';

/** A trace's status as words, with its progress bar while it runs. */
export function TraceStatusCell(props: { trace: TraceSummaryView }) {
  const tr = props.trace;
  if (tr.status === 'running') {
    const pct = percent(tr.progress);
    return (
      <span class="trace-status running" data-testid="trace-status" data-status="running">
        <span>{t('traceRunning')}</span>
        <progress
          max={100}
          value={pct}
          data-testid="trace-progress"
          aria-label={t('traceProgress', { pct })}
        />
        <span class="num">{pct}%</span>
      </span>
    );
  }
  return (
    <span class={`trace-status ${tr.status}`} data-testid="trace-status" data-status={tr.status}>
      {tr.status === 'done' ? `✓ ${t('traceDone')}` : `✕ ${t('traceFailed')}`}
      {tr.status === 'failed' && tr.error && <span class="small-text"> {tr.error}</span>}
    </span>
  );
}

/** "±15 phút · 1 bậc" from a trace's parameters. */
export function settingsText(tr: TraceSummaryView): string {
  return t('traceSettingsText', { window: tr.params.windowMinutes, hops: tr.params.hops });
}

/** The list of traces; `tick` changes when one was started here (so it shows at once). */
export function TraceList(props: { tick: number }) {
  const app = useApp();
  const action = useAction();
  const traces = usePolled(
    (background) => api<{ traces: TraceSummaryView[] }>('GET', TRACES, undefined, { background }),
    [props.tick],
    (d) => d.traces.some((x) => x.status === 'running'),
  );
  const remove = (id: string): void => {
    void action.run(async () => {
      await api('DELETE', tracePath(id));
      action.setNotice(t('traceDeleted'));
      traces.reload();
    }, true);
  };
  const list = traces.data?.traces ?? [];
  return (
    <Section title={t('traceList')} testid="trace-list">
      <ErrorBox error={traces.error} onRetry={traces.reload} testid="trace-list-error" />
      <ErrorBox error={action.error} testid="trace-delete-error" />
      <Notice text={action.notice} testid="trace-delete-done" />
      <Loading show={traces.loading} />
      <DataTable
        testid="trace-table"
        columns={[
          t('traceCreated'),
          t('state'),
          t('traceContacts'),
          t('traceIndexCount'),
          t('traceSettings'),
          t('traceBy'),
          '',
        ]}
        empty={traces.data && list.length === 0 && t('noTraces')}
      >
        {list.map((tr) => (
          <tr key={tr.id} data-testid="trace-row" data-trace-id={tr.id} data-status={tr.status}>
            <td class="nowrap">{formatTime(tr.createdAt, app.lang)}</td>
            <td>
              <TraceStatusCell trace={tr} />
            </td>
            <td class="num" data-testid="trace-contact-count">
              {tr.contactCount ?? '—'}
              {tr.hop2Skipped !== null && tr.hop2Skipped !== undefined && (
                <small class="muted" data-testid="trace-row-hop2-skipped">
                  {` · ${t('traceHop2SkippedShort')}`}
                </small>
              )}
            </td>
            <td class="num">{tr.params.indexCount}</td>
            <td class="nowrap">{settingsText(tr)}</td>
            <td>{tr.createdBy}</td>
            <td class="actions">
              <a class="button" href={`#/traces?id=${encodeURIComponent(tr.id)}`} data-testid="trace-open">
                {t('traceOpen')}
              </a>
              <ConfirmButton
                label={t('traceDelete')}
                question={t('traceDeleteQ')}
                danger
                testid="trace-delete"
                onConfirm={() => {
                  remove(tr.id);
                }}
              />
            </td>
          </tr>
        ))}
      </DataTable>
    </Section>
  );
}
