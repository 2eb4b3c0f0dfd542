// Two cells of an alert row: who the alert is about (masked; an admin may reveal the ID and name,
// every reveal audited) and what happened at the lane (or, for an override alert, the record the
// centre distrusts and why).
import { useState } from 'preact/hooks';
import { api, errorText } from '../../api.js';
import { OutcomeView, OverrideLine, AckLine } from '../../components/outcome.js';
import { shortHash } from '../../format.js';
import { t } from '../../i18n.js';
import type { Alert, AlertSubject } from '../../types.js';
import { healthStatusText, issueText } from '../../codes.js';
import { CodeLabel, CodeList, useApp } from '../../ui.js';

/** Who an alert is about: masked for everyone; an admin's click reveals ID and name (audited). */
export function AlertWho(props: { alert: Alert }) {
  const app = useApp();
  const a = props.alert;
  const [shown, setShown] = useState<AlertSubject | null>(null);
  const [error, setError] = useState<string | null>(null);
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
  if (a.kind === 'override') {
    return <CodeList values={(a.issues ?? []).map((c) => issueText(c, app.lang))} />;
  }
  return <OutcomeView outcome={a.outcome} />;
}
