// What happened at the lane after a scan (acknowledged, overridden by whom, pending), and
// whether the server believes the lane's record: shared by the alerts and scans pages.
import { issueText, overrideReasonText } from '../codes.js';
import { formatTime } from '../format.js';
import { t, type TextKey } from '../i18n.js';
import type { Ack, LaneOutcome, Override } from '../types.js';
import { CodeLabel, CodeList, DecisionChip, useApp } from '../ui.js';

/** "Trần An (an)", or the bare id when the roster does not know it. */
const person = (id: string, name: string | null): string => (name === null ? id : `${name} (${id})`);

/** Checked, suspicious (with the reasons) or not checked; and the lane that sent it when asked. */
export function RecordTrust(props: { record: Override | Ack; showLane?: boolean }) {
  const app = useApp();
  const r = props.record;
  const suspicious = r.verified === false && !(r.issues.length === 1 && r.issues[0] === 'no_roster');
  return (
    <span class="record-trust">
      {r.verified === true ? (
        <span class="badge-text ok" data-testid="record-verified">
          {t('verifiedRecord')}
        </span>
      ) : (
        <span
          class={suspicious ? 'badge-text suspicious' : 'badge-text'}
          data-testid={suspicious ? 'record-suspicious' : 'record-unchecked'}
        >
          {suspicious ? `⚠ ${t('suspicious')}` : t('uncheckedRecord')}
          {r.issues.length > 0 && (
            <>
              {': '}
              <CodeList values={r.issues.map((c) => issueText(c, app.lang))} />
            </>
          )}
        </span>
      )}
      {props.showLane === true && <span class="muted"> · {t('sentByLane', { lane: r.kioskName })}</span>}
    </span>
  );
}

/** One override: colours, who (names from the roster), reason, note, and the server's verdict. */
export function OverrideLine(props: { override: Override; showLane?: boolean; testid?: string }) {
  const app = useApp();
  const o = props.override;
  return (
    <div
      class={o.verified === false ? 'override suspicious' : 'override'}
      data-testid={props.testid ?? 'scan-override'}
    >
      <DecisionChip decision={o.originalDecision} /> → <DecisionChip decision={o.decision} />{' '}
      <span data-testid="override-people">
        {t('overrideBy', { officer: person(o.officerId, o.officerName) })}
        {o.supervisorId !== null &&
          `, ${t('supervisedBy', { supervisor: person(o.supervisorId, o.supervisorName) })}`}
      </span>
      <div class="muted">
        {t('reason')}: <CodeLabel value={overrideReasonText(o.reason, app.lang)} />
        {o.note !== '' && `; ${t('note')}: ${o.note}`} · {formatTime(o.at, app.lang)}
      </div>
      <RecordTrust record={o} showLane={props.showLane ?? true} />
    </div>
  );
}

/** One acknowledgement ("Đã xem"): when, the note, and the server's verdict. */
export function AckLine(props: { ack: Ack; showLane?: boolean; testid?: string; label?: boolean }) {
  const app = useApp();
  const a = props.ack;
  return (
    <div class={a.verified === false ? 'ack suspicious' : 'ack'} data-testid={props.testid ?? 'scan-ack'}>
      {props.label !== false && `✓ ${t('outcome.acknowledged')} · `}
      {formatTime(a.at, app.lang)}
      {a.note !== '' && ` · ${t('note')}: ${a.note}`}{' '}
      <RecordTrust record={a} showLane={props.showLane ?? true} />
    </div>
  );
}

/** The outcome of a scan at its lane, in words, with the override or acknowledgement behind it. */
export function OutcomeView(props: { outcome: LaneOutcome | undefined }) {
  const o = props.outcome;
  if (!o) return <span class="muted">—</span>;
  return (
    <div class={`outcome outcome-${o.state}`} data-testid="lane-outcome" data-state={o.state}>
      <strong>{t(`outcome.${o.state}` as TextKey)}</strong>
      {o.override !== null && (
        <OverrideLine override={o.override} showLane={false} testid="outcome-override" />
      )}
      {o.override === null && o.ack !== null && (
        <AckLine ack={o.ack} showLane={false} testid="outcome-ack" label={false} />
      )}
    </div>
  );
}
