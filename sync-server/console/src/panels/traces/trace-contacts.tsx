// A page of a trace's contacts grouped by index subject or by checkpoint: a heading row per
// group, then each contact with a checkbox (to promote it), its hop and link, and its evidence in
// that group (checkpoint, lane, time, index subject and its scan time).
import { Fragment } from 'preact';
import { VehicleIcon } from '../../components/vehicle-icon.js';
import { formatTime } from '../../format.js';
import { t, type Lang } from '../../i18n.js';
import { groupContacts, type Grouping } from '../../trace.js';
import type { TraceContact } from '../../types.js';

/** Evidence pieces shown per contact and group (the rest counted). */
const EVIDENCE_SHOWN = 5;

/** A subject as text, or "(no ID held)". */
export function SubjectText(props: { subject: string | null }) {
  return props.subject === null ? (
    <span class="muted">{t('unknownSubject')}</span>
  ) : (
    <code class="subject">{props.subject}</code>
  );
}

/** "F1 · cùng chốt" / "F2 · cùng xe". */
export function HopVia(props: { hop: 1 | 2; via: 'lane' | 'vehicle' }) {
  return (
    <span class={`hopvia hop${props.hop}`} data-hop={props.hop} data-via={props.via}>
      <strong>F{props.hop}</strong> ·{' '}
      {props.via === 'vehicle' ? (
        <>
          <VehicleIcon /> {t('viaVehicle')}
        </>
      ) : (
        t('viaLane')
      )}
    </span>
  );
}

/** "cách 40 giây" / "cách 3 phút" between two times (whole seconds under a minute, else whole minutes). */
export function minutesApart(a: number, b: number): string {
  const ms = Math.abs(a - b);
  return ms < 60_000
    ? t('gapSeconds', { n: Math.round(ms / 1000) })
    : t('gapMinutes', { n: Math.round(ms / 60_000) });
}

/** The grouped contacts table. */
export function TraceContacts(props: {
  contacts: readonly TraceContact[];
  by: Grouping;
  lang: Lang;
  laneName: (id: string) => string;
  checkpointName: (id: string) => string;
  selected: ReadonlySet<string>;
  onSelect: (subject: string, on: boolean) => void;
}) {
  const groups = groupContacts(props.contacts, props.by);
  return (
    <div class="scroll">
      <table class="table trace-contacts" data-testid="trace-contacts" data-grouping={props.by}>
        <thead>
          <tr>
            <th scope="col" class="pick">
              <span class="sr-only">{t('promoteTitle')}</span>
            </th>
            <th scope="col">{t('contact')}</th>
            <th scope="col">{t('hop')}</th>
            <th scope="col">{t('evidence')}</th>
          </tr>
        </thead>
        <tbody>
          {groups.length === 0 && (
            <tr>
              <td colSpan={4} class="empty">
                {t('traceNoContacts')}
              </td>
            </tr>
          )}
          {groups.map((g) => (
            <Fragment key={g.key}>
              <tr class="group-row" data-testid="trace-group" data-group={g.key}>
                <th scope="rowgroup" colSpan={4}>
                  {props.by === 'index' ? (
                    <>
                      {/* Hop-2 contacts are grouped under the hop-1 contact they were near. */}
                      {g.contacts.every((c) => c.contact.hop === 2)
                        ? t('hop1Contact')
                        : t('indexSubject')}: <SubjectText subject={g.label} />
                    </>
                  ) : (
                    <>
                      {t('checkpoint')}: <code>{g.key}</code> {props.checkpointName(g.key)}
                    </>
                  )}{' '}
                  <span class="muted">({g.contacts.length})</span>
                </th>
              </tr>
              {g.contacts.map(({ contact: c, evidence }) => {
                const id = `pick-${g.key}-${c.subject ?? ''}`;
                return (
                  <tr
                    key={`${g.key}|${c.subject ?? ''}`}
                    data-testid="trace-contact"
                    data-subject={c.subject ?? ''}
                    data-hop={c.hop}
                    data-via={c.via}
                  >
                    <td class="pick">
                      {c.subject !== null && (
                        <input
                          type="checkbox"
                          id={id}
                          data-testid="trace-pick"
                          aria-label={t('selectContact', { subject: c.subject })}
                          checked={props.selected.has(c.subject)}
                          onChange={(e) => {
                            if (c.subject !== null) props.onSelect(c.subject, e.currentTarget.checked);
                          }}
                        />
                      )}
                    </td>
                    <td>
                      <SubjectText subject={c.subject} />
                    </td>
                    <td class="nowrap">
                      <HopVia hop={c.hop} via={c.via} />
                    </td>
                    <td>
                      <ul class="evidence">
                        {evidence.slice(0, EVIDENCE_SHOWN).map((e, n) => (
                          <li key={n} data-testid="trace-evidence">
                            <span class="nowrap">{formatTime(e.at, props.lang)}</span> ·{' '}
                            {props.by === 'index' ? <code>{e.checkpointId}</code> : null}
                            {props.by === 'index' ? ' · ' : null}
                            <span class="nowrap">{props.laneName(e.kioskId)}</span>
                            {props.by === 'checkpoint' && (
                              <>
                                {' · '}
                                {c.hop === 2 ? t('hop1Contact') : t('indexSubject')}{' '}
                                <SubjectText subject={e.indexSubject} />
                              </>
                            )}{' '}
                            <span class="muted small-text">
                              ({t('indexTime')} {formatTime(e.indexAt, props.lang)},{' '}
                              {minutesApart(e.at, e.indexAt)})
                            </span>
                          </li>
                        ))}
                        {evidence.length > EVIDENCE_SHOWN && (
                          <li class="muted">{t('evidenceMore', { n: evidence.length - EVIDENCE_SHOWN })}</li>
                        )}
                        {evidence.length <= EVIDENCE_SHOWN && c.evidenceCount > c.evidence.length && (
                          <li class="muted">
                            {t('evidenceMore', { n: c.evidenceCount - c.evidence.length })}
                          </li>
                        )}
                      </ul>
                    </td>
                  </tr>
                );
              })}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}
