// Two cells of an alert row: who the alert is about (masked; an admin may reveal the ID and name,
// every reveal audited) and what happened at the lane (or, for an override alert, the record the
// centre distrusts and why).
import { useState } from 'preact/hooks';
import { gateFlapsText, gateRedsSummary } from '../../alerts.js';
import { api, errorText } from '../../api.js';
import { OutcomeView, OverrideLine, AckLine } from '../../components/outcome.js';
import { formatTime, shortHash } from '../../format.js';
import { t } from '../../i18n.js';
import type { Alert, AlertSubject } from '../../types.js';
import { gateFaultText, healthStatusText, issueText } from '../../codes.js';
import { CodeLabel, CodeList, useApp } from '../../ui.js';

/** Who an alert is about: masked for everyone; an admin's click reveals ID and name (audited). */
export function AlertWho(props: { alert: Alert }) {
  const app = useApp();
  const a = props.alert;
  const [shown, setShown] = useState<AlertSubject | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (a.kind === 'gate_fault' || a.kind === 'gate_red') {
    // A gate alert is about a lane's gate, never a person.
    return (
      <div class="alert-who" data-testid="alert-gate-who">
        {t('gateWho')}
      </div>
    );
  }
  if (a.kind === 'replay') {
    // A replay names two passages of one pass, never the person.
    return (
      <div class="alert-who" data-testid="alert-replay-who">
        {t('replayWho')}
      </div>
    );
  }
  const reveal = async (): Promise<void> => {
    setError(null);
    try {
      setShown(await api<AlertSubject>('GET', `/api/v1/admin/alerts/${a.id}/subject`));
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div class="alert-who">
      {shown !== null ? (
        <span data-testid="alert-identity">
          {shown.subject === null ? (
            t('identityNotListed')
          ) : (
            <>
              <code>{shown.subject}</code>
              {shown.name !== null && <> · {shown.name}</>}
            </>
          )}
        </span>
      ) : (
        <span data-testid="alert-subject-masked">
          {a.subjectMasked ?? <code title={t('subjectHash')}>{shortHash(a.subjectKey)}</code>}
        </span>
      )}
      {a.status !== null && a.kind !== 'override' && (
        <div>
          <strong>
            <CodeLabel value={healthStatusText(a.status, app.lang)} />
          </strong>
        </div>
      )}
      {shown === null &&
        a.subjectKey !== null &&
        (app.isAdmin ? (
          <div>
            <button
              type="button"
              class="small"
              data-testid="alert-reveal"
              title={t('identityHint')}
              onClick={() => void reveal()}
            >
              {t('showIdentity')}
            </button>
          </div>
        ) : (
          <div class="muted small-text" data-testid="alert-identity-hidden">
            {t('identityHidden')}
          </div>
        ))}
      {error !== null && <div class="error">{error}</div>}
    </div>
  );
}

/** What happened at the lane; for an override alert, the distrusted record and why. */
export function AlertOutcome(props: { alert: Alert }) {
  const app = useApp();
  const a = props.alert;
  if (a.kind === 'override' && a.record) {
    return (
      <div class="alert-record" data-testid="alert-record">
        {a.record.type === 'override' ? <OverrideLine override={a.record} /> : <AckLine ack={a.record} />}
      </div>
    );
  }
  if (a.kind === 'replay' && a.replay) {
    const r = a.replay;
    const passage = (p: typeof r.earlier, testid: string) => (
      <div data-testid={testid}>
        <strong>{p.checkpointName}</strong> · {p.kioskName} · {formatTime(p.at, app.lang)}
      </div>
    );
    const km = Math.round(r.distanceKm).toLocaleString(app.lang === 'vi' ? 'vi-VN' : 'en-GB');
    return (
      <div class="alert-record" data-testid="alert-replay">
        {passage(r.earlier, 'replay-earlier')}
        {passage(r.later, 'replay-later')}
        <div class="muted small-text">
          {r.speedKmh === null
            ? t('replaySameTime', { km })
            : t('replaySpeed', {
                km,
                minutes: Math.round((r.later.at - r.earlier.at) / 60_000),
                speed: Math.round(r.speedKmh).toLocaleString(app.lang === 'vi' ? 'vi-VN' : 'en-GB'),
              })}
        </div>
      </div>
    );
  }
  if ((a.kind === 'gate_fault' || a.kind === 'gate_red') && a.gate) {
    return <GateAlertLine alert={a} />;
  }
  if (a.kind === 'override') {
    return <CodeList values={(a.issues ?? []).map((c) => issueText(c, app.lang))} />;
  }
  return <OutcomeView outcome={a.outcome} />;
}

/**
 * A gate alert in words: the fault, whether it still holds and how often it came back soon after
 * clearing (`gate_fault`), or the reds (`gate_red`).
 */
export function GateAlertLine(props: { alert: Alert }) {
  const app = useApp();
  const g = props.alert.gate;
  if (!g) return null;
  if (props.alert.kind === 'gate_fault') {
    const cleared = g.clearedAt ?? null;
    const flaps = gateFlapsText(g);
    return (
      <div class="alert-record gate-alert" data-testid="alert-gate" data-cleared={cleared !== null}>
        <strong class="gate-fault-name">
          <CodeLabel value={gateFaultText(g.fault ?? '', app.lang)} />
        </strong>
        <div class={cleared === null ? 'gate-held' : 'muted small-text'} data-testid="alert-gate-state">
          {cleared === null
            ? t('gateFaultHeld')
            : t('gateFaultCleared', { time: formatTime(cleared, app.lang) })}
        </div>
        {flaps !== null && (
          <div class="small-text" data-testid="alert-gate-flaps" data-flaps={g.flaps}>
            {flaps}
          </div>
        )}
      </div>
    );
  }
  return (
    <div class="alert-record gate-alert" data-testid="alert-gate">
      <strong>{gateRedsSummary(g)}</strong>
    </div>
  );
}
