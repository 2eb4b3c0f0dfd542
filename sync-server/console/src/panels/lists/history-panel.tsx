// One list's version history, newest first, 20 versions a page.
import { api } from '../../api.js';
import { DataTable, StackPager, usePageStack } from '../../components/data.js';
import { buildQuery, formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import type { ListName, ListVersion } from '../../types.js';
import { ErrorBox, Loading, Section, useApp, useLoad } from '../../ui.js';
import { listTitle } from './list-title.js';

/** The history panel of one list; a new `tick` reloads it. */
export function HistoryPanel(props: { list: ListName; tick: number }) {
  const app = useApp();
  const pages = usePageStack<number>();
  const cursor = pages.current;
  const limit = 20;
  const h = useLoad(
    () =>
      api<{ versions: ListVersion[] }>(
        'GET',
        `/api/v1/admin/lists/${props.list}/history${buildQuery({ limit, before: cursor })}`,
      ),
    [props.list, cursor, props.tick],
  );
  const versions = h.data?.versions ?? [];
  const last = versions.at(-1);
  return (
    <Section title={`${t('history')} — ${listTitle(props.list)}`} testid="history-panel">
      <ErrorBox error={h.error} onRetry={h.reload} />
      <Loading show={h.loading && !h.data} />
      <DataTable
        columns={[t('version'), t('time'), t('who'), t('action'), t('changes')]}
        empty={h.data && versions.length === 0 && t('none')}
      >
        {versions.map((v) => (
          <tr key={v.version} data-testid="history-row">
            <td class="num">{v.version}</td>
            <td class="nowrap">{formatTime(v.at, app.lang)}</td>
            <td class="nowrap">{v.actor}</td>
            <td class="nowrap">{v.action}</td>
            <td>{v.changes ?? ''}</td>
          </tr>
        ))}
      </DataTable>
      <StackPager
        stack={pages}
        next={versions.length < limit || !last ? null : last.version}
        back={{ label: t('newerPage') }}
        forward={{ label: t('olderPage'), testid: 'history-older' }}
      />
    </Section>
  );
}
