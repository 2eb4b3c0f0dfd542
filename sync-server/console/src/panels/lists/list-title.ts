// A list's title, shared by the lists page and each of its panels.
import { t } from '../../i18n.js';
import type { ListName } from '../../types.js';

/** The words for a list ("Danh sách y tế", "Danh sách ưu tiên", …) in the current language. */
export const listTitle = (l: ListName): string => (l === 'health' ? t('listHealth') : t('listWhitelist'));
