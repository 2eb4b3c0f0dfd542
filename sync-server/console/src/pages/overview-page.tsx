// Overview: scans per hour per checkpoint and decisions by colour over 24 h or 7 days, lanes
// online/offline, unattended gates in fault and unacknowledged alerts.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { bucketize, checkpointOrder, decisionTotals } from '../chart-math.js';
import { DecisionChart, HourlyChart } from '../charts.js';
import { t } from '../i18n.js';
import { subscribe } from '../live.js';
import type { Kiosk, ScanStats } from '../types.js';
import { ErrorBox, Loading, Section, useApp, useLoad } from '../ui.js';

/** The overview page. */
export function OverviewPage() {
  const app = useApp();
  const [range, setRange] = useState<'24h' | '7d'>('24h');
  const stats = useLoad(() => api<ScanStats>('GET', `/api/v1/admin/stats/scans?range=${range}`), [range]);
  const kiosks = useLoad(() => api<{ kiosks: Kiosk[] }>('GET', '/api/v1/admin/kiosks'), []);
  useEffect(
    () =>
      subscribe((e) => {
        if (e.name === 'kiosk-status' || e.name === 'gate') kiosks.reload();
        if (e.name === 'alert') stats.reload();
      }),
    [],
  );
  const live = kiosks.data?.kiosks.filter((k) => k.revokedAt === null) ?? [];
  const online = live.filter((k) => k.online).length;
  // Unattended gates, and those in fault (issue 17).
  const gates = live.filter((k) => k.gate?.unattended === true);
  const faulty = gates.filter((k) => (k.gate?.faults.length ?? 0) > 0).length;
  const s = stats.data;
  const buckets = s ? bucketize(s.series, s.from, s.to, s.bucketMs) : [];
  const order = s ? checkpointOrder(s.series) : [];
  const totals = decisionTotals(buckets);
  const total = totals.green + totals.amber + totals.red;
  return (
    <div class="page">
      <h1>{t('navOverview')}</h1>
      <div class="tiles">
        <a class="tile" href="#/checkpoints" data-testid="tile-online">
          <span class="tile-n">{kiosks.data ? online : '…'}</span>
          <span class="tile-l">{t('lanesOnline')}</span>
        </a>
        <a
          class={`tile ${live.length - online > 0 ? 'tile-warn' : ''}`}
          href="#/checkpoints"
          data-testid="tile-offline"
        >
          <span class="tile-n">{kiosks.data ? live.length - online : '…'}</span>
          <span class="tile-l">{t('lanesOffline')}</span>
        </a>
        <a class={`tile ${app.unacked > 0 ? 'tile-alert' : ''}`} href="#/alerts" data-testid="tile-alerts">
          <span class="tile-n">{app.unacked}</span>
          <span class="tile-l">{t('alertsUnacked')}</span>
        </a>
        {gates.length > 0 && (
          <a class={`tile ${faulty > 0 ? 'tile-alert' : ''}`} href="#/gates" data-testid="tile-gates">
            <span class="tile-n">
              {faulty}/{gates.length}
            </span>
            <span class="tile-l">{t('gatesTile')}</span>
          </a>
        )}
        <div class="tile" data-testid="tile-scans">
          <span class="tile-n">{s ? total : '…'}</span>
          <span class="tile-l">
            {t('scansTotal')} ({range === '24h' ? t('range24h') : t('range7d')})
          </span>
        </div>
      </div>
      <ErrorBox error={kiosks.error} onRetry={kiosks.reload} />
      <div class="segmented" role="group" aria-label={t('rangeLabel')}>
        {(['24h', '7d'] as const).map((r) => (
          <button
            key={r}
            type="button"
            class={range === r ? 'small selected' : 'small'}
            aria-pressed={range === r}
            data-testid={`range-${r}`}
            onClick={() => {
              setRange(r);
            }}
          >
            {r === '24h' ? t('range24h') : t('range7d')}
          </button>
        ))}
      </div>
      <ErrorBox error={stats.error} onRetry={stats.reload} />
      <Loading show={stats.loading && !s} />
      {s && (
        <div class="charts">
          <Section title={t('chartHourly')}>
            <HourlyChart buckets={buckets} checkpoints={order} lang={app.lang} withDay={range === '7d'} />
          </Section>
          <Section title={t('chartDecisions')}>
            {total > 0 && (
              <p class="totals">
                <span class="chip chip-green">
                  ✓ {t('green')}: {totals.green}
                </span>{' '}
                <span class="chip chip-amber">
                  ! {t('amber')}: {totals.amber}
                </span>{' '}
                <span class="chip chip-red">
                  ✕ {t('red')}: {totals.red}
                </span>
              </p>
            )}
            <DecisionChart buckets={buckets} lang={app.lang} withDay={range === '7d'} />
          </Section>
        </div>
      )}
    </div>
  );
}
