// Accounts (admins only): the console's accounts, creating one, changing a role, disabling or
// enabling, and setting a new password.
import { useState } from 'preact/hooks';
import { api, errorText } from '../api.js';
import { DataTable } from '../components/data.js';
import { FormButtons, GridForm, useAction } from '../components/forms.js';
import { formatTime } from '../format.js';
import { t } from '../i18n.js';
import type { Account, Role } from '../types.js';
import { ConfirmButton, ErrorBox, Loading, Notice, Section, useApp, useLoad } from '../ui.js';

const isDisabled = (a: Account): boolean =>
  a.disabled === true || (a.disabledAt !== null && a.disabledAt !== undefined);

/** The accounts page. */
export function AccountsPage() {
  const app = useApp();
  const accounts = useLoad(() => api<{ accounts: Account[] }>('GET', '/api/v1/admin/accounts'), []);
  const act = useAction();
  const [resetFor, setResetFor] = useState<string | null>(null);
  const patch = (username: string, body: Record<string, unknown>): Promise<boolean> =>
    act.run(async () => {
      await api('PATCH', `/api/v1/admin/accounts/${encodeURIComponent(username)}`, body);
      act.setNotice(t('accountSaved', { username }));
      accounts.reload();
    }, true);
  return (
    <div class="page">
      <h1>{t('navAccounts')}</h1>
      <Section title={t('accounts')}>
        <ErrorBox error={accounts.error} onRetry={accounts.reload} />
        <ErrorBox error={act.error} testid="account-error" />
        <Notice text={act.notice} testid="account-notice" />
        <Loading show={accounts.loading && !accounts.data} />
        <DataTable
          testid="accounts-table"
          columns={[t('username'), t('displayName'), t('role'), t('state'), t('lastLogin'), t('action')]}
        >
          {(accounts.data?.accounts ?? []).map((a) => {
            const off = isDisabled(a);
            const self = a.username === app.session.account.username;
            return (
              <tr key={a.username} data-testid="account-row" data-username={a.username}>
                <td class="nowrap">{a.username}</td>
                <td>{a.displayName}</td>
                <td>
                  <label class="sr-only" for={`role-${a.username}`}>
                    {t('changeRole')}
                  </label>
                  <select
                    id={`role-${a.username}`}
                    data-testid="account-role"
                    value={a.role}
                    disabled={self}
                    onChange={(e) => {
                      const role = e.currentTarget.value as Role;
                      if (role !== a.role) void patch(a.username, { role });
                    }}
                  >
                    <option value="admin">{t('roleAdmin')}</option>
                    <option value="viewer">{t('roleViewer')}</option>
                  </select>
                </td>
                <td class="nowrap" data-testid="account-state">
                  {off ? t('disabled') : t('active')}
                </td>
                <td class="nowrap">{formatTime(a.lastLoginAt, app.lang)}</td>
                <td class="actions">
                  {!self &&
                    (off ? (
                      <button
                        type="button"
                        class="small"
                        data-testid="account-enable"
                        onClick={() => void patch(a.username, { disabled: false })}
                      >
                        {t('enable')}
                      </button>
                    ) : (
                      <ConfirmButton
                        label={t('disable')}
                        danger
                        testid="account-disable"
                        question={t('confirmDisable', { username: a.username })}
                        onConfirm={async () => {
                          await patch(a.username, { disabled: true });
                        }}
                      />
                    ))}
                  <button
                    type="button"
                    class="small"
                    data-testid="account-reset"
                    onClick={() => {
                      setResetFor(resetFor === a.username ? null : a.username);
                    }}
                  >
                    {t('resetPassword')}
                  </button>
                  {resetFor === a.username && (
                    <ResetForm
                      username={a.username}
                      onSave={async (password) => {
                        if (await patch(a.username, { password })) setResetFor(null);
                      }}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </DataTable>
      </Section>
      <CreateAccount
        onCreated={(username) => {
          act.setNotice(t('accountCreated', { username }));
          accounts.reload();
        }}
      />
    </div>
  );
}

function ResetForm(props: { username: string; onSave: (password: string) => Promise<void> }) {
  const [password, setPassword] = useState('');
  const id = `reset-${props.username}`;
  return (
    <form
      class="inline-form"
      data-testid="account-reset-form"
      onSubmit={(e) => {
        e.preventDefault();
        void props.onSave(password);
      }}
    >
      <label for={id}>{t('newPassword')}</label>
      <input
        id={id}
        type="password"
        autocomplete="new-password"
        minLength={10}
        maxLength={200}
        required
        value={password}
        onInput={(e) => {
          setPassword(e.currentTarget.value);
        }}
      />
      <button type="submit" class="small primary">
        {t('save')}
      </button>
    </form>
  );
}

function CreateAccount(props: { onCreated: (username: string) => void }) {
  const [f, setF] = useState({ username: '', displayName: '', role: 'viewer', password: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (e: Event) => {
    const v = (e.currentTarget as HTMLInputElement).value;
    setF((x) => ({ ...x, [k]: v }));
  };
  const create = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await api('POST', '/api/v1/admin/accounts', {
        ...f,
        username: f.username.trim(),
        displayName: f.displayName.trim(),
      });
      props.onCreated(f.username.trim());
      setF({ username: '', displayName: '', role: 'viewer', password: '' });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title={t('newAccount')}>
      <GridForm testid="account-create" onSubmit={() => void create()}>
        <div class="field">
          <label for="acc-username">{t('username')}</label>
          <input
            id="acc-username"
            required
            maxLength={64}
            autocomplete="off"
            value={f.username}
            onInput={set('username')}
          />
        </div>
        <div class="field">
          <label for="acc-display">{t('displayName')}</label>
          <input
            id="acc-display"
            required
            maxLength={200}
            value={f.displayName}
            onInput={set('displayName')}
          />
        </div>
        <div class="field">
          <label for="acc-role">{t('role')}</label>
          <select id="acc-role" value={f.role} onChange={set('role')}>
            <option value="viewer">{t('roleViewer')}</option>
            <option value="admin">{t('roleAdmin')}</option>
          </select>
        </div>
        <div class="field">
          <label for="acc-password">{t('newPassword')}</label>
          <input
            id="acc-password"
            type="password"
            autocomplete="new-password"
            required
            minLength={10}
            maxLength={200}
            value={f.password}
            onInput={set('password')}
          />
        </div>
        <ErrorBox error={error} testid="account-create-error" />
        <FormButtons busy={busy} testid="account-create-submit" label={t('create')} />
      </GridForm>
    </Section>
  );
}
