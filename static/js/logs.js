// Admins: the day's reminders with their delivery, a failed one sent again; and the audit log,
// filtered by dates, kind, action and who.

import { api, path } from './api.js';
import { h, clear } from './dom.js';
import { t, tn, formatTime, errorText } from './i18n.js';
import { banner } from './ui.js';

const SHOWN = 200;
const STATUSES = ['failed', 'pending', 'sent', 'cancelled'];

export async function remindersView(main, params) {
  const date = params.get('date') || '';
  const list = await api('GET', `/reminders?${new URLSearchParams(date ? { date } : {})}`);
  const counts = Object.fromEntries(STATUSES.map((s) => [s, list.reminders.filter((r) => r.status === s).length]));
  const wanted = params.get('status') || (counts.failed ? 'failed' : '');
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  const go = (extra) => { location.hash = `#/reminders?${new URLSearchParams({ date: list.date, status: wanted, ...extra })}`; };
  const dateInput = h('input#reminders-date', { type: 'date', value: list.date });
  dateInput.addEventListener('change', () => { if (dateInput.value) go({ date: dateInput.value }); });
  const filter = h('select#reminders-status',
    h('option', { value: '' }, t('status_all')),
    STATUSES.map((s) => h('option', { value: s, selected: s === wanted }, `${t(`status_${s}`)} (${counts[s]})`)));
  filter.addEventListener('change', () => go({ status: filter.value }));
  const rows = list.reminders.filter((r) => !wanted || r.status === wanted);
  const item = (r) => {
    const li = h('li', { id: `reminder-${r.id}`, 'data-status': r.status });
    const fill = (entry) => clear(li,
      h('div.person',
        h('span', h('strong', entry.name || entry.to), ' ', h('span.muted', entry.to),
          h('span.tag', entry.kind === 'reminder_digest' ? t('kind_digest') : t('kind_reminder')),
          h('span.tag', entry.pass === 'ondemand' ? t('pass_ondemand') : entry.pass)),
        h('span', { class: `pill ${entry.status === 'sent' ? 'good' : entry.status === 'failed' ? 'bad' : ''}` }, t(`status_${entry.status}`))),
      h('p.muted', t('reminder_line', { queued: formatTime(entry.queued_at), attempts: entry.attempts }),
        entry.sent_at ? ` · ${t('sent_at', { time: formatTime(entry.sent_at) })}` : ''),
      entry.last_error ? h('p.error-line', t('last_error', { error: entry.last_error })) : null,
      entry.status === 'failed'
        ? h('div.actions', h('button.secondary.small', { type: 'button', id: `resend-${entry.id}`, onclick: async (e) => {
          e.currentTarget.disabled = true;
          try {
            fill(await api('POST', path`/reminders/${entry.id}/resend`));
            clear(status, banner(t('resent', { to: entry.to }), 'ok'));
          } catch (error) {
            clear(status, banner(errorText(error), 'error'));
          }
        } }, t('resend')))
        : null);
    fill(r);
    return li;
  };
  const shownList = h('ul.people.rows#reminder-list', rows.slice(0, SHOWN).map(item));
  const more = rows.length > SHOWN
    ? h('button.secondary#reminders-more', { type: 'button', onclick: (e) => {
      shownList.append(...rows.slice(shownList.children.length, shownList.children.length + SHOWN).map(item));
      if (shownList.children.length >= rows.length) e.currentTarget.hidden = true;
    } }, t('show_more'))
    : null;
  clear(main,
    h('div.title-row', h('h1', t('reminders_title')), h('label.inline', { for: 'reminders-date' }, t('date'), dateInput)),
    h('p.muted#reminder-counts', STATUSES.map((s) => `${t(`status_${s}`)}: ${counts[s]}`).join(' · ')),
    h('div.row', h('label', { for: 'reminders-status' }, t('show'), filter)),
    status,
    rows.length ? [shownList, more] : h('p.muted', t('nobody')));
}

export async function auditView(main, params) {
  // Left empty, the server reads the last 30 days to the organization's today.
  const to = params.get('to') || '';
  const from = params.get('from') || '';
  const page = Number(params.get('page') || 1);
  const asked = { from, to, kind: params.get('kind') || '', action: params.get('action') || '', actor_id: params.get('actor_id') || '' };
  const query = new URLSearchParams({ ...Object.fromEntries(Object.entries(asked).filter(([, v]) => v)), page: String(page), per_page: '50' });
  const log = await api('GET', `/audit?${query}`);
  // Who may be chosen: the people on this page of the log (and the one chosen), so that
  // reading the log writes no read of the list of people into it.
  const byId = new Map(log.entries.filter((e) => e.actor).map((e) => [e.actor.id, e.actor]));
  if (asked.actor_id && !byId.has(asked.actor_id)) byId.set(asked.actor_id, { id: asked.actor_id, name: asked.actor_id, email: '' });
  const actors = [...byId.values()].sort((a, b) => a.name.localeCompare(b.name));
  const form = h('form.card#audit-filter', { novalidate: true },
    h('div.row',
      h('label', { for: 'audit-from' }, t('from'), h('input#audit-from', { type: 'date', name: 'from', value: from })),
      h('label', { for: 'audit-to' }, t('to'), h('input#audit-to', { type: 'date', name: 'to', value: to })),
      h('label', { for: 'audit-kind' }, t('audit_kind'), h('select#audit-kind', { name: 'kind' },
        [['', t('audit_kind_all')], ['read', t('audit_kind_read')], ['change', t('audit_kind_change')]].map(([v, text]) =>
          h('option', { value: v, selected: v === asked.kind }, text))))),
    h('div.row',
      h('label', { for: 'audit-actor' }, t('audit_actor'), h('select#audit-actor', { name: 'actor_id' },
        h('option', { value: '' }, t('audit_anyone')),
        actors.map((p) => h('option', { value: p.id, selected: p.id === asked.actor_id }, p.email ? `${p.name} (${p.email})` : p.name)))),
      h('label.grow', { for: 'audit-action' }, t('audit_action'), h('input#audit-action', { type: 'text', name: 'action', value: asked.action, placeholder: 'employees.update', list: 'audit-actions', autocomplete: 'off' })),
      h('datalist#audit-actions', [...new Set(log.entries.map((e) => e.action))].map((a) => h('option', { value: a })))),
    h('div.actions', h('button.primary', { type: 'submit' }, t('search_button'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = {};
    for (const name of ['from', 'to', 'kind', 'actor_id', 'action']) {
      const value = form.elements[name].value.trim();
      if (value) next[name] = value;
    }
    location.hash = `#/audit?${new URLSearchParams(next)}`;
  });
  const pages = Math.max(1, Math.ceil(log.total / log.per_page));
  const pageLink = (n) => `#/audit?${new URLSearchParams({ ...Object.fromEntries(query), page: String(n) })}`;
  clear(main,
    h('h1', t('audit_title')),
    form,
    h('p.muted#audit-count', tn('audit_count', log.total), from || to ? '' : ` ${t('audit_default_range')}`),
    log.entries.length ? h('ul.people.rows#audit-list', log.entries.map(entryItem)) : h('p.muted', t('nobody')),
    pages > 1 ? h('nav.pager.actions', { 'aria-label': t('audit_pages') },
      page > 1 ? h('a.button.secondary#audit-prev', { href: pageLink(page - 1) }, t('previous_page')) : null,
      h('span', ` ${page} / ${pages} `),
      page < pages ? h('a.button.secondary#audit-next', { href: pageLink(page + 1) }, t('next_page')) : null) : null);
}

function entryItem(e) {
  const changes = Object.entries(e.changes || {});
  return h('li', { 'data-action': e.action },
    h('div.person',
      h('span', h('strong', e.actor ? e.actor.name : t('audit_no_actor')), ' ', h('code', e.action),
        e.target ? h('span.tag', e.target.name) : null),
      h('span', { class: `pill ${e.kind === 'change' ? '' : 'good'}` }, t(`audit_kind_${e.kind}`))),
    h('p.muted', formatTime(e.created_at)),
    changes.length ? h('details', h('summary', tn('audit_fields', changes.length)),
      h('dl.answers', changes.flatMap(([field, c]) => [
        h('dt', field),
        h('dd', `${show(c.before)} → ${show(c.after)}`),
      ]))) : null);
}

function show(value) {
  if (value === null || value === undefined) return '—';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
