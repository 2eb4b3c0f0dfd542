// Small DOM helpers the three keypads share: buttons that never submit a form, and keys whose
// accessible name is either their character or words (a symbol beside the words is hidden).

/** Makes an element with a class and optional text. */
export function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A key whose accessible name is its character ("G", "0", "-"). */
export function characterKey(character: string, onPress: () => void): HTMLButtonElement {
  const key = make('button', 'kp-key kp-char', character);
  key.type = 'button';
  key.dataset['key'] = character;
  key.addEventListener('click', onPress);
  return key;
}

/** A key labelled in words, with an optional symbol shown beside them and hidden from readers. */
export function actionKey(action: string, onPress: () => void): HTMLButtonElement {
  const key = make('button', `kp-key kp-action kp-${action}`);
  key.type = 'button';
  key.dataset['action'] = action;
  key.addEventListener('click', onPress);
  return key;
}

/** Sets an action key's words (its accessible name) and symbol. */
export function labelKey(key: HTMLElement, words: string, symbol = ''): void {
  const children: Node[] = [];
  if (symbol !== '') {
    const icon = make('span', 'kp-icon', symbol);
    icon.setAttribute('aria-hidden', 'true');
    children.push(icon);
  }
  children.push(make('span', 'kp-words', words));
  key.replaceChildren(...children);
}

/** True when a keydown carries a modifier that makes it a shortcut, not typing. */
export function isShortcut(event: KeyboardEvent): boolean {
  return event.ctrlKey || event.metaKey || event.altKey;
}
