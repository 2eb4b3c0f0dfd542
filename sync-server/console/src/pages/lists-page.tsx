// Lists: each list's version and size, a tab per list, and that list's panels (in
// panels/lists/): CSV import (admins), one entry's lookup / add / edit / delete, the history.
import { LIST_NAMES } from '@checkpoint-lane/shared';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { subscribe } from '../live.js';
import { EntryPanel } from '../panels/lists/entry-panel.js';
import { HistoryPanel } from '../panels/lists/history-panel.js';
import { ImportPanel } from '../panels/lists/import-panel.js';
import { listTitle } from '../panels/lists/list-title.js';
import type { ListName, ListState } from '../types.js';
import { ErrorBox, Loading, useApp, useLoad } from '../ui.js';

/** The lists page. */
export function ListsPage() {
  const app = useApp();
  const [list, setList] = useState<ListName>('health');
  const lists = useLoad(() => api<{ lists: ListState[] }>('GET', '/api/v1/admin/lists'), []);
  const [historyTick, setHistoryTick] = useState(0);
  const changed = (): void => {
    lists.reload();
    setHistoryTick((n) => n + 1);
  };
  useEffect(
    () =>
      subscribe((e) => {
        if (e.name === 'list-version') changed();
      }),
    [],
  );
  return (
    <div class="page">
      <h1>{t('navLists')}</h1>
      <ErrorBox error={lists.error} onRetry={lists.reload} />
      <Loading show={lists.loading && !lists.data} />
      {lists.data && (
        <table class="table narrow" data-testid="lists-table">
          <thead>
            <tr>
              <th scope="col">{t('navLists')}</th>
              <th scope="col">{t('version')}</th>
              <th scope="col">{t('count')}</th>
            </tr>
          </thead>
          <tbody>
            {lists.data.lists.map((l) => (
              <tr key={l.list} data-testid={`list-row-${l.list}`}>
                <td>{listTitle(l.list)}</td>
                <td data-testid="list-version">{l.version}</td>
                <td data-testid="list-count">{l.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="segmented" role="tablist">
        {LIST_NAMES.map((l) => (
          <button
            key={l}
            type="button"
            role="tab"
            aria-selected={list === l}
            class={list === l ? 'selected' : ''}
            data-testid={`list-tab-${l}`}
            onClick={() => {
              setList(l);
            }}
          >
            {listTitle(l)}
          </button>
        ))}
      </div>
      {app.isAdmin && <ImportPanel key={`i-${list}`} list={list} onChanged={changed} />}
      <EntryPanel key={`e-${list}`} list={list} onChanged={changed} />
      <HistoryPanel key={`h-${list}`} list={list} tick={historyTick} />
    </div>
  );
}
