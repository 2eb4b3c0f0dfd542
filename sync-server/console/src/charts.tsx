// Hand-drawn SVG charts for the overview: scans per hour per checkpoint (lines, the busiest
// eight and "others") and decisions per hour (stacked green/amber/red bars). Sizes come from a
// viewBox; CSS sets the width. Hovering an hour shows its exact counts (SVG <title>).
import type { ComponentChildren } from 'preact';
import { formatAxis, formatHour } from './format.js';
import { t, type Lang } from './i18n.js';
import {
  checkpointTotals,
  daySpans,
  hourTicks,
  niceScale,
  planSeries,
  seriesColour,
  sumOf,
  type Bucket,
} from './chart-math.js';
import { DECISIONS, type Decision } from './types.js';

const W = 720;
const H = 240;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };
const INNER_W = W - PAD.left - PAD.right;
const INNER_H = H - PAD.top - PAD.bottom;
const DECISION_FILL: Record<Decision, string> = { green: '#2e7d32', amber: '#f9a825', red: '#c62828' };
const OTHERS_COLOUR = '#98a2b3';
/** A day of the 7-day chart shorter than this many hours gets no label (it would collide). */
const MIN_LABELLED_HOURS = 8;

const step = (buckets: readonly Bucket[]): number => INNER_W / Math.max(1, buckets.length);
const centre = (buckets: readonly Bucket[], i: number): number =>
  PAD.left + step(buckets) * i + step(buckets) / 2;

function Axes(props: {
  ticks: number[];
  max: number;
  buckets: readonly Bucket[];
  lang: Lang;
  withDay: boolean;
}) {
  const { buckets } = props;
  const s = step(buckets);
  const labels: { x: number; text: string }[] = [];
  const separators: number[] = [];
  if (props.withDay) {
    // One label per Vietnam day, in the middle of its hours; a line where each day begins.
    for (const d of daySpans(buckets)) {
      if (d.start > 0) separators.push(PAD.left + s * d.start);
      if (d.end - d.start >= MIN_LABELLED_HOURS)
        labels.push({ x: PAD.left + s * ((d.start + d.end) / 2), text: formatAxis(d.at, props.lang, true) });
    }
  } else {
    for (const i of hourTicks(buckets, 3)) {
      const b = buckets[i];
      if (b) labels.push({ x: centre(buckets, i), text: formatAxis(b.start, props.lang, false) });
    }
  }
  return (
    <g class="axes">
      {props.ticks.map((v) => {
        const y = PAD.top + INNER_H - (v / props.max) * INNER_H;
        return (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} stroke="#d0d5dd" stroke-width="1" />
            <text x={PAD.left - 6} y={y + 4} text-anchor="end" font-size="11" fill="#475467">
              {v}
            </text>
          </g>
        );
      })}
      {separators.map((x) => (
        <line
          key={`sep-${x}`}
          x1={x}
          x2={x}
          y1={PAD.top}
          y2={PAD.top + INNER_H}
          stroke="#e4e7ec"
          stroke-width="1"
        />
      ))}
      {labels.map((l) => (
        <text key={`${l.x}`} x={l.x} y={H - 8} text-anchor="middle" font-size="11" fill="#475467">
          {l.text}
        </text>
      ))}
    </g>
  );
}

/** Transparent columns, one per hour, whose titles give the exact counts on hover. */
function HoverColumns(props: { buckets: readonly Bucket[]; title: (b: Bucket) => string }) {
  const s = step(props.buckets);
  return (
    <g class="hover">
      {props.buckets.map((b, i) => (
        <rect key={b.start} x={PAD.left + s * i} y={PAD.top} width={s} height={INNER_H} fill="transparent">
          <title>{props.title(b)}</title>
        </rect>
      ))}
    </g>
  );
}

/** The chart's frame: its test id, and a one-line message instead of an empty drawing. */
function ChartFrame(props: { testid: string; empty: boolean; children: ComponentChildren }) {
  return (
    <figure class="chart" data-testid={props.testid} data-empty={props.empty ? 'true' : undefined}>
      {props.empty ? <p class="empty">{t('chartEmpty')}</p> : props.children}
    </figure>
  );
}

/**
 * Scans per hour: one line per checkpoint that had scans (the busiest eight; the rest summed
 * into a dashed "others" line), with a legend of totals.
 */
export function HourlyChart(props: {
  buckets: readonly Bucket[];
  checkpoints: readonly string[];
  lang: Lang;
  withDay: boolean;
}) {
  const { buckets } = props;
  const plan = planSeries(props.checkpoints);
  const totals = checkpointTotals(buckets);
  const othersTotal = plan.others.reduce((n, id) => n + (totals[id] ?? 0), 0);
  let max = 0;
  for (const b of buckets) {
    for (const id of plan.shown) max = Math.max(max, b.byCheckpoint[id] ?? 0);
    if (plan.others.length > 0) max = Math.max(max, sumOf(b, plan.others));
  }
  const scale = niceScale(max);
  const y = (v: number): number => PAD.top + INNER_H - (v / scale.max) * INNER_H;
  const points = (value: (b: Bucket) => number): string =>
    buckets.map((b, i) => `${centre(buckets, i).toFixed(1)},${y(value(b)).toFixed(1)}`).join(' ');
  const title = (b: Bucket): string => {
    const lines = [`${formatHour(b.start, props.lang)} — ${t('scansCount', { n: b.total })}`];
    for (const id of plan.shown) {
      const n = b.byCheckpoint[id] ?? 0;
      if (n > 0) lines.push(`${id}: ${n}`);
    }
    const others = sumOf(b, plan.others);
    if (others > 0) lines.push(`${t('othersSeries', { n: plan.others.length })}: ${others}`);
    return lines.join('\n');
  };
  return (
    <ChartFrame testid="chart-hourly" empty={props.checkpoints.length === 0}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('chartHourly')}>
        <Axes
          ticks={scale.ticks}
          max={scale.max}
          buckets={buckets}
          lang={props.lang}
          withDay={props.withDay}
        />
        {plan.others.length > 0 && (
          <polyline
            points={points((b) => sumOf(b, plan.others))}
            fill="none"
            stroke={OTHERS_COLOUR}
            stroke-width="2"
            stroke-dasharray="5 3"
            data-series="others"
          />
        )}
        {plan.shown.map((id, n) => (
          <polyline
            key={id}
            points={points((b) => b.byCheckpoint[id] ?? 0)}
            fill="none"
            stroke={seriesColour(n)}
            stroke-width="2"
            stroke-linejoin="round"
            data-checkpoint={id}
          />
        ))}
        <HoverColumns buckets={buckets} title={title} />
      </svg>
      <figcaption class="legend">
        {plan.shown.map((id, n) => (
          <span key={id} class="legend-item" title={t('scansCount', { n: totals[id] ?? 0 })}>
            <svg viewBox="0 0 12 12" class="swatch" aria-hidden="true">
              <rect width="12" height="12" fill={seriesColour(n)} />
            </svg>
            <code>{id}</code> <span class="muted">({totals[id] ?? 0})</span>
          </span>
        ))}
        {plan.others.length > 0 && (
          <span class="legend-item" title={plan.others.join(', ')}>
            <svg viewBox="0 0 12 12" class="swatch" aria-hidden="true">
              <rect width="12" height="12" fill={OTHERS_COLOUR} />
            </svg>
            {t('othersSeries', { n: plan.others.length })} <span class="muted">({othersTotal})</span>
          </span>
        )}
      </figcaption>
    </ChartFrame>
  );
}

/** Decisions per hour as stacked bars (green at the bottom, then amber, then red). */
export function DecisionChart(props: { buckets: readonly Bucket[]; lang: Lang; withDay: boolean }) {
  const { buckets } = props;
  const top = Math.max(0, ...buckets.map((b) => b.total));
  const scale = niceScale(top);
  const s = step(buckets);
  const barW = Math.max(1, s * 0.7);
  const order = DECISIONS;
  const title = (b: Bucket): string =>
    [
      `${formatHour(b.start, props.lang)} — ${t('scansCount', { n: b.total })}`,
      ...order.map((d) => `${t(d)}: ${b[d]}`),
    ].join('\n');
  return (
    <ChartFrame testid="chart-decisions" empty={top === 0}>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('chartDecisions')}>
        <Axes
          ticks={scale.ticks}
          max={scale.max}
          buckets={buckets}
          lang={props.lang}
          withDay={props.withDay}
        />
        {buckets.map((b, i) => {
          let base = 0;
          const x = PAD.left + s * i + (s - barW) / 2;
          return (
            <g key={b.start}>
              {order.map((d) => {
                const v = b[d];
                if (v <= 0) return null;
                const y0 = PAD.top + INNER_H - ((base + v) / scale.max) * INNER_H;
                const h = (v / scale.max) * INNER_H;
                base += v;
                return (
                  <rect
                    key={d}
                    x={x}
                    y={y0}
                    width={barW}
                    height={h}
                    fill={DECISION_FILL[d]}
                    data-decision={d}
                  />
                );
              })}
            </g>
          );
        })}
        <HoverColumns buckets={buckets} title={title} />
      </svg>
      <figcaption class="legend">
        {order.map((d) => (
          <span key={d} class="legend-item">
            <svg viewBox="0 0 12 12" class="swatch" aria-hidden="true">
              <rect width="12" height="12" fill={DECISION_FILL[d]} />
            </svg>
            {t(d)}
          </span>
        ))}
      </figcaption>
    </ChartFrame>
  );
}
