// Managers, HR and admins: the cases opened by abnormal reports, worked to clearance:
// contacted, cleared or reopened, assigned, with notes, each a step of the case's timeline.

import { api, path, download } from './api.js';
import { me } from './app.js';
import { h, clear } from './dom.js';
import { t, tn, label, formatDate, formatTime, errorText } from './i18n.js';
import { banner } from './ui.js';

const STATUSES = ['open', 'contacted', 'cleared'];

/** The questions of the form in force, by key, to name what made a check-in abnormal. */
async function questionLabels() {
  try {
    const form = await api('GET', '/form');
    return new Map(form.fields.map((f) => [f.key, label(f.label)]));
  } catch {
    return new Map();
  }
}

export async function casesView(main, params) {
  const one = params.get('id');
  const status = params.has('status') ? params.get('status') : (one ? '' : 'open');
  const [found, labels] = await Promise.all([
    one
      ? api('GET', path`/cases/${one}`).then((c) => ({ cases: [c], total: 1 }))
      : api('GET', `/cases?${new URLSearchParams({ ...(status ? { status } : {}), per_page: '100' })}`),
    questionLabels(),
  ]);
  const tabs = h('nav.tabs#case-tabs', { 'aria-label': t('cases_filter') },
    [...STATUSES, ''].map((s) => h('a', {
      href: `#/cases?${new URLSearchParams({ status: s })}`,
      class: !one && s === status ? 'current' : null,
      'aria-current': !one && s === status ? 'page' : null,
    }, s ? t(`case_${s}`) : t('case_all'))));
  const exportButton = h('button.secondary.small#cases-export', { type: 'button' }, t('export_csv'));
  const exportStatus = h('div.status', { role: 'status', 'aria-live': 'polite' });
  exportButton.addEventListener('click', async () => {
    try {
      await download(`/cases.csv?${new URLSearchParams(status ? { status } : {})}`, 'cases.csv');
    } catch (error) {
      clear(exportStatus, banner(errorText(error), 'error'));
    }
  });
  const reload = () => casesView(main, params);
  clear(main,
    h('div.title-row', h('h1', t('cases_title')), exportButton),
    tabs,
    exportStatus,
    one ? h('p', h('a', { href: '#/cases' }, t('cases_all_link'))) : h('p.muted#cases-count', tn('cases_count', found.total)),
    found.cases.length
      ? h('div#case-list', found.cases.map((c) => caseCard(c, labels, reload)))
      : h('p.muted#cases-none', t('cases_none')));
}

function caseCard(c, labels, reload) {
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  const change = async (body) => {
    clear(status);
    try {
      await api('PATCH', path`/cases/${c.id}`, body);
      reload();
    } catch (error) {
      clear(status, banner(errorText(error), 'error'));
    }
  };
  const note = h('textarea', { id: `case-note-${c.id}`, rows: 2, maxlength: 2000, 'aria-label': t('case_note') });
  const mine = me()?.id;
  const pill = c.status === 'cleared' ? 'good' : c.status === 'open' ? 'bad' : '';
  return h('section.card.case', { id: `case-${c.id}` },
    h('div.day-head',
      h('h2', c.person.name),
      h('span', { class: `pill ${pill}` }, t(`case_${c.status}`))),
    h('p.muted', c.person.department ? `${c.person.department.path} · ` : '', t('case_opened', { time: formatTime(c.opened_at) })),
    h('ul.plain.case-checkins', c.checkins.map((k) => h('li',
      h('strong', formatDate(k.date)), ' ',
      k.abnormal_reasons.map((r) => h('span.reason', labels.get(r) || r))))),
    h('p', t('case_assignee'), ' ', c.assignee ? h('strong.assignee', c.assignee.name || '—') : h('span.muted', t('case_unassigned'))),
    status,
    h('div.actions',
      c.status === 'open' ? h('button.primary.small', { id: `case-contacted-${c.id}`, type: 'button', onclick: () => change({ status: 'contacted' }) }, t('case_mark_contacted')) : null,
      c.status !== 'cleared' ? h('button.secondary.small', { id: `case-clear-${c.id}`, type: 'button', onclick: () => change({ status: 'cleared' }) }, t('case_clear')) : null,
      c.status === 'cleared' ? h('button.secondary.small', { id: `case-reopen-${c.id}`, type: 'button', onclick: () => change({ status: 'open' }) }, t('case_reopen')) : null,
      mine && c.assignee?.id !== mine ? h('button.secondary.small', { id: `case-take-${c.id}`, type: 'button', onclick: () => change({ assignee_id: mine }) }, t('case_take')) : null),
    h('form.row.case-note', {
      onsubmit: (e) => {
        e.preventDefault();
        if (note.value.trim()) change({ note: note.value.trim() });
      },
    }, h('label.grow', { for: note.id }, t('case_note'), note), h('button.secondary.small', { id: `case-add-note-${c.id}`, type: 'submit' }, t('case_add_note'))),
    h('details.case-timeline', { open: true }, h('summary', t('case_timeline')),
      h('ol.plain', c.timeline.map((e) => h('li',
        h('span.muted', formatTime(e.at)), ' ',
        e.by ? h('strong', e.by.name || '—') : null, ' ',
        eventText(e))))));
}

function eventText(e) {
  switch (e.kind) {
    case 'status': return t('case_event_status', { status: t(`case_${e.status}`) });
    case 'assigned': return e.assignee ? t('case_event_assigned', { name: e.assignee.name || '—' }) : t('case_event_unassigned');
    case 'note': return h('span.note-text', e.note || t('case_note_purged'));
    case 'checkin': return t('case_event_checkin');
    default: return t('case_event_opened');
  }
}
