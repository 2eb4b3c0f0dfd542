// "Nhập tay": the officer types an ID, a plate or a passport on the on-screen keypad. The code is
// shown in full while typing (it is the officer's own input), checked in the dialog, and a bad
// one is refused there with the reason; nothing is recorded until it is valid.
import { checkManualEntry, describeManualEntryProblem } from '@checkpoint-lane/shared';
import { createCodeKeypad, type CodeKeypad } from '../keypads/code-keypad.js';
import type { LaneClient } from '../lane-client.js';
import { t } from '../ui-text.js';
import { button, el, hideToast, make } from './dom.js';
import { screen } from './screen-state.js';

let pad: CodeKeypad;
let cancel: HTMLButtonElement;
let sending = false;

const dialog = (): HTMLDialogElement => el<HTMLDialogElement>('manual');

async function check(client: LaneClient, typed: string): Promise<void> {
  const language = screen.language;
  const verdict = checkManualEntry(typed, Date.now());
  if (!verdict.ok) {
    pad.setMessage(describeManualEntryProblem(verdict.error, language), 'error');
    return;
  }
  if (sending) return;
  sending = true;
  try {
    const res = await client.submit(verdict.value.text, 'manual');
    if (res.ok) {
      dialog().close();
      return;
    }
    // The agent checks again (same rules): its refusal (422) is shown the same way.
    const body = res.body;
    pad.setMessage(
      body === null || !('reason' in body)
        ? t('failed', language)
        : describeManualEntryProblem(
            { reason: body.reason, ...(body.digits === undefined ? {} : { digits: body.digits }) },
            language,
          ),
      'error',
    );
  } catch {
    pad.setMessage(t('failed', language), 'error');
  } finally {
    sending = false;
  }
}

/** Opens the manual-entry dialog, empty. */
export function openManual(): void {
  pad.clear();
  pad.setMessage(null);
  hideToast();
  dialog().showModal();
  pad.focus();
}

/** Builds the dialog once. */
export function setUpManual(client: LaneClient): void {
  const language = screen.language;
  cancel = button('', t('cancel', language), () => {
    dialog().close();
  });
  cancel.dataset['cancel'] = '';
  pad = createCodeKeypad({
    language,
    enterLabel: t('submit', language),
    label: t('manualTitle', language),
    extraKeys: [cancel],
    onEnter: (text) => {
      void check(client, text);
    },
  });
  const title = make('h2', '', t('manualTitle', language));
  title.id = 'manual-title';
  dialog().replaceChildren(title, pad.element);
}

/** Words of the dialog in the current language. */
export function relabelManual(): void {
  const language = screen.language;
  el('manual-title').textContent = t('manualTitle', language);
  cancel.textContent = t('cancel', language);
  pad.setLanguage(language);
  pad.setEnterLabel(t('submit', language));
}
