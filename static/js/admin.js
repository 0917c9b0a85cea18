// Admins: people (search, add, edit, deactivate, leave), the CSV import with a preview,
// the department tree, the organization's settings.

import { api, send, path } from './api.js';
import { me } from './app.js';
import { h, clear } from './dom.js';
import { t, tn, formatDate, errorText, problemText, problemLines } from './i18n.js';
import { field, group, banner, clearErrors, showFieldErrors, showError, select } from './ui.js';

const ROLES = ['staff', 'manager', 'hr', 'admin'];
const LEAVE_KINDS = ['annual', 'sick', 'personal', 'parental', 'other'];

async function departments() {
  return (await api('GET', '/departments')).departments;
}

function departmentOptions(list, empty) {
  return [['', empty], ...list.map((d) => [d.id, d.path || d.name])];
}

/** Runs an API call for a form, placing field errors and the message in `status`. */
async function attempt(formEl, status, call) {
  clearErrors(formEl);
  clear(status);
  try {
    return await call();
  } catch (error) {
    const unplaced = showFieldErrors(formEl, error.problems);
    showError(status, error, errorText(error), unplaced);
    return undefined;
  }
}

/** An import line's problems, each with its column, in the page's language. */
function lineProblems(line) {
  return (line.problems || [line]).map((p) => (p.field ? `${p.field}: ` : '') + problemText(p)).join('; ');
}

// ---------- people ----------

export async function peopleView(main, params) {
  const q = params.get('q') || '';
  const inactive = params.get('active') === 'all';
  const page = Number(params.get('page') || 1);
  const [list, depts] = await Promise.all([
    api('GET', `/employees?${new URLSearchParams({ q, active: inactive ? 'all' : 'true', page: String(page), per_page: '50' })}`),
    departments(),
  ]);
  const searchForm = h('form.row#people-search', { role: 'search' },
    h('label.grow', { for: 'people-q' }, t('search'), h('input#people-q', { type: 'search', name: 'q', value: q })),
    h('label.check', h('input', { type: 'checkbox', name: 'all', checked: inactive }), t('show_inactive')),
    h('button.secondary', { type: 'submit' }, t('search_button')));
  searchForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = { q: searchForm.q.value.trim() };
    if (searchForm.all.checked) p.active = 'all';
    location.hash = `#/people?${new URLSearchParams(p)}`;
  });
  const reload = () => peopleView(main, params);
  const pages = Math.max(1, Math.ceil(list.total / list.per_page));
  const pageLink = (n) => `#/people?${new URLSearchParams({ q, ...(inactive ? { active: 'all' } : {}), page: String(n) })}`;
  clear(main,
    h('h1', t('people_title')),
    searchForm,
    h('p.muted', tn('people_count', list.total)),
    h('ul.people.rows#people-list', list.employees.map((p) => personRow(p, depts, reload))),
    pages > 1 ? h('nav.pager', page > 1 ? h('a', { href: pageLink(page - 1) }, t('previous_page')) : null, ` ${page} / ${pages} `, page < pages ? h('a', { href: pageLink(page + 1) }, t('next_page')) : null) : null,
    personForm(null, depts, reload),
    zoneNames());
}

/** The browser's list of time zone names, offered by every zone field on the page. */
export function zoneNames() {
  return h('datalist#zone-names', (Intl.supportedValuesOf ? Intl.supportedValuesOf('timeZone') : []).map((z) => h('option', { value: z })));
}

function personRow(p, depts, reload) {
  const li = h('li', { id: `person-${p.id}`, class: p.active ? null : 'inactive' });
  const extra = h('div');
  const show = () => clear(li,
    h('div.person',
      h('div', h('strong', p.name), p.active ? null : h('span.tag', t('inactive')), h('br'), h('span.muted', p.email), p.employee_no ? h('span.muted', ` · ${p.employee_no}`) : null),
      h('div', h('span.tag', t(`role_${p.role}`)), p.department_path ? h('span.tag', p.department_path) : null)),
    h('div.actions',
      h('button.secondary.small', { id: `edit-${p.id}`, type: 'button', onclick: () => clear(extra, personForm(p, depts, reload)) }, t('edit')),
      h('button.secondary.small', { id: `leave-${p.id}`, type: 'button', onclick: () => leaveBox(p, extra) }, t('leave')),
      // One's own sessions end from the history page, which also forgets this one.
      p.id === me()?.id ? null : h('button.secondary.small', { id: `sign-out-${p.id}`, type: 'button', onclick: async () => {
        if (!confirm(t('sign_out_person_confirm', { name: p.name }))) return;
        try {
          await api('POST', path`/employees/${p.id}/sign-out-everywhere`);
          clear(extra, banner(t('signed_out_person', { name: p.name }), 'ok'));
        } catch (error) { clear(extra, banner(errorText(error), 'error')); }
      } }, t('sign_out_everywhere')),
      p.active
        ? h('button.danger.small', { id: `deactivate-${p.id}`, type: 'button', onclick: async () => {
          if (!confirm(t('deactivate_confirm', { name: p.name }))) return;
          try { await api('DELETE', path`/employees/${p.id}`); reload(); } catch (error) { clear(extra, banner(errorText(error), 'error')); }
        } }, t('deactivate'))
        : h('button.secondary.small', { type: 'button', onclick: async () => {
          try { await api('PATCH', path`/employees/${p.id}`, { active: true }); reload(); } catch (error) { clear(extra, banner(errorText(error), 'error')); }
        } }, t('reactivate')),
      // Only someone who left can be erased, and only by an admin: for good.
      !p.active && me()?.role === 'admin'
        ? h('button.danger.small', { id: `erase-${p.id}`, type: 'button', onclick: async () => {
          if (!confirm(t('erase_confirm', { name: p.name }))) return;
          try { await api('POST', path`/employees/${p.id}/erase`); reload(); } catch (error) { clear(extra, banner(errorText(error), 'error')); }
        } }, t('erase'))
        : null),
    extra);
  show();
  return li;
}

function personForm(p, depts, reload) {
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  const prefix = p ? `edit-${p.id}` : 'new';
  const formEl = h('form.card', { id: `${prefix}-person`, novalidate: true },
    h('h2', p ? `${t('edit')}: ${p.name}` : t('add_person')),
    status,
    field('email', t('email'), h('input', { id: `${prefix}-email`, type: 'email', name: 'email', required: true, value: p?.email || '' }), undefined, prefix),
    field('name', t('name'), h('input', { id: `${prefix}-name`, type: 'text', name: 'name', required: true, value: p?.name || '' }), undefined, prefix),
    field('employee_no', t('employee_no'), h('input', { id: `${prefix}-no`, type: 'text', name: 'employee_no', value: p?.employee_no || '' }), undefined, prefix),
    field('role', t('role'), select(`${prefix}-role`, ROLES.map((r) => [r, t(`role_${r}`)]), p?.role || 'staff'), undefined, prefix),
    field('department_id', t('department'), select(`${prefix}-dept`, departmentOptions(depts, t('no_department')), p?.department_id || ''), undefined, prefix),
    field('timezone', t('timezone'), h('input', { id: `${prefix}-zone`, type: 'text', name: 'timezone', value: p?.timezone || '', list: 'zone-names', autocomplete: 'off', placeholder: t('org_default') }), undefined, prefix),
    field('locale', t('language'), select(`${prefix}-locale`, [['', t('org_default')], ['zh-CN', '中文'], ['en', 'English']], p?.locale || ''), undefined, prefix),
    depts.length ? group('manager_of', t('manages'), depts.map((d) =>
      h('label.choice', h('input', { type: 'checkbox', name: 'manager_of', value: d.id, checked: (p?.manages || []).includes(d.id) }), d.path || d.name)), t('manages_help'), prefix) : null,
    p ? null : h('label.check', h('input', { type: 'checkbox', name: 'invite', checked: true }), t('send_invite')),
    h('div.actions', h('button.primary', { type: 'submit' }, p ? t('save') : t('add'))));
  formEl.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = (id) => formEl.querySelector(`#${prefix}-${id}`).value.trim();
    const body = { email: v('email'), name: v('name'), role: v('role') };
    const optional = { employee_no: v('no'), department_id: v('dept'), timezone: v('zone'), locale: v('locale') };
    const manages = [...formEl.querySelectorAll('[name="manager_of"]:checked')].map((x) => x.value);
    if (p) {
      // An emptied field clears the stored value; the managed departments are replaced as a whole.
      for (const [key, value] of Object.entries(optional)) body[key] = value || null;
      body.manager_of = manages;
    } else {
      for (const [key, value] of Object.entries(optional)) if (value) body[key] = value;
      if (manages.length) body.manager_of = manages;
      body.invite = formEl.invite.checked;
    }
    const ok = await attempt(formEl, status, () => (p ? api('PATCH', path`/employees/${p.id}`, body) : api('POST', '/employees', body)));
    if (ok) reload();
  });
  return formEl;
}

async function leaveBox(p, box) {
  const render = async () => {
    let list;
    try {
      list = await api('GET', path`/employees/${p.id}/leave`);
    } catch (error) {
      clear(box, banner(errorText(error), 'error'));
      return;
    }
    const items = Array.isArray(list) ? list : list.leave || list.leaves || [];
    const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
    const formEl = h('form.row', { id: `leave-form-${p.id}`, novalidate: true },
      field('from', t('from'), h('input', { id: `leave-from-${p.id}`, type: 'date', name: 'from', required: true }), undefined, `leave-${p.id}`),
      field('to', t('to'), h('input', { id: `leave-to-${p.id}`, type: 'date', name: 'to', required: true }), undefined, `leave-${p.id}`),
      field('kind', t('leave_kind'), select(`leave-kind-${p.id}`, LEAVE_KINDS.map((k) => [k, t(`leave_${k}`)]), 'annual'), undefined, `leave-${p.id}`),
      field('note', t('note'), h('input', { id: `leave-note-${p.id}`, type: 'text', name: 'note' }), undefined, `leave-${p.id}`),
      h('button.primary', { type: 'submit' }, t('add')));
    formEl.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = { from: formEl.from.value, to: formEl.to.value, kind: formEl.querySelector('select').value };
      if (formEl.note.value.trim()) body.note = formEl.note.value.trim();
      const ok = await attempt(formEl, status, () => api('POST', path`/employees/${p.id}/leave`, body));
      if (ok) render();
    });
    clear(box, h('div.card', { id: `leave-card-${p.id}` },
      h('h3', t('leave')),
      items.length ? h('ul.plain', items.map((l) => h('li', `${formatDate(l.from)} – ${formatDate(l.to)} · ${t(`leave_${l.kind}`)}`, l.note ? ` · ${l.note}` : '', ' ',
        h('button.danger.small', { type: 'button', onclick: async () => { await api('DELETE', path`/employees/${p.id}/leave/${l.id}`).catch(() => {}); render(); } }, t('remove'))))) : h('p.muted', t('no_leave')),
      status, formEl));
  };
  render();
}

// ---------- import ----------

export async function importView(main) {
  const status = h('div.status#import-status', { role: 'status', 'aria-live': 'polite' });
  const file = h('input#import-file', { type: 'file', accept: '.csv,text/csv' });
  const text = h('textarea#import-text', { rows: 8, spellcheck: 'false', placeholder: 'email,name,employee_no,department,role,manager_of' });
  const doImport = h('button.primary#import-run', { type: 'button', disabled: true }, t('do_import'));
  const previewButton = h('button.secondary#import-preview', { type: 'button' }, t('preview'));
  let checked = null;

  file.addEventListener('change', async () => {
    if (file.files[0]) text.value = await file.files[0].text();
  });
  text.addEventListener('input', () => { doImport.disabled = true; checked = null; });

  const run = async (dryRun) => {
    clear(status);
    const csv = text.value;
    const response = await send('POST', `/api/v1/employees/import?dry_run=${dryRun}`, { body: csv, headers: { 'Content-Type': 'text/csv' } })
      .then((r) => r.json())
      .catch((error) => error);
    if (response instanceof Error) {
      const body = response.body || {};
      if (Array.isArray(body.errors) && body.errors.length) {
        clear(status, banner(t('import_errors'), 'error'),
          h('ul.errors#import-errors', body.errors.map((e) => h('li', h('strong', t('line', { n: e.line })), ' ', lineProblems(e)))));
      } else {
        const lines = problemLines(response);
        showError(status, response, errorText(response), lines);
      }
      doImport.disabled = true;
      return;
    }
    const numbers = { created: response.created, updated: response.updated, unchanged: response.unchanged ?? 0, departments: response.departments_created ?? 0 };
    clear(status, banner(t(dryRun ? 'preview_result' : 'import_result', numbers), 'ok'));
    if (dryRun) {
      checked = csv;
      doImport.disabled = false;
    } else {
      checked = null;
      doImport.disabled = true;
    }
  };
  previewButton.addEventListener('click', () => run(true));
  doImport.addEventListener('click', () => { if (checked === text.value) run(false); });

  clear(main,
    h('h1', t('import_title')),
    h('p.help', t('import_help')),
    h('div.card',
      h('div.field', h('label', { for: 'import-file' }, t('csv_file')), file),
      h('div.field', h('label', { for: 'import-text' }, t('csv_text')), text),
      h('div.actions', previewButton, doImport),
      status));
}

// ---------- departments ----------

/** Every active person of one role, page by page. */
async function everyone(role) {
  const people = [];
  for (let page = 1; ; page += 1) {
    const list = await api('GET', `/employees?${new URLSearchParams({ role, page: String(page), per_page: '200' })}`);
    people.push(...list.employees);
    if (people.length >= list.total || !list.employees.length) return people;
  }
}

export async function departmentsView(main) {
  const [list, ...byRole] = await Promise.all([departments(), ...['manager', 'hr', 'admin'].map(everyone)]);
  // Those who may manage a department, by name.
  const candidates = byRole.flat().sort((a, b) => a.name.localeCompare(b.name));
  const names = new Map(candidates.map((p) => [p.id, p.name]));
  const byParent = new Map();
  for (const d of list) {
    const key = d.parent_id || '';
    if (!byParent.has(key)) byParent.set(key, []);
    byParent.get(key).push(d);
  }
  const below = (id) => (byParent.get(id) || []).flatMap((c) => [c.id, ...below(c.id)]);
  const byId = new Map(list.map((d) => [d.id, d]));
  // A department's own members, and with its sub-departments, as the dashboard counts them.
  const membersText = (d) => {
    const own = d.member_count ?? 0;
    const sub = below(d.id);
    if (!sub.length) return tn('members', own);
    const total = own + sub.reduce((sum, id) => sum + (byId.get(id)?.member_count ?? 0), 0);
    return tn('members_with_sub', own, { total });
  };
  const reload = () => departmentsView(main);
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  const node = (d) => {
    const editor = h('div');
    const managers = d.manager_ids.map((id) => names.get(id) || id);
    const row = h('div.dept-row', { id: `dept-${d.id}` },
      h('span', h('strong', d.name), ' ', h('span.muted.members', membersText(d)),
        managers.length ? h('span.muted', ` · ${t('managed_by', { names: managers.join(', ') })}`) : null),
      h('span.actions',
        h('button.secondary.small', { type: 'button', 'aria-expanded': 'false', onclick: (e) => {
          const open = e.currentTarget.getAttribute('aria-expanded') === 'true';
          e.currentTarget.setAttribute('aria-expanded', String(!open));
          if (open) clear(editor);
          else clear(editor, departmentForm(d, list, candidates, new Set([d.id, ...below(d.id)]), reload));
        } }, t('edit')),
        h('button.danger.small', { type: 'button', onclick: async () => {
          if (!confirm(t('delete_confirm', { name: d.name }))) return;
          try { await api('DELETE', path`/departments/${d.id}`); reload(); } catch (error) { clear(status, banner(errorText(error), 'error')); }
        } }, t('delete'))));
    const children = byParent.get(d.id) || [];
    return h('li', row, editor, children.length ? h('ul.tree', children.map(node)) : null);
  };
  clear(main, h('h1', t('departments_title')), status,
    h('ul.tree.root#department-tree', (byParent.get('') || []).map(node)),
    departmentForm(null, list, candidates, new Set(), reload));
}

/** Adds a department, or edits one: its name, where it sits in the tree, its managers. */
function departmentForm(d, list, candidates, excluded, reload) {
  const prefix = d ? `dept-${d.id}` : 'dept';
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  // A department cannot move under itself or its own sub-departments.
  const parents = list.filter((x) => !excluded.has(x.id));
  const formEl = h('form.card', { id: d ? `edit-${prefix}` : 'new-department', novalidate: true },
    h('h2', d ? `${t('edit')}: ${d.name}` : t('add_department')),
    status,
    field('name', t('name'), h('input', { id: `${prefix}-name`, type: 'text', name: 'name', required: true, value: d?.name || '' }), undefined, prefix),
    field('parent_id', t('parent'), select(`${prefix}-parent`, departmentOptions(parents, t('top_level')), d?.parent_id || ''), undefined, prefix),
    candidates.length
      ? group('manager_ids', t('managers'), candidates.map((p) =>
        h('label.choice', h('input', { type: 'checkbox', name: 'manager_ids', value: p.id, checked: (d?.manager_ids || []).includes(p.id) }), p.name, ' ', h('span.muted', p.email))), t('managers_help'), prefix)
      : null,
    h('div.actions', h('button.primary', { type: 'submit' }, d ? t('save') : t('add'))));
  formEl.addEventListener('submit', async (e) => {
    e.preventDefault();
    const parent = formEl.querySelector(`#${prefix}-parent`).value || null;
    const body = {
      name: formEl.querySelector(`#${prefix}-name`).value.trim(),
      manager_ids: [...formEl.querySelectorAll('[name="manager_ids"]:checked')].map((x) => x.value),
    };
    if (d) body.parent_id = parent;
    else if (parent) body.parent_id = parent;
    const ok = await attempt(formEl, status, () => (d ? api('PATCH', path`/departments/${d.id}`, body) : api('POST', '/departments', body)));
    if (ok) reload();
  });
  return formEl;
}

// ---------- settings ----------

export async function settingsView(main) {
  const org = await api('GET', '/organization');
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  // Escalation: after which of the reminder times managers get a digest instead of staff
  // another reminder. Its choices follow the times as they are typed.
  const escalate = h('select#settings-escalate', { name: 'escalate_after' });
  const escalationChoices = (times, chosen) => clear(escalate,
    h('option', { value: '', selected: !chosen }, t('escalate_never')),
    times.map((time) => h('option', { value: time, selected: time === chosen }, t('escalate_at', { time }))));
  const typedTimes = (text) => text.split(/[,，\s]+/).filter(Boolean);
  escalationChoices(org.reminder_times, org.escalate_after);
  const formEl = h('form.card#settings-form', { novalidate: true },
    status,
    field('name', t('org_name'), h('input', { type: 'text', name: 'name', value: org.name })),
    field('timezone', t('timezone'), h('input', { type: 'text', name: 'timezone', value: org.timezone, list: 'zone-names', autocomplete: 'off' })),
    zoneNames(),
    group('working_days', t('working_days'), t('weekdays').map((name, i) =>
      h('label.choice', h('input', { type: 'checkbox', name: 'working_days', value: String(i + 1), checked: org.working_days.includes(i + 1) }), name))),
    field('reminder_times', t('reminder_times'), h('input', { type: 'text', name: 'reminder_times', value: org.reminder_times.join(', ') })),
    field('escalate_after', t('escalate_after'), escalate, t('escalate_help')),
    field('late_days', t('late_days_setting'), h('input', { type: 'number', name: 'late_days', min: 0, max: 31, value: org.late_days })),
    field('holidays', t('holidays'), h('textarea', { name: 'holidays', rows: 5 }, org.holidays.join('\n'))),
    field('locale', t('language'), select('settings-locale', [['zh-CN', '中文'], ['en', 'English']], org.locale)),
    h('label.check', h('input', { type: 'checkbox', name: 'abnormal_alerts', checked: org.abnormal_alerts !== false }), t('abnormal_alerts_setting')),
    h('h2', t('privacy_settings')),
    field('retention_days', t('retention_days'), h('input', { type: 'number', name: 'retention_days', min: 7, max: 3650, value: org.retention_days ?? '', placeholder: t('retention_keep') }), t('retention_help')),
    field('audit_retention_days', t('audit_retention_days'), h('input', { type: 'number', name: 'audit_retention_days', min: 30, max: 3650, value: org.audit_retention_days })),
    group('privacy_notice', t('privacy_notice'), [
      h('label.block', { for: 'settings-notice-zh' }, '中文', h('textarea#settings-notice-zh', { name: 'notice_zh', rows: 4 }, org.privacy_notice?.['zh-CN'] || '')),
      h('label.block', { for: 'settings-notice-en' }, 'English', h('textarea#settings-notice-en', { name: 'notice_en', rows: 4 }, org.privacy_notice?.en || '')),
    ], t('privacy_notice_help')),
    h('div.actions', h('button.primary', { type: 'submit' }, t('save'))));
  formEl.reminder_times.addEventListener('input', () => escalationChoices(typedTimes(formEl.reminder_times.value), escalate.value));
  formEl.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      escalate_after: escalate.value || null,
      name: formEl.querySelector('[name="name"]').value.trim(),
      timezone: formEl.timezone.value.trim(),
      working_days: [...formEl.querySelectorAll('[name="working_days"]:checked')].map((x) => Number(x.value)),
      reminder_times: typedTimes(formEl.reminder_times.value),
      late_days: Number(formEl.late_days.value),
      holidays: formEl.holidays.value.split(/[\s,]+/).filter(Boolean),
      locale: formEl.querySelector('#settings-locale').value,
      // Empty keeps answers for good; the notice is replaced as a whole, empty removes it.
      retention_days: formEl.retention_days.value.trim() === '' ? null : Number(formEl.retention_days.value),
      audit_retention_days: Number(formEl.audit_retention_days.value),
      abnormal_alerts: formEl.abnormal_alerts.checked,
      privacy_notice: { en: formEl.notice_en.value.trim() || null, 'zh-CN': formEl.notice_zh.value.trim() || null },
    };
    const ok = await attempt(formEl, status, () => api('PUT', '/organization', body));
    if (ok) clear(status, banner(t('saved_settings'), 'ok'));
  });
  clear(main, h('h1', t('settings_title')), formEl, webhooksCard());
}

const WEBHOOK_FORMATS = ['dingtalk', 'wecom', 'feishu', 'slack', 'generic'];
const WEBHOOK_EVENTS = ['checkin.abnormal', 'day.summary', 'reminder.digest'];

/** Chat robots and other receivers of the organization's events: listed with their last
 * delivery, added, deleted. */
function webhooksCard() {
  const card = h('section.card#webhooks');
  const render = async () => {
    let list;
    try {
      list = (await api('GET', '/webhooks')).webhooks;
    } catch (error) {
      clear(card, h('h2', t('webhooks_title')), banner(errorText(error), 'error'));
      return;
    }
    const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
    const formEl = h('form#webhook-form', { novalidate: true },
      field('url', t('webhook_url'), h('input', { type: 'url', name: 'url', placeholder: 'https://oapi.dingtalk.com/robot/send?access_token=…' }), undefined, 'webhook'),
      field('format', t('webhook_format'), select('webhook-format', WEBHOOK_FORMATS.map((f) => [f, t(`webhook_format_${f}`)]), 'dingtalk'), undefined, 'webhook'),
      group('events', t('webhook_events'), WEBHOOK_EVENTS.map((e) =>
        h('label.choice', h('input', { type: 'checkbox', name: 'events', value: e, checked: e === 'checkin.abnormal' }), t(`webhook_event_${e.replace('.', '_')}`))), undefined, 'webhook'),
      field('secret', t('webhook_secret'), h('input', { type: 'text', name: 'secret', autocomplete: 'off' }), t('webhook_secret_help'), 'webhook'),
      h('div.actions', h('button.primary#webhook-add', { type: 'submit' }, t('add'))));
    formEl.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body = {
        url: formEl.url.value.trim(),
        format: formEl.querySelector('#webhook-format').value,
        events: [...formEl.querySelectorAll('[name="events"]:checked')].map((x) => x.value),
      };
      if (formEl.secret.value.trim()) body.secret = formEl.secret.value.trim();
      const ok = await attempt(formEl, status, () => api('POST', '/webhooks', body));
      if (ok) render();
    });
    clear(card,
      h('h2', t('webhooks_title')),
      h('p.help', t('webhooks_help')),
      list.length ? h('ul.people#webhook-list', list.map((w) => h('li', { id: `webhook-${w.id}` },
        h('div.person',
          h('div', h('span.tag', t(`webhook_format_${w.format}`)), ' ', h('code', new URL(w.url).host), w.signed ? h('span.tag', t('webhook_signed')) : null,
            h('br'), h('span.muted', w.events.map((e) => t(`webhook_event_${e.replace('.', '_')}`)).join(' · '))),
          h('div.webhook-last', w.last_delivery
            ? [h('span', { class: `pill ${w.last_delivery.status === 'sent' ? 'good' : w.last_delivery.status === 'failed' ? 'bad' : ''}` }, t(`delivery_${w.last_delivery.status}`)),
              ' ', h('span.muted', formatDate(w.last_delivery.queued_at.slice(0, 10))),
              w.last_delivery.error ? h('p.muted.webhook-error', w.last_delivery.error) : null]
            : h('span.muted', t('webhook_never')))),
        h('div.actions', h('button.danger.small', { id: `webhook-delete-${w.id}`, type: 'button', onclick: async () => {
          if (!confirm(t('webhook_delete_confirm'))) return;
          try { await api('DELETE', path`/webhooks/${w.id}`); render(); } catch (error) { clear(status, banner(errorText(error), 'error')); }
        } }, t('remove')))))) : h('p.muted', t('webhooks_none')),
      status, h('h3', t('webhook_add')), formEl);
  };
  render();
  return card;
}
