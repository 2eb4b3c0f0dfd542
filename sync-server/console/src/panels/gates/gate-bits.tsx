// Small pieces of a lane's gate report (issue 17), shared by the fleet table and the gates page:
// its state as a coloured label, its faults in words, its counts.
import type { GateReport } from '@checkpoint-lane/shared';
import { gateFaultText, gateStateText } from '../../codes.js';
import { t, type TextKey } from '../../i18n.js';
import { CodeLabel, useApp } from '../../ui.js';

/** The counts the gates page shows, in order (the report has them all). */
export const GATE_COUNT_KEYS = [
  'opens',
  'reds',
  'ambers',
  'repeats',
  'faults',
  'unlocks',
  'writeFailures',
] as const;

/** A gate's state as a coloured label. */
export function GateStateLabel(props: { gate: GateReport; stale?: boolean; large?: boolean }) {
  const app = useApp();
  const state = props.gate.state;
  return (
    <span
      class={`gate-state gate-${state}${props.stale === true ? ' gate-stale' : ''}${props.large === true ? ' large' : ''}`}
      data-testid="gate-state"
      data-state={state}
    >
      <CodeLabel value={gateStateText(state, app.lang)} />
    </span>
  );
}

/** A gate's faults in words (none: a quiet "no faults"). */
export function GateFaults(props: { gate: GateReport }) {
  const app = useApp();
  if (props.gate.faults.length === 0) return <span class="muted">{t('gateNoFaults')}</span>;
  return (
    <ul class="gate-faults" data-testid="gate-faults">
      {props.gate.faults.map((f) => (
        <li key={f} data-fault={f}>
          <CodeLabel value={gateFaultText(f, app.lang)} />
        </li>
      ))}
    </ul>
  );
}

/** A gate's counts since its lane started. */
export function GateCounts(props: { gate: GateReport }) {
  return (
    <dl class="gate-counts" data-testid="gate-counts" aria-label={t('gateCountsSince')}>
      {GATE_COUNT_KEYS.map((k) => (
        <div key={k} class={`gate-count gate-count-${k}`} data-count={k}>
          <dt>{t(`gateCount.${k}` as TextKey)}</dt>
          <dd>{props.gate.counts[k]}</dd>
        </div>
      ))}
    </dl>
  );
}

/** One line for the fleet table: mode, state, faults. */
export function GateSummary(props: { gate: GateReport; online: boolean }) {
  const g = props.gate;
  return (
    <div class="gate-summary" data-testid="lane-gate" data-state={g.state}>
      <GateStateLabel gate={g} stale={!props.online} />{' '}
      <span class="muted small-text">{g.unattended ? t('gateUnattended') : t('gateAttended')}</span>
      {g.faults.length > 0 && <GateFaults gate={g} />}
    </div>
  );
}
