// Arrivals (Đến địa phương): who declared travelling to a province, district or ward, from where
// and when, and whether and where they passed a checkpoint (a green scan of their pass). Personal data: the server audits every
// read. An account limited to a province sees that province only.
import { describeArea, PROVINCES } from '@checkpoint-lane/shared';
import { api } from '../api.js';
import { DataTable } from '../components/data.js';
import { Field, FilterForm, TimeRangeFields, useFilters } from '../components/forms.js';
import { buildQuery, formatTime, localInputToIso } from '../format.js';
import { t } from '../i18n.js';
import type { Arrival, ArrivalsAnswer } from '../types.js';
import { ErrorBox, Loading, Section, useApp, useLoad } from '../ui.js';

interface ArrivalFilters {
  province: string;
  district: string;
  ward: string;
  from: string;
  to: string;
}

/**
 * The passage cell: not passed yet (also a declaration held by the health list: the answer does
 * not tell them apart), or the last checkpoint and time (and how many passages).
 */
function Passage(props: { a: Arrival }) {
  const app = useApp();
  const a = props.a;
  return (
    <>
      {a.passage === null ? (
        <span class="muted" data-testid="arrival-not-passed">
          {t('arrivalsNotPassed')}
        </span>
      ) : (
        <span data-testid="arrival-passed">
          <strong>{a.passage.checkpointName}</strong> · {formatTime(a.passage.at, app.lang)}
          {a.passages > 1 && <> · {t('arrivalsTimes', { n: a.passages })}</>}
        </span>
      )}
      {a.revoked && <div class="error small-text">{t('arrivalsRevoked')}</div>}
    </>
  );
}

/** The arrivals page. */
export function ArrivalsPage() {
  const app = useApp();
  const scope = app.session.account.province ?? null;
  const filters = useFilters<ArrivalFilters>({
    province: scope === null ? '' : String(scope),
    district: '',
    ward: '',
    from: '',
    to: '',
  });
  const { form, applied, set } = filters;
  const list = useLoad(
    () =>
      applied.province === ''
        ? Promise.resolve(null)
        : api<ArrivalsAnswer>(
            'GET',
            `/api/v1/admin/arrivals${buildQuery({
              province: applied.province,
              district: applied.district.trim(),
              ward: applied.ward.trim(),
              from: localInputToIso(applied.from) ?? '',
              to: localInputToIso(applied.to) ?? '',
            })}`,
          ),
    [applied],
  );
  const arrivals = list.data?.arrivals ?? [];
  const provinceLabel = (code: number): string =>
    PROVINCES.find((p) => p.code === code)?.[app.lang] ?? String(code);
  return (
    <div class="page">
      <h1>{t('navArrivals')}</h1>
      <FilterForm
        testid="arrivals-filter"
        submitTestid="arrivals-search"
        onSubmit={() => {
          filters.apply();
        }}
        note={
          <>
            {scope !== null && <div>{t('arrivalsScoped', { province: provinceLabel(scope) })}</div>}
            <div class="muted small-text">{t('arrivalsAudited')}</div>
          </>
        }
      >
        <Field id="arrivals-province" label={t('arrivalsProvince')}>
          <select
            id="arrivals-province"
            data-testid="arrivals-province"
            value={form.province}
            disabled={scope !== null}
            onChange={set('province')}
          >
            <option value="">—</option>
            {PROVINCES.map((p) => (
              <option key={p.code} value={String(p.code)}>
                {p[app.lang]}
              </option>
            ))}
          </select>
        </Field>
        <Field id="arrivals-district" label={t('arrivalsDistrict')}>
          <input
            id="arrivals-district"
            inputMode="numeric"
            pattern="[0-9]{1,3}"
            maxLength={3}
            size={5}
            value={form.district}
            onInput={set('district')}
          />
        </Field>
        <Field id="arrivals-ward" label={t('arrivalsWard')}>
          <input
            id="arrivals-ward"
            inputMode="numeric"
            pattern="[0-9]{1,5}"
            maxLength={5}
            size={7}
            value={form.ward}
            onInput={set('ward')}
          />
        </Field>
        <TimeRangeFields
          idPrefix="arrivals"
          from={form.from}
          to={form.to}
          onFrom={set('from')}
          onTo={set('to')}
        />
      </FilterForm>
      <Section title={t('arrivalsList', { n: arrivals.length })}>
        <ErrorBox error={list.error} onRetry={list.reload} testid="arrivals-error" />
        <Loading show={list.loading} />
        {applied.province === '' && <p class="muted">{t('arrivalsPick')}</p>}
        <DataTable
          testid="arrivals-table"
          columns={[
            t('arrivalsName'),
            t('arrivalsId'),
            t('arrivalsPhone'),
            t('arrivalsFrom'),
            t('arrivalsTo'),
            t('arrivalsTravelDate'),
            t('arrivalsPlate'),
            t('arrivalsPassage'),
          ]}
          empty={list.data && arrivals.length === 0 && t('none')}
        >
          {arrivals.map((a) => (
            <tr key={a.declarationId} data-testid="arrival-row">
              <td>{a.fullName}</td>
              <td class="nowrap">
                <code>{a.personalId}</code>
              </td>
              <td class="nowrap">{a.phone}</td>
              <td>{describeArea(a.from, app.lang)}</td>
              <td>{describeArea(a.to, app.lang)}</td>
              <td class="nowrap">{a.travelDate}</td>
              <td class="nowrap">{a.plate ?? ''}</td>
              <td>
                <Passage a={a} />
              </td>
            </tr>
          ))}
        </DataTable>
      </Section>
    </div>
  );
}
