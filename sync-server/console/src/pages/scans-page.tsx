// Scans: search by subject, checkpoint, time and decision; newest first, paged by the server's
// cursor (with a way back); the same filters as a CSV download. `#/scans?scan=ID` (an alert's
// link) shows that one scan; `#/scans?vehicle=ID` one vehicle's scans (vehicle mode: its plate
// scan and passengers), opened by tapping a scan's vehicle marker. Each scan shows what happened
// at its lane and every override or acknowledgement naming it, a suspicious one (another lane's,
// unknown officers) flagged.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { AckLine, OutcomeView, OverrideLine } from '../components/outcome.js';
import { DataTable, StackPager, usePageStack } from '../components/data.js';
import { Field, FilterForm, TimeRangeFields, useFilters } from '../components/forms.js';
import { VehicleIcon } from '../components/vehicle-icon.js';
import { formatTime, laneChoices, scanQuery, type ScanFilters } from '../format.js';
import { t } from '../i18n.js';
import { DECISIONS, type Checkpoint, type Kiosk, type Scan } from '../types.js';
import { reasonText, warningText } from '../codes.js';
import { CodeList, DecisionChip, ErrorBox, Loading, Section, useApp, useLoad } from '../ui.js';

const EMPTY: ScanFilters = { subject: '', checkpoint: '', kiosk: '', from: '', to: '', decision: '' };
const PAGE = 50;

/** What the page's link names: one scan (an alert's link), or one vehicle (its plate scan's id). */
interface ScansLink {
  readonly scan: string | null;
  readonly vehicle: string | null;
}

/** The scan (`#/scans?scan=ID`) or vehicle (`#/scans?vehicle=ID`) the hash names. */
function readLink(): ScansLink {
  const q = new URLSearchParams(location.hash.split('?')[1] ?? '');
  return { scan: q.get('scan'), vehicle: q.get('scan') === null ? q.get('vehicle') : null };
}

/** The linked scan or vehicle, following hash changes while the page is open. */
function useLink(): ScansLink {
  const [link, setLink] = useState(readLink());
  useEffect(() => {
    const on = (): void => {
      setLink(readLink());
    };
    addEventListener('hashchange', on);
    return () => {
      removeEventListener('hashchange', on);
    };
  }, []);
  return link;
}

/** The link that shows one vehicle's scans. */
const vehicleHash = (vehicleId: string): string => `#/scans?vehicle=${encodeURIComponent(vehicleId)}`;

/**
 * A scan's vehicle marker (vehicle mode): "Xe", and "biển số" on the plate scan that opened it;
 * tapping it shows that vehicle's scans. Nothing for a scan in no vehicle.
 */
function VehicleMarker(props: { scan: Scan }) {
  const { id, vehicleId } = props.scan;
  if (vehicleId === null) return null;
  const plate = vehicleId === id;
  return (
    <button
      type="button"
      class="chip chip-vehicle"
      data-testid="scan-vehicle"
      data-vehicle-id={vehicleId}
      data-plate={plate ? 'true' : 'false'}
      title={t('vehicleShow')}
      aria-label={`${plate ? t('vehiclePlateScan') : t('vehicle')} — ${t('vehicleShow')}`}
      onClick={() => {
        location.hash = vehicleHash(vehicleId);
      }}
    >
      <VehicleIcon /> {t('vehicle')}
      {plate && ` · ${t('vehiclePlate')}`}
    </button>
  );
}

/** Above one vehicle's scans: what is shown, and (when it fits one page) the plate and passengers. */
function VehicleNotice(props: { vehicleId: string; scans: readonly Scan[] | null; whole: boolean }) {
  const { scans } = props;
  const plate = scans?.some((s) => s.id === props.vehicleId) === true;
  const passengers = scans?.filter((s) => s.id !== props.vehicleId).length ?? 0;
  return (
    <p class="notice" data-testid="scans-vehicle" data-vehicle-id={props.vehicleId}>
      {t('oneVehicle')}{' '}
      {props.whole && scans !== null && (
        <span
          data-testid="scans-vehicle-count"
          data-plate={plate ? 'true' : 'false'}
          data-passengers={passengers}
        >
          {plate ? t('vehicleCount', { n: passengers }) : t('vehicleCountNoPlate', { n: passengers })}{' '}
        </span>
      )}
      <a href="#/scans" data-testid="scans-all">
        {t('allScans')}
      </a>
    </p>
  );
}

/** The scans page. */
export function ScansPage() {
  const app = useApp();
  const filters = useFilters(EMPTY);
  const { form, applied, set } = filters;
  const pages = usePageStack<string>();
  const cursor = pages.current;
  const { scan: one, vehicle } = useLink();
  // Another view: its own pages (a cursor of one view would skip scans of the other).
  useEffect(() => {
    pages.reset();
  }, [one, vehicle]);
  const cps = useLoad(() => api<{ checkpoints: Checkpoint[] }>('GET', '/api/v1/admin/checkpoints'), []);
  const kiosks = useLoad(() => api<{ kiosks: Kiosk[] }>('GET', '/api/v1/admin/kiosks'), []);
  const scans = useLoad(
    () =>
      api<{ scans: Scan[]; nextCursor: string | null }>(
        'GET',
        one !== null
          ? `/api/v1/admin/scans?scan=${encodeURIComponent(one)}`
          : vehicle !== null
            ? `/api/v1/admin/scans${scanQuery(EMPTY, { vehicle, limit: PAGE, cursor })}`
            : `/api/v1/admin/scans${scanQuery(applied, { limit: PAGE, cursor })}`,
      ),
    [applied, cursor, one, vehicle],
  );
  // A vehicle's scans ignore the form's filters, and so does their export.
  const exportQuery = vehicle !== null && one === null ? scanQuery(EMPTY, { vehicle }) : scanQuery(applied);
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
          if (one !== null || vehicle !== null) location.hash = '#/scans';
          pages.reset();
          filters.apply();
        }}
        buttons={
          <a
            class="button"
            data-testid="scans-export"
            href={`/api/v1/admin/scans/export.csv${exportQuery}`}
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
        {vehicle !== null && one === null && (
          <VehicleNotice
            vehicleId={vehicle}
            scans={scans.data?.scans ?? null}
            whole={cursor === undefined && scans.data?.nextCursor === null}
          />
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
            t('vehicle'),
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
              <td class="nowrap">
                <VehicleMarker scan={s} />
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
