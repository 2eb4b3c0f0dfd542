import {
  describeReason,
  describeWarning,
  type Language,
  type ReasonCode,
  type WarningCode,
} from '@checkpoint-lane/shared';
import { renderCamera, startOfficerCamera } from './camera/officer-camera.js';
import { LaneClient, readToken, type DisplayDecision, type LaneMessage } from './lane-client.js';
import { playDecisionTone } from './sounds.js';
import { OVERRIDE_REASONS, t } from './ui-text.js';
import { WedgeDetector } from './wedge-detector.js';

const SHAPES = { green: '✓', red: '✕', amber: '!' } as const;
const GREEN_HOLD_MS = 4000;

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the element type
function el<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing`);
  return found as T;
}

interface StatusView {
  devices?: { device: string; status: string }[];
  sync?: {
    online: boolean;
    listVersions: Record<string, number>;
    listsSyncedAt: Record<string, number | null>;
    backlog: number;
  };
}

let language: Language = (localStorage.getItem('lane-language') as Language | null) ?? 'vi';
let current: DisplayDecision | null = null;
let greenTimer: number | undefined;
let status: StatusView = {};
let linkUp = false;
const client = new LaneClient(readToken(), 'officer');

function renderDecision(): void {
  const panel = el('decision');
  window.clearTimeout(greenTimer);
  if (current === null) {
    panel.className = 'decision ready';
    el('shape').textContent = '';
    el('word').textContent = t('ready', language);
    el('reasons').replaceChildren();
    el('warnings').replaceChildren();
    el('subject').textContent = '';
    el('ack').hidden = true;
    el('override-open').hidden = true;
    return;
  }
  const d = current;
  panel.className = `decision ${d.decision}`;
  panel.dataset['decision'] = d.decision;
  el('shape').textContent = SHAPES[d.decision];
  el('word').textContent = t(d.decision, language);
  el('reasons').replaceChildren(
    ...d.reasons.map((r) =>
      Object.assign(document.createElement('li'), { textContent: describeReason(r as ReasonCode, language) }),
    ),
  );
  el('warnings').replaceChildren(
    ...d.warnings.map((w) =>
      Object.assign(document.createElement('li'), {
        textContent: `⚠ ${describeWarning(w as WarningCode, language)}`,
      }),
    ),
  );
  el('subject').textContent = d.subject ? d.subject.masked : '';
  el('ack').hidden = d.decision === 'green';
  el('override-open').hidden = d.scanId === null;
  if (d.decision === 'green') {
    greenTimer = window.setTimeout(() => {
      current = null;
      renderDecision();
    }, GREEN_HOLD_MS);
  }
}

function renderStatus(): void {
  const strip = el('status');
  const parts: string[] = [];
  for (const d of status.devices ?? []) parts.push(`${d.device}: ${d.status}`);
  const sync = status.sync;
  if (sync) {
    for (const list of ['health', 'whitelist']) {
      const at = sync.listsSyncedAt[list] ?? null;
      const age =
        at === null
          ? t('never', language)
          : `${Math.max(0, Math.round((Date.now() - at) / 60000))} ${t('minutesAgo', language)}`;
      parts.push(`${list} v${sync.listVersions[list] ?? 0} (${age})`);
    }
    parts.push(`${t('backlog', language)}: ${sync.backlog}`);
  }
  strip.textContent = parts.join(' · ');
  const link = el('link');
  link.textContent = !linkUp
    ? t('displayLink', language)
    : sync?.online
      ? t('online', language)
      : t('offline', language);
  link.className = !linkUp || !sync?.online ? 'link down' : 'link up';
  renderCamera(language);
}

function renderLabels(): void {
  document.documentElement.lang = language;
  el('manual-open').textContent = t('manual', language);
  el('override-open').textContent = t('override', language);
  el('ack').textContent = t('acknowledge', language);
  el('language').textContent = t('language', language);
  el('manual-submit').textContent = t('submit', language);
  el('override-submit').textContent = t('confirm', language);
  for (const b of document.querySelectorAll<HTMLElement>('[data-cancel]'))
    b.textContent = t('cancel', language);
  el('officer-pin').setAttribute('placeholder', t('officerPin', language));
  el('supervisor-pin').setAttribute('placeholder', t('supervisorPin', language));
  el('override-note').setAttribute('placeholder', t('note', language));
  const reasons = el<HTMLSelectElement>('override-reason');
  reasons.replaceChildren(
    ...Object.entries(OVERRIDE_REASONS).map(([code, words]) =>
      Object.assign(document.createElement('option'), { value: code, textContent: words[language] }),
    ),
  );
  renderDecision();
  renderStatus();
}

function onMessage(m: LaneMessage): void {
  if (m.type === 'hello') {
    status = m.status ?? {};
    startOfficerCamera(
      m.camera,
      (text) => void client.submit(text, 'camera'),
      () => language,
    );
  } else if (m.type === 'decision') {
    current = m.data as DisplayDecision;
    playDecisionTone(current.decision);
    renderDecision();
    return;
  } else if (m.type === 'device') {
    const state = m.data as { device: string; status: string };
    status.devices = [...(status.devices ?? []).filter((d) => d.device !== state.device), state];
  } else if (m.type === 'sync') {
    status.sync = m.data as NonNullable<StatusView['sync']>;
  } else if (m.type === 'acknowledged' && current?.scanId === (m.data as { scanId: string }).scanId) {
    current = null;
    renderDecision();
  } else if (m.type === 'override' && current?.scanId === (m.data as { scanId: string }).scanId) {
    current = {
      ...current,
      decision: (m.data as { decision: DisplayDecision['decision'] }).decision,
      reasons: [...current.reasons, 'officer_override'],
    };
    renderDecision();
  }
  renderStatus();
}

function toast(text: string): void {
  const box = el('toast');
  box.textContent = text;
  box.hidden = false;
  window.setTimeout(() => {
    box.hidden = true;
  }, 3000);
}

function setUpKeypad(): void {
  const dialog = el<HTMLDialogElement>('manual');
  const field = el<HTMLInputElement>('manual-input');
  el('manual-open').onclick = () => {
    field.value = '';
    dialog.showModal();
  };
  for (const key of document.querySelectorAll<HTMLButtonElement>('#manual [data-key]')) {
    key.onclick = () => {
      const k = key.dataset['key'] ?? '';
      field.value =
        k === 'clear' ? '' : k === 'back' ? field.value.slice(0, -1) : `${field.value}${k}`.slice(0, 20);
    };
  }
  el<HTMLFormElement>('manual-form').onsubmit = (event) => {
    event.preventDefault();
    const text = field.value.trim();
    if (text === '') return;
    dialog.close();
    void client.submit(text, 'manual');
  };
}

function setUpOverride(): void {
  const dialog = el<HTMLDialogElement>('override');
  el('override-open').onclick = () => {
    if (!current?.scanId) return;
    for (const id of ['officer-pin', 'supervisor-pin', 'override-note']) el<HTMLInputElement>(id).value = '';
    const healthBlocked = current.reasons.includes('health_blocked');
    el('supervisor-row').hidden = !healthBlocked;
    el<HTMLSelectElement>('override-decision').value = current.decision === 'green' ? 'red' : 'green';
    el('override-error').textContent = '';
    dialog.showModal();
  };
  el<HTMLFormElement>('override-form').onsubmit = (event) => {
    event.preventDefault();
    const scan = current;
    if (!scan?.scanId) return;
    const supervisorPin = el<HTMLInputElement>('supervisor-pin').value;
    void client
      .override({
        scanId: scan.scanId,
        decision: el<HTMLSelectElement>('override-decision').value,
        officerPin: el<HTMLInputElement>('officer-pin').value,
        ...(supervisorPin === '' ? {} : { supervisorPin }),
        reason: el<HTMLSelectElement>('override-reason').value,
        note: el<HTMLInputElement>('override-note').value,
      })
      .then(({ status: code, body }) => {
        if (code === 201) {
          dialog.close();
          toast(t('overridden', language));
          return;
        }
        const error = body?.error ?? '';
        el('override-error').textContent =
          error === 'locked_out'
            ? t('lockedOut', language)
            : error === 'needs_supervisor' || error === 'not_supervisor'
              ? t('needsSupervisor', language)
              : error === 'wrong_pin'
                ? t('wrongPin', language)
                : t('failed', language);
        if (error === 'needs_supervisor') el('supervisor-row').hidden = false;
      });
  };
}

function setUpWedge(): void {
  const wedge = new WedgeDetector();
  document.addEventListener('keydown', (event) => {
    if (document.querySelector('dialog[open]')) return; // the officer is typing in a dialog
    const code = wedge.key(event.key, event.timeStamp);
    if (code !== null) {
      event.preventDefault();
      void client.submit(code, 'wedge');
    }
  });
}

function main(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-cancel]')) {
    b.onclick = () => b.closest('dialog')?.close();
  }
  el('ack').onclick = () => {
    if (current?.scanId) void client.acknowledge(current.scanId);
    else {
      current = null;
      renderDecision();
    }
  };
  el('language').onclick = () => {
    language = language === 'vi' ? 'en' : 'vi';
    localStorage.setItem('lane-language', language);
    renderLabels();
  };
  setUpKeypad();
  setUpOverride();
  setUpWedge();
  renderLabels();
  client.connect(onMessage, (up) => {
    linkUp = up;
    document.body.dataset['link'] = up ? 'up' : 'down';
    renderStatus();
  });
  window.setInterval(renderStatus, 30_000);
}

main();
