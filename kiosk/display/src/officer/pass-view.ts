// A scanned lane pass on the officer's main panel: route (origin → destination, province names,
// district and ward codes when the pass gives them), validity window and plate. Officer screen
// only: the traveller's screen never receives a desk item.
import { provinceName, type DeskItem, type DeskPass, type Language } from '@checkpoint-lane/shared';
import { t } from '../ui-text.js';
import { el, make } from './dom.js';

/** Day and time in Vietnam's time: `18/09 07:00` (the console and the clock show the same zone). */
const DAY_TIME = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh',
  day: '2-digit',
  month: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

/** `18/09 07:00`. */
export function dayTime(at: number): string {
  const parts = Object.fromEntries(DAY_TIME.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  return `${parts['day']}/${parts['month']} ${parts['hour']}:${parts['minute']}`;
}

/** An area's parts in words: the province's name, and its district and ward codes when given. */
function areaParts(area: DeskPass['from'], language: Language): { name: string; codes: string | null } {
  const name =
    provinceName(area.province, language) ?? t('passProvinceCode', language, { code: area.province });
  const codes: string[] = [];
  if (area.district !== null)
    codes.push(t('passDistrictCode', language, { code: String(area.district).padStart(3, '0') }));
  if (area.ward !== null)
    codes.push(t('passWardCode', language, { code: String(area.ward).padStart(5, '0') }));
  return { name, codes: codes.length === 0 ? null : `(${codes.join(', ')})` };
}

/** An area in words: `TP Hồ Chí Minh (quận/huyện 760, phường/xã 26734)`. */
export function areaWords(area: DeskPass['from'], language: Language): string {
  const { name, codes } = areaParts(area, language);
  return codes === null ? name : `${name} ${codes}`;
}

/** The route as nodes: names in bold, codes smaller (so that a route fits one line). */
function routeNodes(pass: DeskPass, language: Language): Node[] {
  const area = (a: DeskPass['from']): Node[] => {
    const { name, codes } = areaParts(a, language);
    return [
      make('b', '', name),
      ...(codes === null ? [] : [document.createTextNode(' '), make('span', 'pass-codes', codes)]),
    ];
  };
  return [...area(pass.from), document.createTextNode(' → '), ...area(pass.to)];
}

/** Paints the pass box of the item shown (hidden when it is not a pass). */
export function renderPass(item: DeskItem | null, language: Language): void {
  const box = el('pass');
  const pass = item?.pass ?? null;
  box.hidden = pass === null;
  if (pass === null) {
    box.replaceChildren();
    delete box.dataset['verified'];
    return;
  }
  box.dataset['verified'] = String(pass.verified);
  box.setAttribute('aria-label', t('passTitle', language));
  const label = (key: 'passRoute' | 'passValidity' | 'passPlate'): HTMLElement =>
    make('span', 'pass-label', `${t(key, language)}:`);
  const value = (text: string, id: string, className = 'pass-value'): HTMLElement =>
    Object.assign(make('b', className, text), { id });
  box.replaceChildren(
    ...(pass.verified ? [] : [make('span', 'pass-unverified', `⚠ ${t('passUnverified', language)}`)]),
    label('passRoute'),
    value(
      `${areaWords(pass.from, language)} → ${areaWords(pass.to, language)}`,
      'pass-route',
      'pass-value wide',
    ),
    label('passValidity'),
    value(`${dayTime(pass.validFrom)} – ${dayTime(pass.validUntil)}`, 'pass-validity'),
    ...(pass.plate === null ? [] : [label('passPlate'), value(pass.plate, 'pass-plate')]),
  );
  el('pass-route').replaceChildren(...routeNodes(pass, language));
}
