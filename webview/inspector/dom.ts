/** Element builders for the inspector: el (tag, class, text; shared by every webview) and button. */
import { el } from '../shared/dom';

export { el };

export function button(label: string, onClick: () => void, cls = '', title = ''): HTMLButtonElement {
  const b = el('button', cls, label);
  b.type = 'button';
  if (title) b.title = title;
  b.addEventListener('click', onClick);
  return b;
}
