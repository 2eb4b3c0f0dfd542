// Scans: search by subject, checkpoint, time and decision; newest first, paged by the server's
// cursor (with a way back); the same filters as a CSV download. `#/scans?scan=ID` (an alert's
// link) shows that one scan. Each scan shows what happened at its lane and every override or
// acknowledgement naming it, a suspicious one (another lane's, unknown officers) flagged.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { AckLine, OutcomeView, OverrideLine } from '../components/outcome.js';
import { DataTable, StackPager, usePageStack } from '../components/data.js';
import { Field, FilterForm, TimeRangeFields, useFilters } from '../components/forms.js';
import { formatTime, laneChoices, scanQuery, type ScanFilters } from '../format.js';
import { t } from '../i18n.js';
import { DECISIONS, type Checkpoint, type Kiosk, type Scan } from '../types.js';
import { reasonText, warningText } from '../codes.js';
import { CodeList, DecisionChip, ErrorBox, Loading, Section, useApp, useLoad } from '../ui.js';

const EMPTY: ScanFilters = { subject: '', checkpoint: '', kiosk: '', from: '', to: '', decision: '' };
const PAGE = 50;

/** The scan id an alert links to (`#/scans?scan=ID`), or null. */
function linkedScan(): string | null {
  const q = location.hash.split('?')[1];
  return q === undefined ? null : new URLSearchParams(q).get('scan');
}

/** The linked scan id, following hash changes while the page is open. */
function useLinkedScan(): string | null {
  const [id, setId] = useState(linkedScan());
  useEffect(() => {
    const on = (): void => {
      setId(linkedScan());
    };
    addEventListener('hashchange', on);
    return () => {
      removeEventListener('hashchange', on);
    };
  }, []);
  return id;
}

/** The scans page. */
export function ScansPage() {
  const app = useApp();
  const filters = useFilters(EMPTY);
  const { form, applied, set } = filters;
  const pages = usePageStack<string>();
  const cursor = pages.current;
  const one = useLinkedScan();
  const cps = useLoad(() => api<{ checkpoints: Checkpoint[] }>('GET', '/api/v1/admin/checkpoints'), []);
  const kiosks = useLoad(() => api<{ kiosks: Kiosk[] }>('GET', '/api/v1/admin/kiosks'), []);
  const scans = useLoad(
    () =>
      api<{ scans: Scan[]; nextCursor: string | null }>(
        'GET',
        one === null
          ? `/api/v1/admin/scans${scanQuery(applied, { limit: PAGE, cursor })}`
          : `/api/v1/admin/scans?scan=${encodeURIComponent(one)}`,
      ),
    [applied, cursor, one],
  );
  const laneName = (id: string): string => kiosks.data?.kiosks.find((k) => k.id === id)?.name ?? id;
  const lanes = laneChoices(kiosks.data?.kiosks ?? [], form.checkpoint, t('revoked'));
  const setCheckpoint = (e: Event) => {
    const checkpoint = (e.currentTarget as HTMLSelectElement).value;
    // A lane of another checkpoint would match nothing: drop it with the change.
    const keep = (id: string): boolean =>
      checkpoint === '' || kiosks.data?.kiosks.find((k) => k.id === id)?.checkpointId === checkpoint;
    filters.setForm((f) => ({ ...f, checkpoint, kiosk: keep(f.kiosk) ? f.kiosk : '' }));
  };
  return (
    <div class="page">
      <h1>{t('navScans')}</h1>
      <FilterForm
        testid="scans-filter"
        submitTestid="scans-search"
        onSubmit={() => {
          if (one !== null) location.hash = '#/scans';
          pages.reset();
          filters.apply();
        }}
        buttons={
          <a
            class="button"
            data-testid="scans-export"
            href={`/api/v1/admin/scans/export.csv${scanQuery(applied)}`}
            download
          >
            {t('exportCsv')}
          </a>
        }
        note={
          <p id="scan-tz" class="hint form-note">
            {t('vnTime')}
          </p>
        }
      >
        <Field id="scan-subject" label={t('subject')}>
          <input
            id="scan-subject"
            maxLength={64}
            autocomplete="off"
            value={form.subject}
            onInput={set('subject')}
          />
        </Field>
        <Field id="scan-checkpoint" label={t('checkpoint')}>
          <select id="scan-checkpoint" value={form.checkpoint} onChange={setCheckpoint}>
            <option value="">{t('any')}</option>
            {(cps.data?.checkpoints ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.id} — {c.name}
              </option>
            ))}
          </select>
        </Field>
        <Field id="scan-lane" label={t('lane')}>
          <select id="scan-lane" value={form.kiosk} onChange={set('kiosk')}>
            <option value="">{t('any')}</option>
            {lanes.map((l) => (
              <option key={l.id} value={l.id}>
                {l.label}
              </option>
            ))}
          </select>
        </Field>
        <TimeRangeFields
          idPrefix="scan"
          describedBy="scan-tz"
          from={form.from}
          to={form.to}
          onFrom={set('from')}
          onTo={set('to')}
        />
        <Field id="scan-decision" label={t('decision')}>
          <select id="scan-decision" value={form.decision} onChange={set('decision')}>
            <option value="">{t('any')}</option>
            {DECISIONS.map((d) => (
              <option key={d} value={d}>
                {t(d)}
              </option>
            ))}
          </select>
        </Field>
      </FilterForm>
      <Section title={t('scans')}>
        {one !== null && (
          <p class="notice" data-testid="scans-one">
            {t('oneScan')}{' '}
            <a href="#/scans" data-testid="scans-all">
              {t('allScans')}
            </a>
          </p>
        )}
        <ErrorBox error={scans.error} onRetry={scans.reload} testid="scans-error" />
        <Loading show={scans.loading} />
        <DataTable
          testid="scans-table"
          columns={[
            t('time'),
            t('checkpoint'),
            t('lane'),
            t('source'),
            t('decision'),
            t('reasons'),
            t('atTheLane'),
            t('overrides'),
          ]}
          empty={scans.data && scans.data.scans.length === 0 && t('noScans')}
        >
          {(scans.data?.scans ?? []).map((s) => (
            <tr key={s.id} data-testid="scan-row" data-scan-id={s.id}>
              <td class="nowrap">{formatTime(s.at, app.lang)}</td>
              <td>
                <code>{s.checkpointId}</code>
              </td>
              <td class="nowrap">{s.kioskName ?? laneName(s.kioskId)}</td>
              <td class="nowrap">{s.source}</td>
              <td>
                <DecisionChip decision={s.decision} />
              </td>
              <td class="reasons">
                <CodeList values={s.reasons.map((c) => reasonText(c, app.lang))} />
                {s.warnings.length > 0 && (
                  <div class="warnings">
                    <span aria-hidden="true">⚠ </span>
                    <CodeList values={s.warnings.map((c) => warningText(c, app.lang))} />
                  </div>
                )}
              </td>
              <td>
                <OutcomeView outcome={s.outcome} />
              </td>
              <td class="overrides">
                {s.overrides.map((o) => (
                  <OverrideLine key={o.id} override={o} />
                ))}
                {(s.acks ?? []).map((a) => (
                  <AckLine key={a.id} ack={a} />
                ))}
              </td>
            </tr>
          ))}
        </DataTable>
        <StackPager
          stack={pages}
          next={scans.data?.nextCursor ?? null}
          back={{ label: t('prevPage'), testid: 'scans-prev' }}
          forward={{ label: t('nextPage'), testid: 'scans-next' }}
        />
      </Section>
    </div>
  );
}
