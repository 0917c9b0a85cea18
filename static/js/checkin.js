// Staff: today's form prefilled with the last answers that carry over, a one-tap "nothing
// changed" that sends the form as shown, corrections with a reason, late days, the last 30 days.
// The form filled in is always the one in force; answers already given are shown with the
// questions of the version they were given on.

import { api, path, dayParam, download } from './api.js';
import { h, clear } from './dom.js';
import { t, tn, lang, label, formatDate, formatTime, addDays, todayIso, errorText, problemLines } from './i18n.js';
import { field, group, banner, clearErrors, showFieldErrors, showError } from './ui.js';
import { formOf, formsOf, remember } from './forms.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** An answer as text in the current language. */
export function answerText(f, value) {
  if (value === undefined || value === null || value === '') return '—';
  switch (f.type) {
    case 'number':
      return `${f.decimals ? Number(value).toFixed(f.decimals) : value} ${f.unit || ''}`.trim();
    case 'boolean':
      return value ? t('yes') : t('no');
    case 'single_choice': {
      const o = f.options.find((x) => x.value === value);
      return o ? label(o.label) : value;
    }
    case 'multi_choice':
      // An empty list is the answer "none", not a missing one.
      return value.length ? value.map((v) => label((f.options.find((x) => x.value === v) || {}).label) || v).join(', ') : t('none');
    case 'date':
      return DAY.test(value) ? formatDate(value) : String(value);
    default:
      return Array.isArray(value) ? value.join(', ') : String(value);
  }
}

/**
 * The answers as `form` asks its questions, the abnormal ones marked. An answer to a key the
 * form does not have is still shown, under its key.
 */
export function answersList(form, answers, reasons = []) {
  const fields = form ? form.fields : [];
  const unknown = Object.keys(answers || {})
    .filter((key) => !fields.some((f) => f.key === key))
    .map((key) => ({ key, label: key, type: 'text' }));
  return h('dl.answers', [...fields, ...unknown].flatMap((f) => [
    h('dt', { class: reasons.includes(f.key) ? 'flag' : null }, label(f.label)),
    h('dd', { class: reasons.includes(f.key) ? 'flag' : null }, answerText(f, (answers || {})[f.key])),
  ]));
}

/**
 * A check-in's answers with the labels of its own version of the form; filled in when that
 * version has arrived (`fallback`, the form at hand, if it cannot be had).
 */
export function checkinAnswers(c, fallback) {
  const box = h('div.answers-of', { 'data-form-version': c.form_version });
  formOf(c.form_version)
    .catch(() => fallback)
    .then((form) => clear(box, answersList(form, c.answers, c.abnormal_reasons)));
  return box;
}

/**
 * One question as the phone shows it, with its help line; `scope` keeps ids apart when the
 * same form is shown twice on a page (the form page's preview).
 */
export function questionInput(f, value, scope) {
  const name = `answers.${f.key}`;
  // A required question's title ends in a star; a screen reader hears "required" instead.
  const mark = f.required
    ? [h('span.req', { 'aria-hidden': 'true' }, ' *'), h('span.sr-only', ` (${t('required_mark')})`)]
    : null;
  const title = [label(f.label), mark];
  const help = f.help && label(f.help) ? label(f.help) : null;
  switch (f.type) {
    case 'number':
      // Text with a decimal keypad rather than a number field, so that "36,8" (a comma, as
      // many keyboards offer) is read as 36.8 instead of being dropped or becoming 368.
      return field(name, [label(f.label), f.unit ? ` (${f.unit})` : null, mark], h('input', {
        type: 'text', name, inputmode: 'decimal', autocomplete: 'off', 'data-number': '1',
        required: f.required, value: value ?? '',
      }), help, scope);
    case 'text':
      return field(name, title, f.max_length > 200
        ? h('textarea', { name, maxlength: f.max_length, rows: 2 }, value ?? '')
        : h('input', { type: 'text', name, maxlength: f.max_length, value: value ?? '' }), help, scope);
    case 'date':
      return field(name, title, h('input', { type: 'date', name, required: f.required, value: value ?? '' }), help, scope);
    case 'boolean':
      return group(name, title, [true, false].map((v) =>
        h('label.choice', h('input', { type: 'radio', name, value: String(v), checked: value === v }), v ? t('yes') : t('no'))), help, scope);
    case 'single_choice':
      return group(name, title, f.options.map((o) =>
        h('label.choice', h('input', { type: 'radio', name, value: o.value, checked: value === o.value }), label(o.label))), help, scope);
    case 'multi_choice': {
      // "None" is a choice of its own: nothing ticked is no answer yet, not "none".
      const none = h('input', { type: 'checkbox', name: `${name}.none`, value: '', 'data-none': '1', checked: Array.isArray(value) && value.length === 0 });
      const options = f.options.map((o) =>
        h('input', { type: 'checkbox', name, value: o.value, checked: (value || []).includes(o.value) }));
      const box = group(name, title, [
        ...f.options.map((o, i) => h('label.choice', options[i], label(o.label))),
        h('label.choice.none', none, t('none_of_these')),
      ], help || t('none_choice_help'), scope);
      box.addEventListener('change', (e) => {
        if (e.target === none && none.checked) options.forEach((o) => { o.checked = false; });
        else if (e.target !== none && e.target.checked) none.checked = false;
      });
      return box;
    }
    default:
      return null;
  }
}

function readAnswers(formEl, form) {
  const answers = {};
  for (const f of form.fields) {
    const name = `answers.${f.key}`;
    const els = [...formEl.querySelectorAll(`[name="${name}"]`)];
    if (f.type === 'number') {
      const raw = els[0].value.trim();
      if (raw !== '') answers[f.key] = readNumber(raw);
    } else if (f.type === 'text' || f.type === 'date') {
      // A date field gives YYYY-MM-DD, or nothing.
      const raw = els[0].value.trim();
      if (raw !== '') answers[f.key] = raw;
    } else if (f.type === 'multi_choice') {
      const ticked = els.filter((e) => e.checked).map((e) => e.value);
      const none = formEl.querySelector(`[name="${name}.none"]`);
      // Neither an option nor "None": no answer, which a required question refuses.
      if (ticked.length || !none || none.checked) answers[f.key] = ticked;
    } else {
      const chosen = els.find((e) => e.checked);
      if (chosen) answers[f.key] = f.type === 'boolean' ? chosen.value === 'true' : chosen.value;
    }
  }
  return answers;
}

/**
 * A typed number, with a comma taken as the decimal point ("36,8" is 36.8). Anything else
 * is sent as typed, for the server to refuse with its reason.
 */
export function readNumber(raw) {
  const plain = raw.replace(/\s+/g, '').replace(/^([-+]?\d*),(\d+)$/, '$1.$2');
  return /^[-+]?(\d+\.?\d*|\.\d+)$/.test(plain) ? Number(plain) : raw;
}

/** Fields whose earlier answer may stand for the day; a form that does not say carries over. */
function carriesOver(f) {
  return f.carry_over !== false;
}

/** The earlier answers a new day's form starts from: only those of fields that carry over. */
function carriedAnswers(form, previous) {
  const answers = {};
  if (!previous) return answers;
  for (const f of form.fields) {
    if (carriesOver(f) && previous.answers[f.key] !== undefined) answers[f.key] = previous.answers[f.key];
  }
  return answers;
}

/**
 * The one-tap path: under the fields to fill in afresh, a summary of the carried-over answers
 * as the form shows them and "Nothing changed — submit". Once any of those answers is changed,
 * the summary and its button give way to a note, until the answers are as they were.
 * A required question the last check-in did not answer (one new to the form since) has
 * nothing to carry: there is no one tap until it is answered and sent once.
 */
function quickPath(formEl, fresh, carried, start, previousDate, send) {
  const slot = formEl.querySelector('#quick-slot');
  const carriedForm = { fields: carried };
  const shown = readAnswers(formEl, carriedForm);
  const complete = carried.every((f) => !f.required || start[f.key] !== undefined);
  if (!carried.length || !complete) return;
  const baseline = JSON.stringify(shown);
  const unchanged = () => JSON.stringify(readAnswers(formEl, carriedForm)) === baseline;
  const summary = carried.filter((f) => shown[f.key] !== undefined);
  const quick = h('section.quick#quick', { 'aria-labelledby': 'quick-title' },
    h('h2#quick-title', t('quick_same_as', { date: formatDate(previousDate) })),
    h('dl.answers#quick-summary', summary.flatMap((f) => [
      h('dt', label(f.label)),
      h('dd', answerText(f, shown[f.key])),
    ])),
    h('button.primary.huge#nothing-changed', {
      type: 'button',
      'aria-describedby': 'quick-help',
      onclick: () => { if (unchanged()) send(); },
    }, t('nothing_changed')),
    h('p.muted#quick-help', t(fresh.length ? 'quick_help' : 'quick_help_all')));
  const changed = h('p.banner.info#quick-changed', { role: 'status', hidden: true }, t('quick_changed', { date: formatDate(previousDate) }));
  clear(slot, quick, changed);
  const update = () => {
    const same = unchanged();
    quick.hidden = !same;
    changed.hidden = same;
  };
  formEl.addEventListener('input', update);
  formEl.addEventListener('change', update);
}

export async function checkinView(main, params) {
  const day = dayParam(params.get('date'));
  // Filing for someone else (a manager, HR or an admin): their day, their rules.
  const forId = params.get('for');
  const dayPath = (d) => (forId ? path`/employees/${forId}/checkins/${d}` : path`/checkins/${d}`);
  const view = await api('GET', dayPath(day));
  remember(view.form);
  const isToday = day === 'today';
  // The server's today, not the device's: a phone's clock may be off.
  const today = isToday || view.date === (view.today || todayIso());
  const title = forId
    ? t('checkin_for', { name: view.person.name, date: formatDate(view.date) })
    : isToday ? t('checkin_title') : t('checkin_title_day', { date: formatDate(view.date) });
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  const body = h('div');
  let editing = !view.checkin;
  let late = null;

  const render = () => {
    clear(body);
    if (view.checkin && !editing) {
      const c = view.checkin;
      const earlier = c.revision > 1 && !forId ? earlierAnswers(view.date, view.form) : null;
      body.append(h('section.card.done#done-card',
        h('h2', '✓ ', forId ? t('filed_for', { name: view.person.name }) : isToday ? t('done_today') : t('done_day', { date: formatDate(view.date) })),
        h('p.muted', t('submitted_at', { time: formatTime(c.updated_at) }), c.revision > 1 ? ` · ${t('revision', { n: c.revision })}` : ''),
        c.filed_by ? h('p.muted#filed-by', filedBy(c.filed_by)) : null,
        h('p', h('span', { class: c.abnormal ? 'pill bad' : 'pill good' }, c.abnormal ? t('abnormal') : t('normal'))),
        c.purged ? h('p.muted#checkin-purged', t('answers_purged')) : checkinAnswers(c, view.form),
        h('div.actions',
          h('button.secondary#correct', { type: 'button', onclick: () => { editing = true; clear(status); render(); } }, t('correct')),
          earlier?.button,
          forId ? h('a.button.secondary#back-to-dashboard', { href: '#/dashboard' }, t('back_to_dashboard')) : null),
        earlier?.box));
    } else {
      body.append(formCard());
      // On a phone in a hurry, the keyboard is ready for the first thing to type.
      body.querySelector('#checkin-form input, #checkin-form textarea')?.focus();
    }
    if (late) body.append(late);
  };

  const submit = async (answers, reason, formEl) => {
    if (formEl) clearErrors(formEl);
    clear(status);
    const payload = { answers };
    if (reason) payload.reason = reason;
    try {
      view.checkin = await api('PUT', dayPath(view.date), payload);
      editing = false;
      render();
      clear(status, banner(t('saved'), 'ok'));
      status.scrollIntoView?.({ block: 'nearest' });
    } catch (error) {
      const unplaced = formEl ? showFieldErrors(formEl, error.problems) : problemLines(error);
      showError(status, error, errorText(error), unplaced);
    }
  };

  const formCard = () => {
    const correcting = Boolean(view.checkin);
    // A correction starts from the day's own answers; a new day only from what carries over.
    const start = correcting ? view.checkin.answers : carriedAnswers(view.form, view.previous);
    const fresh = view.form.fields.filter((f) => !carriesOver(f));
    const carried = view.form.fields.filter(carriesOver);
    const formEl = h('form.card#checkin-form', { novalidate: true },
      view.form.fields.some((f) => f.required) ? h('p.muted.required-note', h('span.req', { 'aria-hidden': 'true' }, '* '), t('required_note')) : null,
      fresh.map((f) => questionInput(f, start[f.key])),
      h('div#quick-slot'),
      carried.map((f) => questionInput(f, start[f.key])),
      // Only an earlier day's correction asks why; today's answers are simply replaced.
      correcting && !today
        ? field('reason', t('reason'), h('textarea', { name: 'reason', rows: 2, maxlength: 500 }), t('reason_help'))
        : null,
      forId ? null : h('p.privacy-link', h('a#privacy-link', { href: '#/privacy' }, t('privacy_link'))),
      h('div.actions',
        h('button.primary.big#submit', { type: 'submit' }, correcting ? t('submit_correction') : t('submit')),
        correcting ? h('button.secondary', { type: 'button', onclick: () => { editing = false; clear(status); render(); } }, t('cancel')) : null));
    // Every way out sends the form as the page shows it, never answers kept aside.
    const send = () => {
      const reason = formEl.reason ? formEl.reason.value.trim() : '';
      submit(readAnswers(formEl, view.form), reason, formEl);
    };
    formEl.addEventListener('submit', (e) => {
      e.preventDefault();
      send();
    });
    // A purged day carries nothing over: there is no "same as then" to send.
    if (!correcting && view.previous && !view.previous.purged) quickPath(formEl, fresh, carried, start, view.previous.date, send);
    return formEl;
  };

  const notice = view.expected ? null : banner(t('not_expected', { why: t(`exempt_${view.exemption?.reason || view.exemption}`) }), 'info');
  clear(main, h('h1', title), forId ? null : privacyNoticeCard(view.privacy_notice), notice, status, body);
  render();
  if (isToday && !forId) {
    late = await lateDays(view);
    if (late) body.append(late);
  }
}

/** "Filed for you by …": who filed a check-in for its person. */
function filedBy(filer) {
  const role = filer.role ? ` (${t(`role_${filer.role}`)})` : '';
  return t('filed_by', { name: `${filer.name || t('someone')}${role}` });
}

const NOTICE_SEEN_KEY = 'hc-privacy-notice-seen';

/** A short fingerprint of a notice: a changed notice is shown again. */
function fingerprint(notice) {
  let hash = 5381;
  for (const ch of JSON.stringify(notice)) hash = ((hash * 33) ^ ch.codePointAt(0)) >>> 0;
  return hash.toString(16);
}

/**
 * The organization's privacy notice, above the form until it has been read on this device
 * (and again once the organization changes it); it stays on the privacy page.
 */
function privacyNoticeCard(notice) {
  if (!notice || localStorage.getItem(NOTICE_SEEN_KEY) === fingerprint(notice)) return null;
  const card = h('section.card.notice#privacy-notice', { 'aria-labelledby': 'privacy-notice-title' },
    h('h2#privacy-notice-title', t('privacy_notice_title')),
    h('p.notice-text', label(notice)),
    h('div.actions',
      h('button.primary#privacy-notice-ok', { type: 'button', onclick: () => {
        localStorage.setItem(NOTICE_SEEN_KEY, fingerprint(notice));
        card.remove();
      } }, t('privacy_notice_ok')),
      h('a', { href: '#/privacy' }, t('privacy_link'))));
  return card;
}

/** A button, and the box it opens: every earlier version of the day's answers. */
function earlierAnswers(date, fallback) {
  const box = h('div#revisions', { hidden: true });
  const button = h('button.secondary#show-revisions', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'revisions' }, t('earlier_answers'));
  button.addEventListener('click', async () => {
    const open = button.getAttribute('aria-expanded') === 'true';
    button.setAttribute('aria-expanded', String(!open));
    box.hidden = open;
    if (open || box.childElementCount) return;
    clear(box, h('p.muted', t('loading')));
    try {
      const found = await api('GET', path`/checkins/${date}/revisions`);
      const forms = await formsOf(found.revisions.map((r) => r.form_version), fallback);
      clear(box, h('ol.revisions', found.revisions.map((r) => h('li',
        h('h3', t('revision', { n: r.revision })),
        h('p.muted', t('submitted_at', { time: formatTime(r.submitted_at) }), r.reason ? ` · ${r.reason}` : ''),
        answersList(forms.get(Number(r.form_version)), r.answers, r.abnormal_reasons)))));
    } catch (error) {
      clear(box, banner(errorText(error), 'error'));
    }
  });
  return { button, box };
}

/** Recent days without a check-in that the organization still accepts and expects. */
async function lateDays(view) {
  const yesterday = addDays(view.date, -1);
  if (view.earliest_date > yesterday) return null;
  let history;
  try {
    history = await api('GET', `/checkins?${new URLSearchParams({ from: view.earliest_date, to: yesterday })}`);
  } catch {
    return null;
  }
  const done = new Set(history.checkins.map((c) => c.date));
  // Only days that were owed: not rest days, leave, days before joining or while inactive.
  const open = history.days.filter((d) => d.expected && !done.has(d.date)).slice(0, 7);
  if (!open.length) return null;
  return h('section.card#late-days',
    h('h2', t('late_days')),
    h('ul.plain', open.map((v) => h('li', formatDate(v.date), ' ', h('a.button.secondary', { href: `#/checkin?date=${v.date}` }, t('fill_in'))))));
}

/** What a day of the history was for the person, in the calendar's words and colours. */
function dayStatus(d, c, exemption, today) {
  if (d > today.date) return 'future';
  if (c) return c.abnormal ? 'abnormal' : 'reported';
  switch (exemption) {
    case 'not_yet_joined': return 'before';
    case 'inactive': return 'inactive';
    case 'non_working_day': return 'rest';
    case 'holiday': return 'holiday';
    case 'on_leave': return 'leave';
    default: return d >= today.earliest_date ? 'open' : 'missed';
  }
}

const LEGEND = ['reported', 'abnormal', 'open', 'missed', 'rest', 'holiday', 'leave', 'before'];

/**
 * The history as a month calendar: each day says whether it was reported (and abnormal),
 * missed (still fillable or not), a rest day, a holiday, leave, or before joining. A day
 * chosen shows its answers and, while it can still be filled in, the way to it.
 */
export async function historyView(main, params = new URLSearchParams()) {
  const today = await api('GET', '/checkins/today');
  remember(today.form);
  const thisMonth = today.date.slice(0, 7);
  const month = /^\d{4}-\d{2}$/.test(params.get('month') || '') && params.get('month') <= thisMonth ? params.get('month') : thisMonth;
  const first = `${month}-01`;
  const last = addDays(addDays(first, 32).slice(0, 7) + '-01', -1);
  const history = await api('GET', `/checkins?${new URLSearchParams({ from: first, to: last < today.date ? last : today.date })}`);
  const forms = await formsOf(history.checkins.map((c) => c.form_version), today.form);
  const byDate = new Map(history.checkins.map((c) => [c.date, c]));
  const exemptions = new Map(history.days.map((d) => [d.date, d.exemption]));
  const chosen = params.get('date') && params.get('date').startsWith(month) ? params.get('date') : (month === thisMonth ? today.date : last);
  const link = (extra) => `#/history?${new URLSearchParams({ month, ...extra })}`;

  const statusOf = (d) => dayStatus(d, byDate.get(d), exemptions.get(d), today);
  const cells = [];
  // Monday first: blanks before the 1st.
  const weekday = (new Date(`${first}T12:00:00Z`).getUTCDay() + 6) % 7;
  for (let i = 0; i < weekday; i += 1) cells.push(h('span.cal-blank', { 'aria-hidden': 'true' }));
  for (let d = first; d <= last; d = addDays(d, 1)) {
    const status = statusOf(d);
    const text = `${formatDate(d)}: ${t(`day_${status}`)}`;
    cells.push(status === 'future'
      ? h('span.cal-day.future', { 'aria-hidden': 'true' }, String(Number(d.slice(8))))
      : h('a.cal-day', {
        class: `${status}${d === chosen ? ' chosen' : ''}`, href: link({ date: d }), 'data-date': d,
        'aria-label': text, title: text, 'aria-current': d === chosen ? 'date' : null,
      }, String(Number(d.slice(8))), h('span.mark', { 'aria-hidden': 'true' }, MARKS[status])));
  }
  const monthName = new Intl.DateTimeFormat(lang(), { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(new Date(`${first}T12:00:00Z`));
  const previousMonth = addDays(first, -1).slice(0, 7);
  const nextMonth = addDays(last, 1).slice(0, 7);
  const calendar = h('section.card#history-calendar', { 'aria-labelledby': 'history-month' },
    h('div.title-row',
      h('a.button.secondary.small#month-prev', { href: `#/history?month=${previousMonth}`, 'aria-label': t('month_previous') }, '‹'),
      h('h2#history-month', monthName),
      month < thisMonth
        ? h('a.button.secondary.small#month-next', { href: `#/history?month=${nextMonth}`, 'aria-label': t('month_next') }, '›')
        : h('span.cal-spacer')),
    h('div.cal-grid', { role: 'group', 'aria-label': monthName },
      t('weekdays').map((w) => h('span.cal-head', { 'aria-hidden': 'true' }, w)),
      cells),
    h('ul.cal-legend#history-legend', LEGEND.map((status) =>
      h('li', h('span', { class: `cal-swatch ${status}`, 'aria-hidden': 'true' }, MARKS[status]), t(`day_${status}`)))));

  clear(main, h('h1', t('history_title')), calendar, dayCard(chosen, byDate.get(chosen), statusOf(chosen), forms, today));
}

const MARKS = { reported: '✓', abnormal: '!', open: '○', missed: '✕', rest: '–', holiday: '★', leave: '⌂', before: '·', inactive: '·', future: '' };

/** One day of the history: what it was, the answers, and filling it in while it can be. */
function dayCard(d, c, status, forms, today) {
  const canFill = ['reported', 'abnormal', 'open'].includes(status) && d >= today.earliest_date;
  const temp = c && typeof c.answers.temperature === 'number' ? `${c.answers.temperature.toFixed(1)} °C` : '';
  return h('section.card#history-day', { class: status },
    h('div.day-head',
      h('h2', formatDate(d)),
      h('span', { class: `pill ${status === 'reported' ? 'good' : status === 'abnormal' ? 'bad' : ''}` }, t(`day_${status}`))),
    c ? h('p.muted', temp, c.revision > 1 ? ` · ${t('revision', { n: c.revision })}` : '', c.reason ? ` · ${c.reason}` : '') : null,
    c?.purged ? h('p.muted#history-purged', t('answers_purged')) : null,
    c?.filed_by ? h('p.muted#history-filed-by', filedBy(c.filed_by)) : null,
    c && !c.purged ? h('details.day-answers', h('summary', t('your_answers')), answersList(forms.get(Number(c.form_version)), c.answers, c.abnormal_reasons)) : null,
    canFill ? h('a.button.secondary.small#history-fill', { href: d === today.date ? '#/checkin' : `#/checkin?date=${d}` }, c ? t('correct') : t('fill_in')) : null);
}

/**
 * Who can see a person's answers and for how long they are kept, from what the roles allow:
 * linked from the form, so that the question is answered where it comes up.
 */
export async function privacyView(main) {
  const org = await api('GET', '/organization');
  const organization = org.name || '';
  const kept = org.retention_days
    ? t('privacy_kept_days', { days: org.retention_days })
    : t('privacy_kept');
  clear(main,
    h('h1', t('privacy_title')),
    org.privacy_notice
      ? h('section.card#privacy-org-notice', h('h2', t('privacy_notice_from', { organization })), h('p.notice-text', label(org.privacy_notice)))
      : null,
    h('section.card#privacy-facts',
      h('h2', t('privacy_who_title')),
      h('ul',
        h('li', t('privacy_you')),
        h('li', t('privacy_managers')),
        h('li', t('privacy_hr_admin', { organization })),
        h('li', t('privacy_nobody_else'))),
      h('h2', t('privacy_reads_title')),
      h('p', t('privacy_reads')),
      h('h2', t('privacy_kept_title')),
      h('p#privacy-kept', kept),
      h('p', t('privacy_audit_kept', { days: org.audit_retention_days })),
      h('h2', t('privacy_mail_title')),
      h('p', t('privacy_mail'))),
    h('p', h('a', { href: '#/checkin' }, t('back_to_form'))),
    ownDataCard());
}

/**
 * A person's own data: all of it as a file, and who else has read or changed it (from the
 * audit log), page by page.
 */
export function ownDataCard() {
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  const log = h('div#access-log');
  let page = 1;
  const more = h('button.secondary#access-more', { type: 'button', hidden: true }, t('show_more'));
  const load = async () => {
    try {
      const found = await api('GET', `/me/access-log?page=${page}&per_page=50`);
      if (page === 1) clear(log, h('p.muted#access-count', tn('access_count', found.total)), h('ul.people#access-list'));
      log.querySelector('#access-list').append(...found.entries.map((e) => h('li',
        h('strong', e.by ? `${e.by.name} (${t(`role_${e.by.role}`)})` : t('audit_no_actor')), ' ',
        h('span', t(`access_${e.kind}`)), ' ', h('code', e.action),
        h('span.muted', ` · ${formatTime(e.at)}`))));
      more.hidden = page * found.per_page >= found.total;
    } catch (error) {
      clear(status, banner(errorText(error), 'error'));
    }
  };
  more.addEventListener('click', () => { page += 1; load(); });
  return h('section.card#own-data',
    h('h2', t('own_data_title')),
    h('p.muted', t('own_data_help')),
    status,
    h('div.actions',
      h('button.secondary#download-own-data', { type: 'button', onclick: async () => {
        clear(status);
        try {
          await download('/me/export', 'my-health-checkin-data.json');
        } catch (error) {
          clear(status, banner(errorText(error), 'error'));
        }
      } }, t('download_own_data')),
      h('button.secondary#show-access-log', { type: 'button', onclick: (e) => { e.currentTarget.disabled = true; load(); } }, t('show_access_log'))),
    log, more);
}
