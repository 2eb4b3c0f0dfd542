// Where and when, for a page of contacts: a small SVG strip per checkpoint (index scans as red
// triangles, contacts' scans as blue dots, a line joining each pair) above the evidence as one
// time-ordered table.
import { DataTable } from '../../components/data.js';
import { formatTime } from '../../format.js';
import { t, type Lang } from '../../i18n.js';
import { timeline, timeSpan, type TimelineItem } from '../../trace.js';
import type { TraceContact } from '../../types.js';
import { HopVia, minutesApart, SubjectText } from './trace-contacts.js';

const W = 900;
const ROW = 34;
/** The first track's height (under the time labels). */
const TOP = 38;
const LEFT = 110;
const RIGHT = 16;

function Strip(props: { items: readonly TimelineItem[]; lang: Lang }) {
  const span = timeSpan(props.items);
  if (!span) return null;
  const checkpoints = [...new Set(props.items.map((i) => i.evidence.checkpointId))].sort();
  const width = span.to - span.from || 1;
  const x = (at: number): number => LEFT + ((at - span.from) / width) * (W - LEFT - RIGHT);
  const y = (cp: string): number => TOP + checkpoints.indexOf(cp) * ROW;
  const height = TOP + (checkpoints.length - 1) * ROW + 16;
  return (
    <figure class="trace-strip" data-testid="trace-strip">
      <svg viewBox={`0 0 ${W} ${height}`} role="img" aria-label={t('timelineAria')}>
        <text x={LEFT} y={12} class="axis">
          {formatTime(span.from, props.lang)}
        </text>
        <text x={W - RIGHT} y={12} class="axis" text-anchor="end">
          {formatTime(span.to, props.lang)}
        </text>
        {checkpoints.map((cp) => (
          <g key={cp} data-checkpoint={cp}>
            <text x={4} y={y(cp) + 4} class="cp">
              {cp}
            </text>
            <line x1={LEFT} x2={W - RIGHT} y1={y(cp)} y2={y(cp)} class="track" />
          </g>
        ))}
        {props.items.map((i, n) => {
          const e = i.evidence;
          const cy = y(e.checkpointId);
          const ix = x(e.indexAt);
          const cx = x(e.at);
          return (
            <g key={n}>
              <title>
                {`${i.subject ?? t('unknownSubject')} · ${formatTime(e.at, props.lang)} · ${t('indexSubject')} ${e.indexSubject ?? t('unknownSubject')} · ${formatTime(e.indexAt, props.lang)}`}
              </title>
              <line x1={ix} x2={cx} y1={cy} y2={cy} class="pair" />
              <path d={`M${ix} ${cy - 7} l6 11 h-12 z`} class="index" />
              <circle cx={cx} cy={cy} r={5} class={`contact hop${i.hop}`} data-testid="trace-strip-dot" />
            </g>
          );
        })}
      </svg>
      <figcaption class="legend">
        <span class="legend-item">
          <span class="swatch index" aria-hidden="true" /> {t('timelineLegendIndex')}
        </span>
        <span class="legend-item">
          <span class="swatch contact" aria-hidden="true" /> {t('timelineLegendContact')}
        </span>
        <span class="legend-item">
          <span class="swatch contact hop2" aria-hidden="true" /> {t('timelineLegendContact2')}
        </span>
      </figcaption>
    </figure>
  );
}

/** The timeline of a page of contacts. */
export function TraceTimeline(props: {
  contacts: readonly TraceContact[];
  lang: Lang;
  laneName: (id: string) => string;
}) {
  const items = timeline(props.contacts);
  return (
    <div data-testid="trace-timeline">
      <Strip items={items} lang={props.lang} />
      <DataTable
        testid="trace-timeline-table"
        columns={[
          t('contactTime'),
          t('checkpoint'),
          t('lane'),
          t('contact'),
          t('hop'),
          t('indexSubject'),
          t('indexTime'),
        ]}
        empty={items.length === 0 && t('traceNoContacts')}
      >
        {items.map((i, n) => (
          <tr key={n} data-testid="trace-timeline-row" data-at={i.evidence.at}>
            <td class="nowrap">{formatTime(i.evidence.at, props.lang)}</td>
            <td>
              <code>{i.evidence.checkpointId}</code>
            </td>
            <td class="nowrap">{props.laneName(i.evidence.kioskId)}</td>
            <td>
              <SubjectText subject={i.subject} />
            </td>
            <td class="nowrap">
              <HopVia hop={i.hop} via={i.via} />
            </td>
            <td>
              <SubjectText subject={i.evidence.indexSubject} />
            </td>
            <td class="nowrap">
              {formatTime(i.evidence.indexAt, props.lang)}{' '}
              <span class="muted small-text">{minutesApart(i.evidence.at, i.evidence.indexAt)}</span>
            </td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}
