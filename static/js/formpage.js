// Admins: the organization's daily form. Start from the form in force or a template, add,
// reorder, edit and retire questions with both languages side by side, see the phone form as
// it will look, and save it as the next version. The server's problems are shown on the
// question they name. Past days can be checked again under the rules in force.

import { api, send } from './api.js';
import { h, clear } from './dom.js';
import { t, label, formatTime, formatDate, addDays, errorText, problemText } from './i18n.js';
import { field, banner, clearErrors, showFieldErrors, showError, select } from './ui.js';
import { questionInput } from './checkin.js';
import { remember, ruleText } from './forms.js';

const TYPES = ['number', 'single_choice', 'multi_choice', 'boolean', 'text', 'date'];
const LANGS = [['en', 'lang_en'], ['zh-CN', 'lang_zh']];

// ---------- the draft: questions as the inputs hold them ----------

const text = (v) => (v === null || v === undefined ? '' : String(v));
const pair = (l) => ({ en: text(l?.en), 'zh-CN': text(l?.['zh-CN']) });

function option(o = {}, abnormalValues = []) {
  return { value: text(o.value), label: pair(o.label), abnormal: abnormalValues.includes(o.value) };
}

/** Type-specific attributes a question gets when it becomes of `type`, keeping what it had. */
function withDefaults(q, type) {
  const d = { ...q, type };
  if (type === 'number') {
    d.min ??= '0';
    d.max ??= '100';
    d.decimals ??= '0';
    d.unit ??= '';
    d.above ??= '';
    d.below ??= '';
  }
  if (type === 'single_choice' || type === 'multi_choice') {
    if (!d.options || !d.options.length) d.options = [option()];
  }
  if (type === 'text') d.max_length ??= '200';
  return d;
}

/** A question of the form (as the API has it) as the editor keeps it. */
function fromField(f) {
  const q = {
    key: text(f.key),
    label: pair(f.label),
    help: pair(f.help),
    required: Boolean(f.required),
    carry_over: f.carry_over !== false,
    type: f.type,
    abnormal_if_any: Boolean(f.abnormal_if_any),
    abnormal_if_true: Boolean(f.abnormal_if_true),
  };
  if (f.type === 'number') {
    Object.assign(q, { min: text(f.min), max: text(f.max), decimals: text(f.decimals), unit: text(f.unit), above: text(f.abnormal_at_or_above), below: text(f.abnormal_at_or_below) });
  }
  if (f.options) {
    q.options = f.options.map((o) => option(o, f.abnormal_values || []));
    // The abnormal options in the order the form lists them, so an unchanged form stays equal.
    q.abnormalOrder = (f.abnormal_values || []).map((v) => q.options.find((o) => o.value === v)).filter(Boolean);
  }
  if (f.type === 'text') q.max_length = text(f.max_length);
  return withDefaults(q, f.type);
}

function newQuestion(type) {
  // A measurement is taken afresh each day; other answers may stand for the next day.
  return withDefaults({ key: '', label: pair(), help: pair(), required: true, carry_over: type !== 'number', abnormal_if_any: false, abnormal_if_true: false }, type);
}

/** The options marked abnormal: those the form had first, in its order, then the new ones. */
function abnormalOptions(q) {
  const marked = q.options.filter((o) => o.abnormal);
  const before = (q.abnormalOrder || []).filter((o) => marked.includes(o));
  return [...before, ...marked.filter((o) => !before.includes(o))];
}

const trimmed = (l) => ({ en: l.en.trim(), 'zh-CN': l['zh-CN'].trim() });
const number = (raw) => (String(raw).trim() === '' ? NaN : Number(raw));

/** The question as the API takes it. */
function toField(q) {
  const f = { key: q.key.trim(), label: trimmed(q.label) };
  const help = trimmed(q.help);
  if (help.en || help['zh-CN']) f.help = help;
  f.required = q.required;
  f.carry_over = q.carry_over;
  f.type = q.type;
  const options = () => q.options.map((o) => ({ value: o.value.trim(), label: trimmed(o.label) }));
  switch (q.type) {
    case 'number':
      Object.assign(f, {
        min: number(q.min),
        max: number(q.max),
        decimals: number(q.decimals),
        unit: q.unit.trim(),
        abnormal_at_or_above: q.above.trim() === '' ? null : number(q.above),
        abnormal_at_or_below: q.below.trim() === '' ? null : number(q.below),
      });
      break;
    case 'single_choice':
      f.options = options();
      f.abnormal_values = abnormalOptions(q).map((o) => o.value.trim());
      break;
    case 'multi_choice':
      f.options = options();
      f.abnormal_if_any = q.abnormal_if_any;
      break;
    case 'boolean':
      f.abnormal_if_true = q.abnormal_if_true;
      break;
    case 'text':
      f.max_length = number(q.max_length);
      break;
    default:
      break;
  }
  return f;
}

/**
 * What the browser can tell before sending: numbers that are not numbers (JSON has no place
 * for them). Keyed and shaped as the server's problems, so they are shown the same way.
 */
function localProblems(fields) {
  const problems = {};
  fields.forEach((f, index) => {
    const at = (part, code, params = {}) => {
      problems[`fields.${index}.${part}`] = { code, params: { ...params, index, key: f.key } };
    };
    const numbers = { number: ['min', 'max', 'decimals', 'abnormal_at_or_above', 'abnormal_at_or_below'], text: ['max_length'] }[f.type] || [];
    for (const part of numbers) {
      if (f[part] !== null && !Number.isFinite(f[part])) at(part, f[part] === undefined || Number.isNaN(f[part]) ? 'required' : 'not_a_number');
    }
    if (f.type === 'number' && Number.isFinite(f.decimals) && !(Number.isInteger(f.decimals) && f.decimals >= 0 && f.decimals <= 4)) {
      at('decimals', 'out_of_range', { min: 0, max: 4 });
    }
    if (f.type === 'text' && Number.isFinite(f.max_length) && !(Number.isInteger(f.max_length) && f.max_length >= 1 && f.max_length <= 2000)) {
      at('max_length', 'out_of_range', { min: 1, max: 2000 });
    }
  });
  return problems;
}

// ---------- the page ----------

export async function formView(main) {
  // Today as the organization's calendar has it, for the recompute box.
  const [current, templates, day] = await Promise.all([api('GET', '/form'), api('GET', '/form/templates'), api('GET', '/checkins/today')]);
  remember(current);
  const state = { current, draft: current.fields.map(fromField) };

  const status = h('div.status#form-status', { role: 'status', 'aria-live': 'polite' });
  const inForce = h('p.muted#form-in-force');
  const questions = h('ol.questions#form-questions');
  const preview = h('div.phone#form-preview-body');

  const showInForce = () => {
    const c = state.current;
    clear(inForce, c.created_by
      ? t('form_in_force_by', { n: c.version, name: c.created_by.name, time: formatTime(c.created_at) })
      : t('form_in_force', { n: c.version }));
  };

  // Start from the form in force or a template.
  const starts = () => [['current', t('form_start_current', { n: state.current.version })], ...templates.map((tpl) => [tpl.id, label(tpl.name)])];
  const startSelect = select('form-start', starts(), 'current');
  const startHelp = h('p.help#help-form-start');
  startSelect.setAttribute('aria-describedby', 'help-form-start');
  const describeStart = () => {
    const tpl = templates.find((x) => x.id === startSelect.value);
    startHelp.textContent = tpl ? label(tpl.description) : t('form_start_current_help');
  };
  startSelect.addEventListener('change', describeStart);
  const load = h('button.secondary#form-load', { type: 'button' }, t('form_load'));
  load.addEventListener('click', () => {
    const tpl = templates.find((x) => x.id === startSelect.value);
    state.draft = (tpl ? tpl.fields : state.current.fields).map(fromField);
    clear(status, banner(tpl ? t('form_loaded_template', { name: label(tpl.name) }) : t('form_loaded_current'), 'info'));
    render();
  });

  // Adding a question of a chosen type.
  const addType = select('form-add-type', TYPES.map((ty) => [ty, t(`type_${ty}`)]), 'number');
  const add = h('button.secondary#form-add', { type: 'button' }, t('form_add'));
  add.addEventListener('click', () => {
    state.draft.push(newQuestion(addType.value));
    render();
    const last = questions.lastElementChild;
    last?.scrollIntoView?.({ block: 'nearest' });
    last?.querySelector('input')?.focus();
  });

  const save = h('button.primary.big#form-save', { type: 'button' }, t('form_save'));
  save.addEventListener('click', async () => {
    clearAll();
    const fields = state.draft.map(toField);
    const local = localProblems(fields);
    if (Object.keys(local).length) {
      const unplaced = placeProblems(questions, local);
      showError(status, { status: 422 }, t('error_fields'), unplaced);
      return;
    }
    save.disabled = true;
    try {
      const response = await send('PUT', '/api/v1/form', { json: { fields, base_version: state.current.version } });
      const saved = await response.json();
      remember(saved);
      state.current = saved;
      state.draft = saved.fields.map(fromField);
      clear(startSelect, starts().map(([v, name]) => h('option', { value: v }, name)));
      startSelect.value = 'current';
      describeStart();
      showInForce();
      render();
      clear(status, banner(response.status === 201 ? t('form_saved', { n: saved.version }) : t('form_unchanged'), 'ok'));
    } catch (error) {
      const unplaced = placeProblems(questions, error.problems);
      showError(status, error, errorText(error), unplaced);
    } finally {
      save.disabled = false;
    }
    status.scrollIntoView?.({ block: 'nearest' });
  });

  const clearAll = () => {
    clearErrors(questions);
    for (const el of questions.querySelectorAll('.invalid')) el.classList.remove('invalid');
    clear(status);
  };

  const move = (from, to) => {
    if (to < 0 || to >= state.draft.length) return;
    const [q] = state.draft.splice(from, 1);
    state.draft.splice(to, 0, q);
    render();
    questions.children[to]?.querySelector(to < from ? '.move-up' : '.move-down')?.focus();
  };

  const refreshPreview = () => {
    const fields = state.draft.map(toField);
    clear(preview, fields.length
      ? fields.map((f, i) => questionInput(f, undefined, `preview-${i}`))
      : h('p.muted', t('form_empty')));
    questions.querySelectorAll(':scope > li').forEach((li, i) => {
      const q = state.draft[i];
      if (!q) return;
      clear(li.querySelector('.q-title'), label(q.label) || q.key || t('form_question_n', { n: i + 1 }));
      clear(li.querySelector('.q-summary'), summaryText(fields[i]));
    });
  };

  const render = () => {
    clear(questions, state.draft.map((q, i) => questionCard(q, i, state.draft.length, {
      change: refreshPreview,
      restructure: render,
      move,
      remove: () => {
        state.draft.splice(i, 1);
        render();
        clear(status, banner(t('form_removed', { name: label(q.label) || q.key || t('form_question_n', { n: i + 1 }) }), 'info'));
      },
    })));
    refreshPreview();
  };

  showInForce();
  describeStart();
  clear(main,
    h('h1', t('form_title')),
    inForce,
    h('section.card#form-start-card',
      h('h2', t('form_start')),
      h('div.row',
        h('div.field.grow', h('label', { for: 'form-start' }, t('form_start_from')), startHelp, startSelect),
        load)),
    h('div.form-editor',
      h('div.form-questions',
        h('h2', t('form_questions')),
        h('p.help', t('form_key_help')),
        questions,
        h('section.card#form-add-card',
          h('h2', t('form_add_title')),
          h('div.row',
            h('div.field.grow', h('label', { for: 'form-add-type' }, t('form_type')), addType),
            add)),
        status,
        h('div.actions', save)),
      h('aside.card.preview#form-preview', { 'aria-labelledby': 'form-preview-title' },
        h('h2#form-preview-title', t('form_preview')),
        h('p.help', t('form_preview_help')),
        preview)),
    recomputeCard(day.date));
  render();
}

function summaryText(f) {
  return [t(`type_${f.type}`), f.key || null, f.required ? t('form_required_short') : t('form_optional_short'), ruleText(f)].filter(Boolean).join(' · ');
}

/** Places each problem on its input, or else on the question it names; returns the rest as lines. */
function placeProblems(root, problems) {
  const unplaced = [];
  let first = null;
  for (const [key, problem] of Object.entries(problems || {})) {
    const message = problemText(problem);
    let container = root.querySelector(`[data-field="${CSS.escape(key)}"]`);
    let prefix = '';
    if (!container) {
      const index = Number.isInteger(problem.params?.index) ? problem.params.index : Number((key.match(/^fields\.(\d+)/) || [])[1]);
      if (Number.isInteger(index)) {
        container = root.querySelector(`[data-field="fields.${index}"]`);
        prefix = `${key.split('.').slice(2).join('.')}: `;
      }
    }
    if (!container) {
      unplaced.push(key === 'fields' ? message : `${key}: ${message}`);
      continue;
    }
    container.classList.add('invalid');
    // The question is marked as a whole, so a long form shows where to look.
    container.closest('.question')?.classList.add('invalid');
    const err = container.querySelector(':scope > .field-error');
    const line = prefix === ': ' ? message : prefix + message;
    if (err) err.textContent = err.textContent ? `${err.textContent}; ${line}` : line;
    const input = container.querySelector('input, select, textarea');
    if (input && container.classList.contains('field')) input.setAttribute('aria-invalid', 'true');
    first = first || input;
  }
  first?.focus();
  return unplaced;
}

/**
 * Keeps the draft as the input shows it: on every keystroke, and on a change made any other
 * way (a picker, a cleared field, a ticked box).
 */
function keep(input, set, changed) {
  const update = () => {
    set(input.type === 'checkbox' ? input.checked : input.value);
    changed();
  };
  input.addEventListener('input', update);
  input.addEventListener('change', update);
  return input;
}

/** One question: its key, labels, help, type and rules, with buttons to move and retire it. */
function questionCard(q, i, count, on) {
  const base = `fields.${i}`;
  const scope = 'form';
  const title = () => label(q.label) || q.key || t('form_question_n', { n: i + 1 });
  const bind = (input, set) => keep(input, set, on.change);
  const textInput = (name, value, set, attrs = {}) => field(name, attrs.labelText,
    bind(h('input', { type: attrs.type || 'text', name, value, inputmode: attrs.inputmode, step: attrs.step, maxlength: attrs.maxlength, autocomplete: 'off', spellcheck: attrs.spellcheck }), set),
    attrs.help, scope);
  const check = (id, checked, set, text) => h('label.check', bind(h('input', { id, type: 'checkbox', checked }), set), text);
  const both = (part, values, labelKey, max) => h('div.pair', LANGS.map(([code, langKey]) => textInput(`${base}.${part}.${code}`, values[code], (v) => { values[code] = v; },
    { labelText: `${t(labelKey)} (${t(langKey)})`, spellcheck: 'true', maxlength: max })));
  const id = (part) => `form-q${i}-${part}`;

  const typeSelect = select(id('type'), TYPES.map((ty) => [ty, t(`type_${ty}`)]), q.type);
  typeSelect.addEventListener('change', () => {
    Object.assign(q, withDefaults(q, typeSelect.value));
    on.restructure();
  });

  const rules = [];
  if (q.type === 'number') {
    const num = (part, prop, labelKey, help) => textInput(`${base}.${part}`, q[prop], (v) => { q[prop] = v; },
      { labelText: t(labelKey), type: 'number', step: 'any', inputmode: 'decimal', help });
    rules.push(h('div.pair',
      num('min', 'min', 'form_min'),
      num('max', 'max', 'form_max'),
      num('decimals', 'decimals', 'form_decimals'),
      textInput(`${base}.unit`, q.unit, (v) => { q.unit = v; }, { labelText: t('form_unit') })),
    h('div.pair',
      num('abnormal_at_or_above', 'above', 'form_above', t('form_threshold_help')),
      num('abnormal_at_or_below', 'below', 'form_below', t('form_threshold_help'))));
  }
  if (q.type === 'single_choice' || q.type === 'multi_choice') {
    rules.push(optionsEditor(q, i, on));
    if (q.type === 'multi_choice') rules.push(check(id('any'), q.abnormal_if_any, (v) => { q.abnormal_if_any = v; }, t('form_abnormal_if_any')));
  }
  if (q.type === 'boolean') rules.push(check(id('yes'), q.abnormal_if_true, (v) => { q.abnormal_if_true = v; }, t('form_abnormal_if_true')));
  if (q.type === 'text') {
    rules.push(textInput(`${base}.max_length`, q.max_length, (v) => { q.max_length = v; }, { labelText: t('form_max_length'), type: 'number', step: '1', inputmode: 'numeric' }));
  }

  const button = (cls, textKey, disabled, onclick) => h(`button.secondary.small.${cls}`, {
    type: 'button', disabled, onclick, 'aria-label': t(`${textKey}_label`, { name: title() }),
  }, t(textKey));

  return h('li.card.question', { 'data-field': base, id: `form-q${i}` },
    h('div.q-head',
      h('h3', h('span.q-number', `${i + 1}. `), h('span.q-title', title())),
      h('div.actions',
        button('move-up', 'form_up', i === 0, () => on.move(i, i - 1)),
        button('move-down', 'form_down', i === count - 1, () => on.move(i, i + 1)),
        h('button.danger.small.remove', { type: 'button', onclick: on.remove, 'aria-label': t('form_remove_label', { name: title() }) }, t('form_remove')))),
    h('p.muted.q-summary'),
    h('p.field-error', { id: `err-form-q${i}`, role: 'alert' }),
    h('div.pair',
      textInput(`${base}.key`, q.key, (v) => { q.key = v; }, { labelText: t('form_key'), spellcheck: 'false' }),
      field(`${base}.type`, t('form_type'), typeSelect, undefined, scope)),
    both('label', q.label, 'form_label', 200),
    both('help', q.help, 'form_help', 500),
    h('div.checks',
      check(id('required'), q.required, (v) => { q.required = v; }, t('form_required')),
      check(id('carry'), q.carry_over, (v) => { q.carry_over = v; }, t('form_carry_over'))),
    rules);
}

/** The options of a choice question: value and both labels, moved, removed, marked abnormal. */
function optionsEditor(q, i, on) {
  const base = `fields.${i}.options`;
  const scope = 'form';
  const bind = (input, set) => keep(input, set, on.change);
  const rows = q.options.map((o, j) => {
    const name = (part) => `${base}.${j}.${part}`;
    const input = (part, value, set, labelText, attrs = {}) => field(name(part), labelText, bind(h('input', { type: 'text', value, autocomplete: 'off', ...attrs }), set), undefined, scope);
    const moveOption = (to) => {
      if (to < 0 || to >= q.options.length) return;
      const [moved] = q.options.splice(j, 1);
      q.options.splice(to, 0, moved);
      on.restructure();
    };
    const optionName = o.value || t('form_option_n', { n: j + 1 });
    return h('li.option', { 'data-field': `${base}.${j}` },
      h('div.pair',
        input('value', o.value, (v) => { o.value = v; }, t('form_option_value'), { spellcheck: 'false' }),
        LANGS.map(([code, langKey]) => input(`label.${code}`, o.label[code], (v) => { o.label[code] = v; }, `${t('form_option_label')} (${t(langKey)})`))),
      h('div.actions',
        q.type === 'single_choice'
          ? h('label.check', bind(h('input', { id: `form-q${i}-o${j}-abnormal`, type: 'checkbox', checked: o.abnormal }), (v) => { o.abnormal = v; }), t('form_option_abnormal'))
          : null,
        h('button.secondary.small', { type: 'button', disabled: j === 0, onclick: () => moveOption(j - 1), 'aria-label': t('form_up_label', { name: optionName }) }, t('form_up')),
        h('button.secondary.small', { type: 'button', disabled: j === q.options.length - 1, onclick: () => moveOption(j + 1), 'aria-label': t('form_down_label', { name: optionName }) }, t('form_down')),
        h('button.danger.small', { type: 'button', onclick: () => { q.options.splice(j, 1); on.restructure(); }, 'aria-label': t('form_remove_label', { name: optionName }) }, t('form_remove'))),
      h('p.field-error', { role: 'alert' }));
  });
  return h('fieldset.field.options', { 'data-field': base },
    h('legend', t('form_options')),
    h('ol.options', rows),
    h('p.field-error', { id: `err-form-q${i}-options`, role: 'alert' }),
    h('button.secondary.small', { id: `form-q${i}-add-option`, type: 'button', onclick: () => { q.options.push(option()); on.restructure(); } }, t('form_add_option')));
}

/** Checks the check-ins of a range of days again under the rules in force. */
function recomputeCard(today) {
  const status = h('div.status#recompute-status', { role: 'status', 'aria-live': 'polite' });
  const formEl = h('form.card#recompute-form', { novalidate: true },
    h('h2', t('recompute_title')),
    h('p.help', t('recompute_help')),
    h('div.row',
      field('from', t('from'), h('input#recompute-from', { type: 'date', name: 'from', required: true, value: addDays(today, -6), max: today }), undefined, 'recompute'),
      field('to', t('to'), h('input#recompute-to', { type: 'date', name: 'to', required: true, value: today, max: today }), undefined, 'recompute')),
    h('div.actions', h('button.secondary#recompute-run', { type: 'submit' }, t('recompute_run'))),
    status);
  formEl.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(formEl);
    clear(status);
    try {
      const done = await api('POST', '/form/recompute', { from: formEl.from.value, to: formEl.to.value });
      clear(status, banner(t('recomputed', {
        checked: done.checked, changed: done.changed, n: done.form_version, from: formatDate(done.from), to: formatDate(done.to),
      }), 'ok'));
    } catch (error) {
      const unplaced = showFieldErrors(formEl, error.problems);
      showError(status, error, errorText(error), unplaced);
    }
  });
  return formEl;
}
