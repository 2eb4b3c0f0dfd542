// Shared form pieces: a labelled field, filter forms (typed values vs the applied ones, a
// from/to time range), and a hook for actions that report their error in the page.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { errorText } from '../api.js';
import { t } from '../i18n.js';

/** A `<div class="field">` with its label for the control `id` inside. */
export function Field(props: { id: string; label: string; children: ComponentChildren; class?: string }) {
  return (
    <div class={props.class === undefined ? 'field' : `field ${props.class}`}>
      <label for={props.id}>{props.label}</label>
      {props.children}
    </div>
  );
}

/** A filter form's state: what is typed, and what was applied by the last search. */
export interface Filters<F> {
  form: F;
  applied: F;
  setForm: (update: (f: F) => F) => void;
  /** An input handler writing the field `k`. */
  set: (k: keyof F) => (e: Event) => void;
  /** Applies what is typed. */
  apply: () => void;
}

/** The typed and applied values of a filter form. */
export function useFilters<F extends object>(empty: F): Filters<F> {
  const [form, setForm] = useState<F>(empty);
  const [applied, setApplied] = useState<F>(empty);
  return {
    form,
    applied,
    setForm,
    set: (k) => (e) => {
      const v = (e.currentTarget as HTMLInputElement).value;
      setForm((f) => ({ ...f, [k]: v }));
    },
    apply: () => {
      setApplied({ ...form });
    },
  };
}

/** A filter form card: the fields, a search button, more buttons beside it, and a note below. */
export function FilterForm(props: {
  testid: string;
  submitTestid: string;
  onSubmit: () => void;
  children: ComponentChildren;
  buttons?: ComponentChildren;
  note?: ComponentChildren;
}) {
  return (
    <SubmitForm class="filters card" testid={props.testid} onSubmit={props.onSubmit}>
      {props.children}
      <div class="buttons">
        <button type="submit" class="primary" data-testid={props.submitTestid}>
          {t('search')}
        </button>
        {props.buttons}
      </div>
      {props.note}
    </SubmitForm>
  );
}

/** "From" and "To" `datetime-local` fields, ids `<idPrefix>-from` / `<idPrefix>-to`. */
export function TimeRangeFields(props: {
  idPrefix: string;
  from: string;
  to: string;
  onFrom: (e: Event) => void;
  onTo: (e: Event) => void;
  /** The id of a note both fields refer to (the time zone). */
  describedBy?: string;
}) {
  const field = (end: 'from' | 'to', value: string, onInput: (e: Event) => void) => (
    <Field id={`${props.idPrefix}-${end}`} label={t(end)}>
      <input
        id={`${props.idPrefix}-${end}`}
        type="datetime-local"
        aria-describedby={props.describedBy}
        value={value}
        onInput={onInput}
      />
    </Field>
  );
  return (
    <>
      {field('from', props.from, props.onFrom)}
      {field('to', props.to, props.onTo)}
    </>
  );
}

/** An action's error and notice texts, and a runner that catches into them. */
export interface Action {
  error: string | null;
  notice: string | null;
  busy: boolean;
  setError: (e: string | null) => void;
  setNotice: (n: string | null) => void;
  /**
   * Runs `task` with the error cleared (and the notice, when `clearNotice`); a throw becomes the
   * error text. Resolves true when the task went through.
   */
  run: (task: () => Promise<void>, clearNotice?: boolean) => Promise<boolean>;
}

/**
 * State for buttons that act at once (acknowledge, revoke, disable …) and show the outcome nearby;
 * `describe` turns a throw into its text.
 */
export function useAction(describe: (e: unknown) => string = errorText): Action {
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (task: () => Promise<void>, clearNotice = false): Promise<boolean> => {
    setError(null);
    if (clearNotice) setNotice(null);
    setBusy(true);
    try {
      await task();
      return true;
    } catch (e) {
      setError(describe(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { error, notice, busy, setError, setNotice, run };
}

/** A form that calls `onSubmit` instead of loading a page. */
export function SubmitForm(props: {
  class: string;
  testid: string;
  onSubmit: () => void;
  children: ComponentChildren;
}) {
  return (
    <form
      class={props.class}
      data-testid={props.testid}
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      {props.children}
    </form>
  );
}

/** A form laid out as a grid of fields. */
export function GridForm(props: { testid: string; onSubmit: () => void; children: ComponentChildren }) {
  return <SubmitForm class="grid-form" {...props} />;
}

/** A form's submit button ("Lưu" unless `label`), and "Huỷ" beside it when `onCancel` is given. */
export function FormButtons(props: { busy: boolean; testid: string; label?: string; onCancel?: () => void }) {
  return (
    <div class="buttons wide">
      <button type="submit" class="primary" disabled={props.busy} data-testid={props.testid}>
        {props.label ?? t('save')}
      </button>
      {props.onCancel && (
        <button type="button" onClick={props.onCancel}>
          {t('cancel')}
        </button>
      )}
    </div>
  );
}

/** One checkbox and its label. */
export interface CheckItem {
  id: string;
  label: string;
  checked: boolean;
  disabled?: boolean;
  testid?: string;
  onChange: (on: boolean) => void;
}

/** A checkbox with its label beside it. */
export function Check(props: { item: CheckItem; class?: string }) {
  const c = props.item;
  return (
    <span class={props.class ?? 'check'}>
      <input
        id={c.id}
        type="checkbox"
        data-testid={c.testid}
        checked={c.checked}
        disabled={c.disabled === true}
        onChange={(e) => {
          c.onChange(e.currentTarget.checked);
        }}
      />
      <label for={c.id}>{c.label}</label>
    </span>
  );
}

/** A wide fieldset of checkboxes under a legend. */
export function CheckGroup(props: { legend: string; items: readonly CheckItem[] }) {
  return (
    <fieldset class="field wide">
      <legend>{props.legend}</legend>
      {props.items.map((c) => (
        <Check key={c.id} item={c} />
      ))}
    </fieldset>
  );
}
