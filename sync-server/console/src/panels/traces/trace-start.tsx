// Starting a trace: index subjects from typed lines, a pasted CSV (each line's first field that
// reads as an ID) or "every F0 added since…"; what was read and which lines were refused shown
// as it is typed; the window (± minutes), the period of index scans and 1 or 2 hops.
import { useMemo, useState } from 'preact/hooks';
import { ApiError, errorText } from '../../api.js';
import { Field, SubmitForm, useAction } from '../../components/forms.js';
import { localInputToIso } from '../../format.js';
import { t } from '../../i18n.js';
import { subjectsFromCsv, subjectsFromLines, type ReadSubjects } from '../../trace.js';
import { ErrorBox, Notice, Section } from '../../ui.js';
import type { TraceRequest } from '../../types.js';
import { startTrace } from './trace-api.js';

type Source = 'lines' | 'csv' | 'f0';
const SOURCES: readonly Source[] = ['lines', 'csv', 'f0'];
const SOURCE_TEXT = { lines: 'traceSourceLines', csv: 'traceSourceCsv', f0: 'traceSourceF0' } as const;
/** Refused lines shown (the rest counted). */
const REFUSED_SHOWN = 10;

/** What was read from the text, as the form shows it under the box. */
function ReadReport(props: { read: ReadSubjects }) {
  const r = props.read;
  return (
    <div class="trace-read" data-testid="trace-read" aria-live="polite">
      <p data-testid="trace-read-count" data-read={r.read} data-distinct={r.subjects.length}>
        {t('traceRead', { n: r.read, distinct: r.subjects.length })}
        {r.header && ` ${t('traceHeaderSkipped')}`}
      </p>
      {r.refused.length > 0 && (
        <div class="refused" data-testid="trace-refused">
          <p>{t('traceRefused', { n: r.refused.length })}</p>
          <ul>
            {r.refused.slice(0, REFUSED_SHOWN).map((l) => (
              <li key={l.line} data-testid="trace-refused-line" data-line={l.line}>
                {t('traceRefusedLine', { line: l.line, text: l.text })}
              </li>
            ))}
            {r.refused.length > REFUSED_SHOWN && (
              <li>{t('traceRefusedMore', { n: r.refused.length - REFUSED_SHOWN })}</li>
            )}
          </ul>
        </div>
      )}
    </div>
  );
}

/**
 * A refusal as text; a `bad_subjects` one names the subjects the server could not read, a
 * `trace_busy` one says to wait.
 */
function refusalText(e: unknown): string {
  if (e instanceof ApiError && e.code === 'trace_busy') return t('traceBusy');
  if (e instanceof ApiError && e.code === 'bad_subjects') {
    const body = e.body as { subjects?: { text?: unknown }[] } | null;
    const named = (body?.subjects ?? []).flatMap((s) => (typeof s.text === 'string' ? [s.text] : []));
    if (named.length > 0) return `${e.message}: ${named.slice(0, 10).join(', ')}`;
  }
  return errorText(e);
}

/** The "start a trace" card; `onStarted` gets the new trace's id. */
export function TraceStart(props: { onStarted: (id: string) => void }) {
  const [source, setSource] = useState<Source>('lines');
  const [text, setText] = useState('');
  const [since, setSince] = useState('');
  const [windowMin, setWindowMin] = useState('15');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [hops, setHops] = useState<1 | 2>(1);
  const action = useAction(refusalText);
  const read = useMemo(
    () => (source === 'lines' ? subjectsFromLines(text) : source === 'csv' ? subjectsFromCsv(text) : null),
    [source, text],
  );
  const submit = (): void => {
    const minutes = Number(windowMin);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
      action.setError(t('traceBadWindow'));
      return;
    }
    const body: TraceRequest = { subjects: [], windowMinutes: minutes, hops };
    if (read) {
      if (read.subjects.length === 0) {
        action.setError(t('traceNoSubjects'));
        return;
      }
      body.subjects = read.subjects;
    } else {
      const iso = localInputToIso(since);
      if (iso === null || iso === '') {
        action.setError(t('traceNoSince'));
        return;
      }
      body.f0Since = iso;
    }
    const fromIso = localInputToIso(from);
    const toIso = localInputToIso(to);
    if (fromIso) body.from = fromIso;
    if (toIso) body.to = toIso;
    void action.run(async () => {
      const id = await startTrace(body);
      action.setNotice(t('traceStarted'));
      setText('');
      props.onStarted(id);
    }, true);
  };
  return (
    <Section title={t('traceStart')} testid="trace-start">
      <SubmitForm class="trace-form" testid="trace-form" onSubmit={submit}>
        <div class="segmented" role="group" aria-label={t('traceSourceLabel')}>
          {SOURCES.map((s) => (
            <button
              key={s}
              type="button"
              class={source === s ? 'selected' : ''}
              aria-pressed={source === s}
              data-testid={`trace-source-${s}`}
              onClick={() => {
                setSource(s);
                action.setError(null);
              }}
            >
              {t(SOURCE_TEXT[s])}
            </button>
          ))}
        </div>
        {read ? (
          <Field id="trace-subjects" label={source === 'lines' ? t('traceLinesLabel') : t('traceCsvLabel')}>
            <textarea
              id="trace-subjects"
              data-testid="trace-subjects"
              rows={6}
              spellcheck={false}
              autocomplete="off"
              value={text}
              onInput={(e) => {
                setText(e.currentTarget.value);
              }}
            />
          </Field>
        ) : (
          <Field id="trace-f0-since" label={t('traceF0Since')}>
            <input
              id="trace-f0-since"
              data-testid="trace-f0-since"
              type="datetime-local"
              value={since}
              onInput={(e) => {
                setSince(e.currentTarget.value);
              }}
            />
          </Field>
        )}
        {read && text.trim() !== '' && <ReadReport read={read} />}
        <div class="trace-params">
          <Field id="trace-window" label={t('traceWindow')}>
            <input
              id="trace-window"
              data-testid="trace-window"
              type="number"
              inputMode="numeric"
              min={1}
              max={1440}
              value={windowMin}
              onInput={(e) => {
                setWindowMin(e.currentTarget.value);
              }}
            />
          </Field>
          <Field id="trace-from" label={t('tracePeriodFrom')}>
            <input
              id="trace-from"
              data-testid="trace-from"
              type="datetime-local"
              aria-describedby="trace-period-hint"
              value={from}
              onInput={(e) => {
                setFrom(e.currentTarget.value);
              }}
            />
          </Field>
          <Field id="trace-to" label={t('tracePeriodTo')}>
            <input
              id="trace-to"
              data-testid="trace-to"
              type="datetime-local"
              aria-describedby="trace-period-hint"
              value={to}
              onInput={(e) => {
                setTo(e.currentTarget.value);
              }}
            />
          </Field>
          <fieldset class="field" data-testid="trace-hops">
            <legend>{t('traceHops')}</legend>
            {([1, 2] as const).map((h) => (
              <span class="check" key={h}>
                <input
                  type="radio"
                  id={`trace-hops-${h}`}
                  name="trace-hops"
                  data-testid={`trace-hops-${h}`}
                  checked={hops === h}
                  onChange={() => {
                    setHops(h);
                  }}
                />
                <label for={`trace-hops-${h}`}>{h === 1 ? t('traceHop1') : t('traceHop2')}</label>
              </span>
            ))}
          </fieldset>
        </div>
        <p id="trace-period-hint" class="hint form-note">
          {t('tracePeriodHint')}
        </p>
        <ErrorBox error={action.error} testid="trace-start-error" />
        <Notice text={action.notice} testid="trace-start-done" />
        <div class="buttons">
          <button type="submit" class="primary" disabled={action.busy} data-testid="trace-run">
            {t('traceRun')}
          </button>
        </div>
      </SubmitForm>
    </Section>
  );
}
