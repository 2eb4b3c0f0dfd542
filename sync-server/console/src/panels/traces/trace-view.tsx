// One trace: its state (progress while it runs, asked again every 1.5 s), filters (hop, link,
// checkpoint), its contacts a page at a time grouped by index subject or by checkpoint or as a
// timeline, the server's CSV export, and promoting the chosen contacts into the health list.
import { useState } from 'preact/hooks';
import { api } from '../../api.js';
import { Pager } from '../../components/data.js';
import { Field, useAction } from '../../components/forms.js';
import { buildQuery, formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { contactsQuery, percent, type ContactFilters, type Grouping } from '../../trace.js';
import type { Checkpoint, Kiosk, TraceDetailView } from '../../types.js';
import { ErrorBox, Loading, Notice, Section, useApp, useLoad } from '../../ui.js';
import { promote, tracePath, usePolled } from './trace-api.js';
import { TraceContacts } from './trace-contacts.js';
import { settingsText, TraceStatusCell } from './trace-list.js';
import { TraceTimeline } from './trace-timeline.js';

const PAGE = 50;
type View = Grouping | 'timeline';
const VIEWS: readonly View[] = ['index', 'checkpoint', 'timeline'];
const VIEW_TEXT = {
  index: 'groupByIndex',
  checkpoint: 'groupByCheckpoint',
  timeline: 'viewTimeline',
} as const;
const NO_FILTERS: ContactFilters = { hop: '', via: '', checkpointId: '' };

/** Promoting the chosen contacts: status, optional end date, a confirm naming the count. */
function PromotePanel(props: { traceId: string; selected: ReadonlySet<string>; onClear: () => void }) {
  const [status, setStatus] = useState<'F1' | 'F2'>('F1');
  const [until, setUntil] = useState('');
  const action = useAction();
  const [asking, setAsking] = useState(false);
  const n = props.selected.size;
  const run = (): void => {
    setAsking(false);
    void action.run(async () => {
      const r = await promote(props.traceId, {
        subjects: [...props.selected],
        status,
        ...(until !== '' && { until }),
      });
      const done = t('promoteDone', { n: r.promoted, version: r.version });
      action.setNotice(r.skipped > 0 ? `${done} ${t('promoteSkipped', { n: r.skipped })}` : done);
      props.onClear();
    }, true);
  };
  return (
    <Section title={t('promoteTitle')} testid="trace-promote">
      <div class="trace-promote">
        <p class="selected-count" data-testid="trace-selected-count" data-count={n}>
          {t('selectedCount', { n })}
        </p>
        <Field id="promote-status" label={t('status')}>
          <select
            id="promote-status"
            data-testid="promote-status"
            value={status}
            onChange={(e) => {
              setStatus(e.currentTarget.value === 'F2' ? 'F2' : 'F1');
            }}
          >
            <option value="F1">F1</option>
            <option value="F2">F2</option>
          </select>
        </Field>
        <Field id="promote-until" label={t('promoteUntil')}>
          <input
            id="promote-until"
            data-testid="promote-until"
            type="date"
            value={until}
            onInput={(e) => {
              setUntil(e.currentTarget.value);
            }}
          />
        </Field>
        <div class="buttons">
          {asking && n > 0 ? (
            <span class="confirm" role="group" aria-label={t('promoteQ', { n, status })}>
              <span class="confirm-q">{t('promoteQ', { n, status })}</span>
              <button type="button" class="primary" data-testid="confirm-yes" onClick={run}>
                {t('confirm')}
              </button>
              <button
                type="button"
                data-testid="confirm-no"
                onClick={() => {
                  setAsking(false);
                }}
              >
                {t('cancel')}
              </button>
            </span>
          ) : (
            <button
              type="button"
              class="primary"
              disabled={n === 0 || action.busy}
              data-testid="promote"
              onClick={() => {
                setAsking(true);
              }}
            >
              {t('promoteButton')}
            </button>
          )}
          <button type="button" data-testid="trace-clear" disabled={n === 0} onClick={props.onClear}>
            {t('clearSelection')}
          </button>
        </div>
      </div>
      <p class="hint">{t('promoteHint')}</p>
      <ErrorBox error={action.error} testid="promote-error" />
      <Notice text={action.notice} testid="promote-done" />
    </Section>
  );
}

/** The view of one trace. */
export function TraceView(props: { id: string }) {
  const app = useApp();
  const [filters, setFilters] = useState<ContactFilters>(NO_FILTERS);
  const [offset, setOffset] = useState(0);
  const [view, setView] = useState<View>('index');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const trace = usePolled(
    (background) =>
      api<TraceDetailView>(
        'GET',
        `${tracePath(props.id)}${contactsQuery(filters, offset, PAGE)}`,
        undefined,
        {
          background,
        },
      ),
    [props.id, filters, offset],
    (d) => d.status === 'running',
  );
  const cps = useLoad(() => api<{ checkpoints: Checkpoint[] }>('GET', '/api/v1/admin/checkpoints'), []);
  const kiosks = useLoad(() => api<{ kiosks: Kiosk[] }>('GET', '/api/v1/admin/kiosks'), []);
  const laneName = (id: string): string => kiosks.data?.kiosks.find((k) => k.id === id)?.name ?? id;
  const checkpointName = (id: string): string => cps.data?.checkpoints.find((c) => c.id === id)?.name ?? '';
  const setFilter =
    (k: keyof ContactFilters) =>
    (e: Event): void => {
      const v = (e.currentTarget as HTMLSelectElement).value;
      setFilters((f) => ({ ...f, [k]: v }));
      setOffset(0);
    };
  const select = (subject: string, on: boolean): void => {
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(subject);
      else next.delete(subject);
      return next;
    });
  };
  const d = trace.data;
  const contacts = d?.contacts ?? [];
  const total = d?.total ?? 0;
  const pageSubjects = contacts.flatMap((c) => (c.subject === null ? [] : [c.subject]));
  return (
    <div class="page traces" data-testid="trace-view" data-trace-id={props.id}>
      <p>
        <a class="button" href="#/traces" data-testid="trace-back">
          {t('traceBack')}
        </a>
      </p>
      <h1>{t('traceView')}</h1>
      {trace.missing ? (
        <ErrorBox error={t('traceNotFound')} testid="trace-missing" />
      ) : (
        <ErrorBox error={trace.error} onRetry={trace.reload} testid="trace-error" />
      )}
      <Loading show={trace.loading} />
      {d && (
        <>
          <dl class="kv trace-head" data-testid="trace-head" data-status={d.status}>
            <dt>{t('state')}</dt>
            <dd>
              <TraceStatusCell trace={d} />
            </dd>
            <dt>{t('traceCreated')}</dt>
            <dd>
              {formatTime(d.createdAt, app.lang)}
              {` · ${d.createdBy}`}
            </dd>
            <dt>{t('traceSettings')}</dt>
            <dd>
              {settingsText(d)}
              {` · ${t('traceIndexCount')}: ${d.params.indexCount} · ${formatTime(d.params.from, app.lang)} – ${formatTime(d.params.to, app.lang)}`}
            </dd>
            {d.status === 'done' && (
              <>
                <dt>{t('traceContacts')}</dt>
                <dd data-testid="trace-total">{d.contactCount ?? total}</dd>
              </>
            )}
          </dl>
          {d.status === 'running' && (
            <p class="notice" role="status">
              {t('traceProgress', { pct: percent(d.progress) })}
            </p>
          )}
          {d.status === 'failed' && (
            <ErrorBox error={t('traceFailedText', { error: d.error ?? '' })} testid="trace-failed" />
          )}
          {d.status === 'done' && d.hop2Skipped !== null && d.hop2Skipped !== undefined && (
            <p class="notice" role="status" data-testid="trace-hop2-skipped" data-limit={d.hop2Skipped}>
              {t('traceHop2Skipped', { count: d.contactCount ?? total, limit: d.hop2Skipped })}
            </p>
          )}
        </>
      )}
      {d?.status === 'done' && (
        <>
          <form
            class="filters card trace-filters"
            data-testid="trace-filters"
            onSubmit={(e) => {
              e.preventDefault();
            }}
          >
            <Field id="trace-filter-hop" label={t('hop')}>
              <select
                id="trace-filter-hop"
                data-testid="trace-filter-hop"
                value={filters.hop}
                onChange={setFilter('hop')}
              >
                <option value="">{t('any')}</option>
                <option value="1">F1</option>
                <option value="2">F2</option>
              </select>
            </Field>
            <Field id="trace-filter-via" label={t('via')}>
              <select
                id="trace-filter-via"
                data-testid="trace-filter-via"
                value={filters.via}
                onChange={setFilter('via')}
              >
                <option value="">{t('any')}</option>
                <option value="lane">{t('viaLane')}</option>
                <option value="vehicle">{t('viaVehicle')}</option>
              </select>
            </Field>
            <Field id="trace-filter-checkpoint" label={t('checkpoint')}>
              <select
                id="trace-filter-checkpoint"
                data-testid="trace-filter-checkpoint"
                value={filters.checkpointId}
                onChange={setFilter('checkpointId')}
              >
                <option value="">{t('any')}</option>
                {(cps.data?.checkpoints ?? []).map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.id} — {c.name}
                  </option>
                ))}
              </select>
            </Field>
            <div class="buttons">
              <a
                class="button"
                data-testid="trace-export"
                href={`${tracePath(props.id)}/contacts.csv${buildQuery({
                  hop: filters.hop,
                  via: filters.via,
                  checkpointId: filters.checkpointId,
                })}`}
                download
              >
                {t('exportCsv')}
              </a>
            </div>
          </form>
          <Section
            title={t('traceTotal', { total })}
            testid="trace-results"
            actions={
              <div class="segmented" role="group" aria-label={t('viewLabel')}>
                {VIEWS.map((v) => (
                  <button
                    key={v}
                    type="button"
                    class={view === v ? 'selected' : ''}
                    aria-pressed={view === v}
                    data-testid={`trace-view-${v}`}
                    onClick={() => {
                      setView(v);
                    }}
                  >
                    {t(VIEW_TEXT[v])}
                  </button>
                ))}
              </div>
            }
          >
            {view !== 'timeline' && (
              <div class="buttons">
                <button
                  type="button"
                  data-testid="trace-pick-page"
                  disabled={pageSubjects.length === 0}
                  onClick={() => {
                    setSelected((s) => new Set([...s, ...pageSubjects]));
                  }}
                >
                  {t('selectPage')}
                </button>
              </div>
            )}
            {view === 'timeline' ? (
              <TraceTimeline contacts={contacts} lang={app.lang} laneName={laneName} />
            ) : (
              <TraceContacts
                contacts={contacts}
                by={view}
                lang={app.lang}
                laneName={laneName}
                checkpointName={checkpointName}
                selected={selected}
                onSelect={select}
              />
            )}
            <div class="trace-pager">
              <span class="muted" data-testid="trace-showing">
                {total > 0 &&
                  t('traceShowing', {
                    from: offset + 1,
                    to: Math.min(total, offset + contacts.length),
                    total,
                  })}
              </span>
              <Pager
                buttons={[
                  {
                    label: t('prevPage'),
                    testid: 'trace-prev',
                    disabled: offset === 0,
                    onClick: () => {
                      setOffset((o) => Math.max(0, o - PAGE));
                    },
                  },
                  {
                    label: t('nextPage'),
                    testid: 'trace-next',
                    disabled: offset + PAGE >= total,
                    onClick: () => {
                      setOffset((o) => o + PAGE);
                    },
                  },
                ]}
              />
            </div>
          </Section>
          <PromotePanel
            traceId={props.id}
            selected={selected}
            onClear={() => {
              setSelected(new Set());
            }}
          />
        </>
      )}
    </div>
  );
}
