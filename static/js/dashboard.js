// Managers and HR: today's numbers, departments, charts, the unreported and abnormal lists,
// reminders and exports.

import { api, blob, download } from './api.js';
import { h, clear } from './dom.js';
import { t, tn, lang, label, addDays, errorText, problemLines, formatDate, formatTime } from './i18n.js';
import { banner, showError } from './ui.js';
import { answersList, answerText } from './checkin.js';
import { formsOf } from './forms.js';

/** The forms the check-ins were answered on, by version: a question retired since keeps its label. */
async function form(checkins) {
  return formsOf(checkins.map((c) => c.form_version), null);
}

/** The share of the expected who reported, in whole tenths of a percent; null when nobody was expected. */
export function rate(numbers) {
  return numbers.expected > 0 ? Math.round((numbers.reported * 1000) / numbers.expected) / 10 : null;
}

function percent(value) {
  return value === null ? '–' : `${value.toLocaleString(lang(), { maximumFractionDigits: 1 })}%`;
}

/** How the department list can be ordered; the first is the default: the furthest behind first. */
const SORTS = {
  behind: (a, b) => (rateOrTop(a) - rateOrTop(b)) || (b.unreported - a.unreported) || byName(a, b),
  unreported: (a, b) => (b.unreported - a.unreported) || byName(a, b),
  abnormal: (a, b) => (b.abnormal - a.abnormal) || byName(a, b),
  name: (a, b) => byName(a, b),
};

function rateOrTop(d) {
  const r = rate(d);
  return r === null ? 101 : r;
}

function byName(a, b) {
  return (a.path || a.name).localeCompare(b.path || b.name, lang());
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  return q.toString();
}

/**
 * An SVG chart fetched with the token, drawn at the width its card has on this screen so
 * that its text is as large on a phone as on a desktop. Its alternative text states the
 * numbers: the chart's own words for each bar or day.
 */
function chart(id, title, path) {
  const box = h(`figure.card.chart#${id}`, h('figcaption', title), h('p.muted', t('loading')));
  // Once the card is on the page and laid out, its inner width is known.
  let frames = 0;
  const draw = () => {
    if (!box.isConnected) {
      // A page left before it was shown never connects: stop asking after a few seconds.
      frames += 1;
      if (frames < 300) requestAnimationFrame(draw);
      return;
    }
    const style = getComputedStyle(box);
    const inner = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const width = Math.round(Math.min(1600, Math.max(320, inner || 800)));
    blob(`${path}&width=${width}`).then(async (data) => {
      const url = URL.createObjectURL(data);
      clear(box, h('figcaption', title), h('img', { src: url, alt: await numbersOf(data, title), width }));
    }).catch(() => {
      clear(box, h('figcaption', title), h('p.muted', t('chart_failed')));
    });
  };
  requestAnimationFrame(draw);
  return box;
}

/** What a chart shows, in words: its title and subtitle, then each bar's or day's numbers. */
async function numbersOf(data, title) {
  try {
    const svg = new DOMParser().parseFromString(await data.text(), 'image/svg+xml');
    const subtitle = svg.querySelector('.subtitle')?.textContent || '';
    const items = [...svg.querySelectorAll('g.bar > title, g.day > title')].map((n) => n.textContent);
    return [title, subtitle, ...items].filter(Boolean).join('; ');
  } catch {
    return title;
  }
}

export async function dashboardView(main, params, me) {
  const departmentId = params.get('department_id') || '';
  const date = params.get('date') || '';
  const report = await api('GET', `/reports/daily?${query({ date, department_id: departmentId })}`);
  const day = report.date;
  const scope = { date: day, department_id: departmentId };
  const link = (extra) => `#/dashboard?${query({ ...scope, ...extra })}`;
  const current = departmentId ? report.departments.find((d) => d.id === departmentId) : null;

  const tile = (key, value, kind = '') => h(`div.tile${kind}`, { id: `stat-${key}` },
    h('span.value', String(value)), h('span.name', t(key)));

  const dateInput = h('input#dash-date', { type: 'date', value: day });
  dateInput.addEventListener('change', () => { if (dateInput.value) location.hash = link({ date: dateInput.value }); });

  const table = departmentsCard(report.departments, departmentId, link, params.get('sort'));

  const trendFrom = addDays(day, -13);
  const charts = h('div.charts',
    chart('trend-chart', t('trend_chart'), `/reports/trend.svg?${query({ from: trendFrom, to: day, department_id: departmentId, lang: lang() })}`),
    chart('daily-chart', t('daily_chart'), `/reports/daily.svg?${query({ ...scope, lang: lang() })}`));

  // Open cases, whatever the day: what still waits for a call.
  const openCases = h('a.tile#stat-open_cases', { href: '#/cases?status=open', hidden: true },
    h('span.value', '…'), h('span.name', t('open_cases')));
  api('GET', `/cases?${query({ status: 'open', department_id: departmentId, per_page: 1 })}`)
    .then((found) => {
      openCases.querySelector('.value').textContent = String(found.total);
      if (found.total) openCases.classList.add('bad');
      openCases.hidden = false;
    })
    .catch(() => {});
  const unreported = h('section.card#unreported', h('h2', t('unreported_list')), h('p.muted', t('loading')));
  const abnormal = h('section.card#abnormal', h('h2', t('abnormal_list')), h('p.muted', t('loading')));

  clear(main,
    me.role === 'admin' ? gettingStarted(report) : null,
    h('div.title-row',
      h('h1', t('dashboard_title')),
      h('label.inline', { for: 'dash-date' }, t('date'), dateInput)),
    h('nav.crumbs', { 'aria-label': t('department') },
      departmentId ? h('a', { href: link({ department_id: '' }) }, t('all_departments')) : h('span', t('all_departments')),
      current ? [' › ', h('span', current.path || current.name)] : null),
    h('div.tiles',
      tile('rate', percent(rate(report)), rate(report) !== null && rate(report) < 100 ? '.warn' : ''),
      tile('expected', report.expected),
      tile('reported', report.reported, '.good'),
      tile('unreported', report.unreported, report.unreported ? '.warn' : ''),
      tile('abnormal', report.abnormal, report.abnormal ? '.bad' : ''),
      report.reported_unexpected ? tile('reported_unexpected', report.reported_unexpected) : null,
      openCases),
    report.day_off
      ? h('div#day-off', banner([t(`day_off_${report.day_off}`, { date: formatDate(day) }),
        report.reported_unexpected ? tn('reported_anyway', report.reported_unexpected) : ''].join(' ').trim(), 'info'))
      : report.expected === 0 ? h('p.muted#nobody-expected', t('nobody_expected_note')) : null,
    table, charts, abnormal, unreported, exportsCard(day, departmentId, current));

  fillUnreported(unreported, scope);
  fillAbnormal(abnormal, scope);
}

/**
 * Every department with its rate, ranked (the furthest behind first, or as chosen). A table
 * on a wide screen; on a phone each row is a card of its own, so nothing is cut off.
 */
function departmentsCard(departments, currentId, link, sortParam) {
  const sortKey = SORTS[sortParam] ? sortParam : 'behind';
  const sorted = [...departments].sort(SORTS[sortKey]);
  const sort = h('select#dept-sort', Object.keys(SORTS).map((key) =>
    h('option', { value: key, selected: key === sortKey }, t(`sort_${key}`))));
  sort.addEventListener('change', () => { location.hash = link({ sort: sort.value }); });
  const cell = (key, value, extra = {}) => h('td.num', { 'data-label': t(key), ...extra }, value);
  return h('section.card#departments',
    h('div.title-row',
      h('h2', t('departments_table')),
      departments.length > 1 ? h('label.inline', { for: 'dept-sort' }, t('sort_by'), sort) : null),
    departments.length ? h('table.data.cards#department-table',
      h('thead', h('tr', h('th', { scope: 'col' }, t('department')),
        ['rate', 'expected', 'reported', 'unreported', 'abnormal'].map((k) => h('th.num', { scope: 'col' }, t(k))))),
      h('tbody', sorted.map((d) => h('tr', { class: d.id === currentId ? 'current' : null, 'data-department-id': d.id },
        h('th', { scope: 'row' }, h('a', { href: link({ department_id: d.id }) }, d.path || d.name)),
        cell('rate', percent(rate(d)), { class: rate(d) !== null && rate(d) < 100 ? 'behind' : null }),
        cell('expected', d.expected), cell('reported', d.reported), cell('unreported', d.unreported),
        cell('abnormal', d.abnormal, { class: d.abnormal ? 'bad' : null }))))) : h('p.muted', t('nobody')));
}

const PAGE = 100;

/**
 * For an organization with no departments and nobody in it but its admin, as the day's
 * report shows it: the steps that make the dashboard worth reading, each a link to where it
 * is done. Read from the report, so that looking at the dashboard reads no list of people.
 */
function gettingStarted(report) {
  const people = report.expected + report.exempt + report.reported_unexpected;
  if (report.departments.length || people > 1) return null;
  const step = (key, href) => h('li', h('a', { href }, t(`start_${key}`)), h('p.muted', t(`start_${key}_help`)));
  return h('section.card#getting-started', { 'aria-labelledby': 'getting-started-title' },
    h('h2#getting-started-title', t('start_title')),
    h('ol.steps',
      step('import', '#/import'),
      step('settings', '#/settings'),
      step('invite', '#/people'),
      step('try', '#/checkin')));
}

/**
 * "Show more" under the first page of a list of people, with how many are shown of how many.
 * Each click asks for the page after the last person shown (`next`): as quick as the first
 * page, however far in. `render` makes the page's entries, which are added to `list`.
 */
function showMore(name, first, list, status, fetchAfter, render) {
  let shown = first.people.length;
  let after = first.next;
  const count = h(`p.muted#${name}-count`, { 'aria-live': 'polite' });
  const more = h(`button.secondary#${name}-more`, { type: 'button' }, t('show_more'));
  const showCount = () => {
    count.textContent = t('showing_of', { n: shown, total: first.total });
    more.hidden = !after || shown >= first.total;
  };
  more.addEventListener('click', async () => {
    more.disabled = true;
    clear(status);
    try {
      const next = await fetchAfter(after);
      list.append(...await render(next.people));
      shown += next.people.length;
      after = next.next;
      showCount();
    } catch (error) {
      clear(status, banner(errorText(error), 'error'));
    } finally {
      more.disabled = false;
    }
  });
  showCount();
  return [count, more];
}

async function fillUnreported(box, scope) {
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  // "File for them": for someone without a phone, the day's form filled in on their behalf.
  const fileLink = (p) => h('a.button.secondary.small.file-for', {
    id: `file-for-${p.id}`,
    href: `#/checkin?${new URLSearchParams({ for: p.id, ...(scope.date ? { date: scope.date } : {}) })}`,
  }, t('file_for_them'));
  const person = (p) => h('li', h('strong', p.name), ' ', h('span.muted', p.email), p.department ? h('span.tag', p.department.path || p.department.name) : null, ' ', fileLink(p));
  try {
    const first = await api('GET', `/reports/unreported?${query({ ...scope, per_page: PAGE })}`);
    const list = h('ul.people#unreported-list', { tabindex: '0', role: 'region', 'aria-label': t('unreported_list') }, first.people.map(person));
    const [count, more] = showMore('unreported', first, list, status,
      (after) => api('GET', `/reports/unreported?${query({ ...scope, per_page: PAGE, after })}`),
      (people) => people.map(person));
    const remind = h('button.primary#remind', { type: 'button' }, t('remind_now'));
    remind.addEventListener('click', async () => {
      remind.disabled = true;
      clear(status);
      const body = { date: scope.date };
      if (scope.department_id) body.department_id = scope.department_id;
      try {
        const result = await api('POST', '/reminders', body);
        // Those not queued now had their reminder of the day already.
        const earlier = Math.max(0, first.total - result.queued);
        const lines = [t('reminded', { n: result.queued })];
        if (earlier) lines.push(t('reminded_earlier', { n: earlier }));
        lines.push(t('remind_next_at', { time: formatTime(result.next_at) }));
        clear(status, banner(lines.join(' '), result.queued ? 'ok' : 'info'));
      } catch (error) {
        const text = error.status === 429 ? remindLater(error.retryAfter) : errorText(error);
        clear(status, banner(text, 'error'));
      } finally {
        remind.disabled = false;
      }
    });
    clear(box, h('h2', t('unreported_list'), ` (${first.total})`),
      first.people.length ? [
        // Focusable, so the scroll box can be scrolled from the keyboard.
        list,
        h('div.actions', count, more),
        h('div.actions', remind),
      ] : h('p.muted', t('nobody')),
      status);
  } catch (error) {
    clear(box, h('h2', t('unreported_list')), banner(errorText(error), 'error'));
  }
}

/** When reminders may be sent again, from the server's Retry-After. */
function remindLater(seconds) {
  if (!seconds) return t('remind_too_soon');
  return t('remind_wait', { time: formatTime(new Date(Date.now() + seconds * 1000).toISOString()) });
}

async function fillAbnormal(box, scope) {
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  const entries = async (people) => {
    const forms = await form(people.map((p) => p.checkin).filter(Boolean));
    return people.map((p) => h('li',
      h('details',
        h('summary', h('strong', p.name), ' ', h('span.muted', p.email), p.department ? h('span.tag', p.department.path || p.department.name) : null,
          p.checkin ? reasonsLine(forms.get(Number(p.checkin.form_version)), p.checkin) : null),
        p.checkin ? answersList(forms.get(Number(p.checkin.form_version)), p.checkin.answers, p.checkin.abnormal_reasons) : null)));
  };
  try {
    const first = await api('GET', `/reports/abnormal?${query({ ...scope, per_page: PAGE })}`);
    const list = h('ul.people#abnormal-list', await entries(first.people));
    const [count, more] = showMore('abnormal', first, list, status,
      (after) => api('GET', `/reports/abnormal?${query({ ...scope, per_page: PAGE, after })}`),
      entries);
    clear(box, h('h2', t('abnormal_list'), ` (${first.total})`),
      first.people.length ? [list, h('div.actions', count, more)] : h('p.muted', t('nobody')),
      status);
  } catch (error) {
    clear(box, h('h2', t('abnormal_list')), banner(errorText(error), 'error'));
  }
}

/** What made a check-in abnormal, in a line: each question's label and answer. */
function reasonsLine(form, checkin) {
  const reasons = checkin.abnormal_reasons || [];
  if (!reasons.length) return null;
  const fields = form ? form.fields : [];
  return h('span.reasons', reasons.map((key) => {
    const f = fields.find((x) => x.key === key) || { key, label: key, type: 'text' };
    return h('span.reason', `${label(f.label)}: ${answerText(f, (checkin.answers || {})[key])}`);
  }));
}

function exportsCard(day, departmentId, current) {
  const from = h('input#export-from', { type: 'date', value: addDays(day, -6) });
  const to = h('input#export-to', { type: 'date', value: day });
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  const get = async (ext) => {
    clear(status);
    try {
      await download(`/exports/checkins.${ext}?${query({ from: from.value, to: to.value, department_id: departmentId })}`, `checkins-${from.value}-${to.value}.${ext}`);
    } catch (error) {
      const unplaced = problemLines(error);
      showError(status, error, errorText(error), unplaced);
    }
  };
  return h('section.card#exports',
    h('h2', t('exports')),
    h('p.muted#export-scope', current ? t('export_scope_department', { name: current.path || current.name }) : t('export_scope_all')),
    h('div.row',
      h('label', { for: 'export-from' }, t('from'), from),
      h('label', { for: 'export-to' }, t('to'), to)),
    h('div.actions',
      h('button.secondary#export-csv', { type: 'button', onclick: () => get('csv') }, t('export_csv')),
      h('button.secondary#export-xlsx', { type: 'button', onclick: () => get('xlsx') }, t('export_xlsx'))),
    status);
}

