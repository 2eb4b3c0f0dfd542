// Hand-drawn SVG charts for the overview: scans per hour per checkpoint (lines) and decisions
// per hour (stacked green/amber/red bars). Sizes come from a viewBox; CSS sets the width.
import { formatAxis } from './format.js';
import { t, type Lang } from './i18n.js';
import { labelIndexes, niceScale, seriesColour, type Bucket } from './chart-math.js';
import type { Decision } from './types.js';

const W = 720;
const H = 240;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };
const DECISION_FILL: Record<Decision, string> = { green: '#2e7d32', amber: '#f9a825', red: '#c62828' };

function Axes(props: {
  ticks: number[];
  max: number;
  buckets: readonly Bucket[];
  lang: Lang;
  withDay: boolean;
}) {
  const innerH = H - PAD.top - PAD.bottom;
  const innerW = W - PAD.left - PAD.right;
  const step = innerW / Math.max(1, props.buckets.length);
  return (
    <g class="axes">
      {props.ticks.map((v) => {
        const y = PAD.top + innerH - (v / props.max) * innerH;
        return (
          <g key={v}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y} y2={y} stroke="#d0d5dd" stroke-width="1" />
            <text x={PAD.left - 6} y={y + 4} text-anchor="end" font-size="11" fill="#475467">
              {v}
            </text>
          </g>
        );
      })}
      {labelIndexes(props.buckets.length, 8).map((i) => {
        const b = props.buckets[i];
        if (!b) return null;
        return (
          <text
            key={i}
            x={PAD.left + step * i + step / 2}
            y={H - 8}
            text-anchor="middle"
            font-size="11"
            fill="#475467"
          >
            {formatAxis(b.start, props.lang, props.withDay)}
          </text>
        );
      })}
    </g>
  );
}

/** Scans per hour, one line per checkpoint, with a legend. */
export function HourlyChart(props: {
  buckets: readonly Bucket[];
  checkpoints: readonly string[];
  lang: Lang;
  withDay: boolean;
}) {
  const { buckets, checkpoints } = props;
  let max = 0;
  for (const b of buckets) for (const id of checkpoints) max = Math.max(max, b.byCheckpoint[id] ?? 0);
  const scale = niceScale(max);
  const innerH = H - PAD.top - PAD.bottom;
  const innerW = W - PAD.left - PAD.right;
  const step = innerW / Math.max(1, buckets.length);
  const y = (v: number): number => PAD.top + innerH - (v / scale.max) * innerH;
  return (
    <figure class="chart" data-testid="chart-hourly">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('chartHourly')}>
        <Axes
          ticks={scale.ticks}
          max={scale.max}
          buckets={buckets}
          lang={props.lang}
          withDay={props.withDay}
        />
        {checkpoints.map((id, n) => {
          const pts = buckets.map(
            (b, i) =>
              `${(PAD.left + step * i + step / 2).toFixed(1)},${y(b.byCheckpoint[id] ?? 0).toFixed(1)}`,
          );
          return (
            <polyline
              key={id}
              points={pts.join(' ')}
              fill="none"
              stroke={seriesColour(n)}
              stroke-width="2"
              data-checkpoint={id}
            >
              <title>{id}</title>
            </polyline>
          );
        })}
      </svg>
      <figcaption class="legend">
        {checkpoints.map((id, n) => (
          <span key={id} class="legend-item">
            <svg viewBox="0 0 12 12" class="swatch" aria-hidden="true">
              <rect width="12" height="12" fill={seriesColour(n)} />
            </svg>
            {id}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

/** Decisions per hour as stacked bars (green at the bottom, then amber, then red). */
export function DecisionChart(props: { buckets: readonly Bucket[]; lang: Lang; withDay: boolean }) {
  const { buckets } = props;
  const scale = niceScale(Math.max(0, ...buckets.map((b) => b.total)));
  const innerH = H - PAD.top - PAD.bottom;
  const innerW = W - PAD.left - PAD.right;
  const step = innerW / Math.max(1, buckets.length);
  const barW = Math.max(1, step * 0.7);
  const order: Decision[] = ['green', 'amber', 'red'];
  return (
    <figure class="chart" data-testid="chart-decisions">
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
          const x = PAD.left + step * i + (step - barW) / 2;
          return (
            <g key={b.start}>
              {order.map((d) => {
                const v = b[d];
                if (v <= 0) return null;
                const y0 = PAD.top + innerH - ((base + v) / scale.max) * innerH;
                const h = (v / scale.max) * innerH;
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
                  >
                    <title>{`${formatAxis(b.start, props.lang, props.withDay)} ${t(d)}: ${v}`}</title>
                  </rect>
                );
              })}
            </g>
          );
        })}
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
    </figure>
  );
}
