// Shared pieces: labelled fields with their error line, banners, error placement.

import { h, clear } from './dom.js';
import { problemText } from './i18n.js';

export function fieldId(name) {
  return name.replace(/[^a-zA-Z0-9_-]/g, '-');
}

/**
 * A labelled field; `name` is the API's key for it (e.g. `answers.temperature`). `scope` keeps
 * the ids of its help and error lines apart when several forms on a page share field names.
 */
export function field(name, labelText, input, help, scope) {
  const id = scope ? `${scope}-${fieldId(name)}` : fieldId(name);
  const errId = `err-${id}`;
  const helpId = help ? `help-${id}` : null;
  if (!input.id) input.id = `f-${id}`;
  input.setAttribute('aria-describedby', [helpId, errId].filter(Boolean).join(' '));
  return h('div.field', { 'data-field': name },
    h('label', { for: input.id }, labelText),
    help ? h('p.help', { id: helpId }, help) : null,
    input,
    h('p.field-error', { id: errId, role: 'alert' }));
}

/** A group of choices (radios or checkboxes) in a fieldset with a legend. */
export function group(name, legend, choices, help, scope) {
  const id = scope ? `${scope}-${fieldId(name)}` : fieldId(name);
  return h('fieldset.field.group', { 'data-field': name, 'aria-describedby': `err-${id}` },
    h('legend', legend),
    help ? h('p.help', help) : null,
    h('div.choices', choices),
    h('p.field-error', { id: `err-${id}`, role: 'alert' }));
}

export function banner(text, kind = 'info') {
  return h(`div.banner.${kind}`, { role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function clearErrors(root) {
  for (const el of root.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of root.querySelectorAll('.field.invalid')) el.classList.remove('invalid');
  for (const el of root.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/**
 * Puts each field problem (an ApiError's `problems`, or field → sentence already in the page's
 * language) next to its field. Keys without a field on the page are returned as "key: problem"
 * lines for a banner.
 */
export function showFieldErrors(root, problems) {
  const unplaced = [];
  let first = null;
  for (const [key, problem] of Object.entries(problems || {})) {
    const message = typeof problem === 'string' ? problem : problemText(problem);
    let container = null;
    for (let k = key; k && !container; k = k.includes('.') ? k.slice(k.indexOf('.') + 1) : '') {
      container = root.querySelector(`[data-field="${CSS.escape(k)}"]`);
    }
    if (!container) {
      unplaced.push(`${key}: ${message}`);
      continue;
    }
    container.classList.add('invalid');
    const err = container.querySelector('.field-error');
    const text = message;
    err.textContent = err.textContent ? `${err.textContent}; ${text}` : text;
    const input = container.querySelector('input, select, textarea');
    if (input) input.setAttribute('aria-invalid', 'true');
    first = first || input;
  }
  // The first field in error as the page shows them, not as the server listed them.
  const topmost = root.querySelector('.field.invalid input, .field.invalid select, .field.invalid textarea');
  (topmost || first)?.focus();
  return unplaced;
}

/** Shows an error in a status box, with any unplaced field messages under it. */
export function showError(status, error, text, unplaced = []) {
  clear(status, banner(text, 'error'), unplaced.length ? h('ul.errors', unplaced.map((u) => h('li', u))) : null);
}

export function select(id, options, value) {
  return h(`select#${id}`, {}, options.map(([v, text]) => h('option', { value: v, selected: v === value ? true : null }, text)));
}
