// Scans: search by subject, checkpoint, time and decision; newest first, paged by the server's
// cursor (with a way back); the same filters as a CSV download.
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { formatTime, laneChoices, scanQuery, type ScanFilters } from '../format.js';
import { t } from '../i18n.js';
import type { Checkpoint, Kiosk, Scan } from '../types.js';
import { overrideReasonText, reasonText, warningText } from '../codes.js';
import { CodeLabel, CodeList, DecisionChip, ErrorBox, Loading, Section, useApp, useLoad } from '../ui.js';

const EMPTY: ScanFilters = { subject: '', checkpoint: '', kiosk: '', from: '', to: '', decision: '' };
const PAGE = 50;

/** The scans page. */
export function ScansPage() {
  const app = useApp();
  const [form, setForm] = useState<ScanFilters>(EMPTY);
  const [applied, setApplied] = useState<ScanFilters>(EMPTY);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const cps = useLoad(() => api<{ checkpoints: Checkpoint[] }>('GET', '/api/v1/admin/checkpoints'), []);
  const kiosks = useLoad(() => api<{ kiosks: Kiosk[] }>('GET', '/api/v1/admin/kiosks'), []);
  const scans = useLoad(
    () =>
      api<{ scans: Scan[]; nextCursor: string | null }>(
        'GET',
        `/api/v1/admin/scans${scanQuery(applied, { limit: PAGE, cursor })}`,
      ),
    [applied, cursor],
  );
  const laneName = (id: string): string => kiosks.data?.kiosks.find((k) => k.id === id)?.name ?? id;
  const set = (k: keyof ScanFilters) => (e: Event) => {
    const v = (e.currentTarget as HTMLInputElement).value;
    setForm((f) => ({ ...f, [k]: v }));
  };
  const lanes = laneChoices(kiosks.data?.kiosks ?? [], form.checkpoint, t('revoked'));
  const setCheckpoint = (e: Event) => {
    const checkpoint = (e.currentTarget as HTMLSelectElement).value;
    // A lane of another checkpoint would match nothing: drop it with the change.
    const keep = (id: string): boolean =>
      checkpoint === '' || kiosks.data?.kiosks.find((k) => k.id === id)?.checkpointId === checkpoint;
    setForm((f) => ({ ...f, checkpoint, kiosk: keep(f.kiosk) ? f.kiosk : '' }));
  };
  const next = scans.data?.nextCursor ?? null;
  return (
    <div class="page">
      <h1>{t('navScans')}</h1>
      <form
        class="filters card"
        data-testid="scans-filter"
        onSubmit={(e) => {
          e.preventDefault();
          setCursors([]);
          setApplied({ ...form });
        }}
      >
        <div class="field">
          <label for="scan-subject">{t('subject')}</label>
          <input
            id="scan-subject"
            maxLength={64}
            autocomplete="off"
            value={form.subject}
            onInput={set('subject')}
          />
        </div>
        <div class="field">
          <label for="scan-checkpoint">{t('checkpoint')}</label>
          <select id="scan-checkpoint" value={form.checkpoint} onChange={setCheckpoint}>
            <option value="">{t('any')}</option>
            {(cps.data?.checkpoints ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.id} — {c.name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="scan-lane">{t('lane')}</label>
          <select id="scan-lane" value={form.kiosk} onChange={set('kiosk')}>
            <option value="">{t('any')}</option>
            {lanes.map((l) => (
              <option key={l.id} value={l.id}>
                {l.label}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="scan-from">{t('from')}</label>
          <input
            id="scan-from"
            type="datetime-local"
            aria-describedby="scan-tz"
            value={form.from}
            onInput={set('from')}
          />
        </div>
        <div class="field">
          <label for="scan-to">{t('to')}</label>
          <input
            id="scan-to"
            type="datetime-local"
            aria-describedby="scan-tz"
            value={form.to}
            onInput={set('to')}
          />
        </div>
        <div class="field">
          <label for="scan-decision">{t('decision')}</label>
          <select id="scan-decision" value={form.decision} onChange={set('decision')}>
            <option value="">{t('any')}</option>
            <option value="green">{t('green')}</option>
            <option value="amber">{t('amber')}</option>
            <option value="red">{t('red')}</option>
          </select>
        </div>
        <div class="buttons">
          <button type="submit" class="primary" data-testid="scans-search">
            {t('search')}
          </button>
          <a
            class="button"
            data-testid="scans-export"
            href={`/api/v1/admin/scans/export.csv${scanQuery(applied)}`}
            download
          >
            {t('exportCsv')}
          </a>
        </div>
        <p id="scan-tz" class="hint form-note">
          {t('vnTime')}
        </p>
      </form>
      <Section title={t('scans')}>
        <ErrorBox error={scans.error} onRetry={scans.reload} testid="scans-error" />
        <Loading show={scans.loading} />
        <div class="scroll">
          <table class="table" data-testid="scans-table">
            <thead>
              <tr>
                <th scope="col">{t('time')}</th>
                <th scope="col">{t('checkpoint')}</th>
                <th scope="col">{t('lane')}</th>
                <th scope="col">{t('source')}</th>
                <th scope="col">{t('decision')}</th>
                <th scope="col">{t('reasons')}</th>
                <th scope="col">{t('overrides')}</th>
              </tr>
            </thead>
            <tbody>
              {(scans.data?.scans ?? []).map((s) => (
                <tr key={s.id} data-testid="scan-row" data-scan-id={s.id}>
                  <td class="nowrap">{formatTime(s.at, app.lang)}</td>
                  <td>
                    <code>{s.checkpointId}</code>
                  </td>
                  <td class="nowrap">{laneName(s.kioskId)}</td>
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
                  <td class="overrides">
                    {s.overrides.map((o) => (
                      <div key={o.id} class="override" data-testid="scan-override">
                        <DecisionChip decision={o.originalDecision} /> →{' '}
                        <DecisionChip decision={o.decision} />
                        <div class="muted">
                          {t('officer')}: {o.officerId}
                          {o.supervisorId !== null && `, ${t('supervisor')}: ${o.supervisorId}`};{' '}
                          {t('reason')}: <CodeLabel value={overrideReasonText(o.reason, app.lang)} />
                          {o.note !== '' && `; ${t('note')}: ${o.note}`}
                        </div>
                      </div>
                    ))}
                  </td>
                </tr>
              ))}
              {scans.data && scans.data.scans.length === 0 && (
                <tr>
                  <td colSpan={7} class="empty">
                    {t('noScans')}
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
            data-testid="scans-prev"
            disabled={cursors.length === 0}
            onClick={() => {
              setCursors((c) => c.slice(0, -1));
            }}
          >
            {t('prevPage')}
          </button>
          <button
            type="button"
            class="small"
            data-testid="scans-next"
            disabled={next === null}
            onClick={() => {
              if (next !== null) setCursors((c) => [...c, next]);
            }}
          >
            {t('nextPage')}
          </button>
        </div>
      </Section>
    </div>
  );
}
