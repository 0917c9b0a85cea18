// Managers and HR: today's numbers, departments, charts, the unreported and abnormal lists,
// reminders and exports.

import { api, blob, download } from './api.js';
import { h, clear } from './dom.js';
import { t, lang, addDays, errorText, problemLines } from './i18n.js';
import { banner, showError } from './ui.js';
import { answersList } from './checkin.js';
import { formsOf } from './forms.js';

/** The forms the check-ins were answered on, by version: a question retired since keeps its label. */
async function form(checkins) {
  return formsOf(checkins.map((c) => c.form_version), null);
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  return q.toString();
}

/** An SVG chart fetched with the token. */
function chart(id, title, path) {
  const box = h(`figure.card.chart#${id}`, h('figcaption', title), h('p.muted', t('loading')));
  blob(path).then((data) => {
    const url = URL.createObjectURL(data);
    clear(box, h('figcaption', title), h('img', { src: url, alt: title }));
  }).catch(() => {
    clear(box, h('figcaption', title), h('p.muted', t('chart_failed')));
  });
  return box;
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

  const table = h('section.card',
    h('h2', t('departments_table')),
    report.departments.length ? h('div.scroll', h('table.data#department-table',
      h('thead', h('tr', h('th', { scope: 'col' }, t('department')), ['expected', 'reported', 'unreported', 'abnormal'].map((k) => h('th.num', { scope: 'col' }, t(k))))),
      h('tbody', report.departments.map((d) => h('tr', { class: d.id === departmentId ? 'current' : null },
        h('th', { scope: 'row' }, h('a', { href: link({ department_id: d.id }) }, d.path || d.name)),
        h('td.num', d.expected), h('td.num', d.reported), h('td.num', d.unreported), h('td.num', { class: d.abnormal ? 'bad' : null }, d.abnormal)))))) : h('p.muted', t('nobody')));

  const trendFrom = addDays(day, -13);
  const charts = h('div.charts',
    chart('trend-chart', t('trend_chart'), `/reports/trend.svg?${query({ from: trendFrom, to: day, department_id: departmentId, lang: lang() })}`),
    chart('daily-chart', t('daily_chart'), `/reports/daily.svg?${query({ ...scope, lang: lang() })}`));

  const unreported = h('section.card#unreported', h('h2', t('unreported_list')), h('p.muted', t('loading')));
  const abnormal = h('section.card#abnormal', h('h2', t('abnormal_list')), h('p.muted', t('loading')));

  clear(main,
    h('div.title-row',
      h('h1', t('dashboard_title')),
      h('label.inline', { for: 'dash-date' }, t('date'), dateInput)),
    h('nav.crumbs', { 'aria-label': t('department') },
      departmentId ? h('a', { href: link({ department_id: '' }) }, t('all_departments')) : h('span', t('all_departments')),
      current ? [' › ', h('span', current.path || current.name)] : null),
    h('div.tiles',
      tile('expected', report.expected),
      tile('reported', report.reported, '.good'),
      tile('unreported', report.unreported, report.unreported ? '.warn' : ''),
      tile('abnormal', report.abnormal, report.abnormal ? '.bad' : ''),
      report.reported_unexpected ? tile('reported_unexpected', report.reported_unexpected) : null),
    report.expected === 0 ? h('p.muted#nobody-expected', t('nobody_expected_note')) : null,
    table, charts, abnormal, unreported, exportsCard(day));

  fillUnreported(unreported, scope);
  fillAbnormal(abnormal, scope);
}

async function fillUnreported(box, scope) {
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  try {
    const list = await api('GET', `/reports/unreported?${query({ ...scope, per_page: 100 })}`);
    const remind = h('button.primary#remind', { type: 'button' }, t('remind_now'));
    remind.addEventListener('click', async () => {
      remind.disabled = true;
      clear(status);
      const body = { date: scope.date };
      if (scope.department_id) body.department_id = scope.department_id;
      try {
        const result = await api('POST', '/reminders', body);
        clear(status, banner(t('reminded', { n: result.queued }), 'ok'));
      } catch (error) {
        const text = error.status === 429 ? t('remind_too_soon') : errorText(error);
        clear(status, banner(text, 'error'));
      } finally {
        remind.disabled = false;
      }
    });
    clear(box, h('h2', t('unreported_list'), ` (${list.total})`),
      list.people.length ? [
        // Focusable, so the scroll box can be scrolled from the keyboard.
        h('ul.people#unreported-list', { tabindex: '0', role: 'region', 'aria-label': t('unreported_list') }, list.people.map((p) => h('li', h('strong', p.name), ' ', h('span.muted', p.email), p.department ? h('span.tag', p.department.path || p.department.name) : null))),
        list.total > list.people.length ? h('p.muted', t('more_people', { n: list.total - list.people.length })) : null,
        h('div.actions', remind),
      ] : h('p.muted', t('nobody')),
      status);
  } catch (error) {
    clear(box, h('h2', t('unreported_list')), banner(errorText(error), 'error'));
  }
}

async function fillAbnormal(box, scope) {
  try {
    const list = await api('GET', `/reports/abnormal?${query({ ...scope, per_page: 100 })}`);
    const forms = await form(list.people.map((p) => p.checkin).filter(Boolean));
    clear(box, h('h2', t('abnormal_list'), ` (${list.total})`),
      list.people.length ? h('ul.people#abnormal-list', list.people.map((p) => h('li',
        h('details',
          h('summary', h('strong', p.name), ' ', h('span.muted', p.email), p.department ? h('span.tag', p.department.path || p.department.name) : null),
          p.checkin ? answersList(forms.get(Number(p.checkin.form_version)), p.checkin.answers, p.checkin.abnormal_reasons) : null)))) : h('p.muted', t('nobody')));
  } catch (error) {
    clear(box, h('h2', t('abnormal_list')), banner(errorText(error), 'error'));
  }
}

function exportsCard(day) {
  const from = h('input#export-from', { type: 'date', value: addDays(day, -6) });
  const to = h('input#export-to', { type: 'date', value: day });
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  const get = async (ext) => {
    clear(status);
    try {
      await download(`/exports/checkins.${ext}?${query({ from: from.value, to: to.value })}`, `checkins-${from.value}-${to.value}.${ext}`);
    } catch (error) {
      const unplaced = problemLines(error);
      showError(status, error, errorText(error), unplaced);
    }
  };
  return h('section.card#exports',
    h('h2', t('exports')),
    h('div.row',
      h('label', { for: 'export-from' }, t('from'), from),
      h('label', { for: 'export-to' }, t('to'), to)),
    h('div.actions',
      h('button.secondary#export-csv', { type: 'button', onclick: () => get('csv') }, t('export_csv')),
      h('button.secondary#export-xlsx', { type: 'button', onclick: () => get('xlsx') }, t('export_xlsx'))),
    status);
}

