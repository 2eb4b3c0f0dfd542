// Changing one's own password (any role): current password, the new one twice.
import { useState } from 'preact/hooks';
import { api, ApiError, errorText } from '../api.js';
import { FormButtons, GridForm } from '../components/forms.js';
import { t } from '../i18n.js';
import { ErrorBox, Notice, Section } from '../ui.js';

/** The change-password page (`#/password`, linked from the top bar). */
export function PasswordPage() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (): Promise<void> => {
    setError(null);
    setDone(null);
    if (next !== again) {
      setError(t('passwordMismatch'));
      return;
    }
    setBusy(true);
    try {
      await api('POST', '/api/v1/session/password', { currentPassword: current, newPassword: next });
      setDone(t('passwordChanged'));
      setCurrent('');
      setNext('');
      setAgain('');
    } catch (e) {
      setError(
        e instanceof ApiError && e.code === 'bad_credentials' ? t('wrongCurrentPassword') : errorText(e),
      );
    } finally {
      setBusy(false);
    }
  };
  const field = (id: string, label: string, value: string, set: (v: string) => void, auto: string) => (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="password"
        autocomplete={auto}
        required
        maxLength={200}
        minLength={auto === 'new-password' ? 10 : 1}
        value={value}
        onInput={(e) => {
          set(e.currentTarget.value);
        }}
      />
    </div>
  );
  return (
    <div class="page">
      <h1>{t('changeOwnPassword')}</h1>
      <Section title={t('changeOwnPassword')}>
        <GridForm testid="password-form" onSubmit={() => void save()}>
          {field('pw-current', t('currentPassword'), current, setCurrent, 'current-password')}
          {field('pw-new', t('newPassword'), next, setNext, 'new-password')}
          {field('pw-again', t('repeatPassword'), again, setAgain, 'new-password')}
          <ErrorBox error={error} testid="password-error" />
          <Notice text={done} testid="password-done" />
          <FormButtons busy={busy} testid="password-save" />
        </GridForm>
      </Section>
    </div>
  );
}
