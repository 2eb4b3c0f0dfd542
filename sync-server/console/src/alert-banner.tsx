// The new-alert banner: when an alert arrives on the live stream, a beep (Web Audio, no sound
// file) and a banner at the top of every page that stays until someone dismisses it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { gateFlapsText, gateRedsSummary, newestId, replaySummary } from './alerts.js';
import { api } from './api.js';
import { alertKindText, gateFaultText, healthStatusText } from './codes.js';
import { formatTime } from './format.js';
import { t } from './i18n.js';
import { subscribe } from './live.js';
import type { Alert } from './types.js';
import { CodeLabel, useApp } from './ui.js';

let audio: AudioContext | null = null;

/**
 * Two short high beeps from an oscillator. Answers whether the sound could start: a browser
 * that has not seen a click on the page yet may keep the audio suspended.
 */
export async function playAlertBeep(): Promise<boolean> {
  try {
    audio ??= new AudioContext();
    if (audio.state === 'suspended') await audio.resume();
    const start = audio.currentTime;
    for (const offset of [0, 0.25]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'square';
      osc.frequency.value = 880;
      // A short envelope: no click at the start or the end of each beep.
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.2);
    }
    return audio.state === 'running';
  } catch {
    return false;
  }
}

function isAlert(v: unknown): v is Alert {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { id?: unknown }).id === 'number' &&
    typeof (v as { at?: unknown }).at === 'number'
  );
}

/** The banner of alerts that arrived while the console was open (mounted once, in the shell). */
export function AlertBanner() {
  const app = useApp();
  const [fresh, setFresh] = useState<Alert[]>([]);
  const [sound, setSound] = useState<'played' | 'blocked' | null>(null);
  // Alerts at or below this id existed before: an `alert` event for them is an update (its lane
  // outcome changed), not a new alert.
  const known = useRef<number | null>(null);
  useEffect(() => {
    api<{ alerts: Alert[] }>('GET', '/api/v1/admin/alerts?limit=1', undefined, { background: true }).then(
      (r) => {
        known.current = Math.max(known.current ?? 0, newestId(r.alerts));
      },
      () => {
        known.current ??= 0;
      },
    );
    return subscribe((e) => {
      if (e.name !== 'alert' || !isAlert(e.data)) return;
      const a = e.data;
      if (known.current === null || a.id <= known.current) {
        setFresh((cur) => cur.map((x) => (x.id === a.id ? a : x)));
        return;
      }
      known.current = a.id;
      setFresh((cur) => [a, ...cur]);
      void playAlertBeep().then((ok) => {
        setSound(ok ? 'played' : 'blocked');
      });
    });
  }, []);
  const latest = fresh[0];
  if (!latest) return null;
  return (
    <div
      class={`alert-banner kind-${latest.kind ?? 'health'}`}
      role="alert"
      data-testid="alert-banner"
      data-alert-id={latest.id}
      data-sound={sound ?? ''}
    >
      <strong>{fresh.length > 1 ? t('newAlerts', { n: fresh.length }) : t('newAlert')}</strong>{' '}
      <CodeLabel value={alertKindText(latest.kind, app.lang)} />
      {' · '}
      <code>{latest.checkpointId}</code> · {latest.kioskName ?? latest.kioskId} ·{' '}
      {formatTime(latest.at, app.lang)}
      {latest.kind === 'replay' && latest.replay && (
        <>
          {' · '}
          <span data-testid="alert-banner-replay">{replaySummary(latest.replay, app.lang)}</span>
        </>
      )}
      {latest.gate && (
        <>
          {' · '}
          <span data-testid="alert-banner-gate">
            {latest.kind === 'gate_fault'
              ? [gateFaultText(latest.gate.fault ?? '', app.lang).text, gateFlapsText(latest.gate)]
                  .filter((x) => x !== null)
                  .join(' · ')
              : gateRedsSummary(latest.gate)}
          </span>
        </>
      )}
      {latest.subjectMasked != null && (
        <>
          {' · '}
          <span class="subject">{latest.subjectMasked}</span>
        </>
      )}
      {latest.status !== null && latest.kind !== 'override' && (
        <>
          {' · '}
          <CodeLabel value={healthStatusText(latest.status, app.lang)} />
        </>
      )}
      <span class="banner-actions">
        <a class="button small" href="#/alerts" data-testid="alert-banner-open">
          {t('openAlerts')}
        </a>
        <button
          type="button"
          class="small primary"
          data-testid="alert-banner-dismiss"
          onClick={() => {
            setFresh([]);
          }}
        >
          {t('dismiss')}
        </button>
      </span>
    </div>
  );
}
