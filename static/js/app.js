// The shell: log in, the header and navigation, hash routing, language switch.

import { api, auth, setUnauthorizedHandler } from './api.js';
import { h, clear } from './dom.js';
import { t, lang, setLang, setZone, errorText } from './i18n.js';
import { showFieldErrors, clearErrors, banner, field } from './ui.js';
import { checkinView, historyView, privacyView, ownDataCard } from './checkin.js';
import { dashboardView } from './dashboard.js';
import { peopleView, importView, departmentsView, settingsView } from './admin.js';
import { formView } from './formpage.js';
import { remindersView, auditView } from './logs.js';
import { casesView } from './cases.js';

/** The person signed in here, and the token they were read with. */
const state = { me: null, token: null };

function signedIn(user) {
  state.me = user;
  state.token = auth.token;
  setZone(user.timezone || user.organization.timezone);
}

export function me() {
  return state.me;
}

const NAV = [
  ['checkin', 'nav_checkin', ['staff', 'manager', 'hr', 'admin']],
  ['history', 'nav_history', ['staff', 'manager', 'hr', 'admin']],
  ['dashboard', 'nav_dashboard', ['manager', 'hr', 'admin']],
  ['cases', 'nav_cases', ['manager', 'hr', 'admin']],
  ['people', 'nav_people', ['admin']],
  ['import', 'nav_import', ['admin']],
  ['departments', 'nav_departments', ['admin']],
  ['form', 'nav_form', ['admin']],
  ['settings', 'nav_settings', ['admin']],
  ['reminders', 'nav_reminders', ['admin']],
  ['audit', 'nav_audit', ['admin']],
];

/** Pages reached from a link on another page rather than from the navigation. */
const LINKED = [
  ['privacy', 'privacy_title', ['staff', 'manager', 'hr', 'admin']],
];

const VIEWS = {
  privacy: privacyView,
  checkin: checkinView,
  history: async (main, params) => {
    await historyView(main, params);
    main.append(ownDataCard(), sessionsCard());
  },
  dashboard: dashboardView,
  cases: casesView,
  people: peopleView,
  import: importView,
  departments: departmentsView,
  form: formView,
  settings: settingsView,
  reminders: remindersView,
  audit: auditView,
};

const ALIASES = { reports: 'dashboard' };

const PUBLIC = { login: loginView, forgot: forgotView, 'set-password': setPasswordView };

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = raw.split('?');
  return { name: path || '', params: new URLSearchParams(query) };
}

export function go(name, params) {
  const query = params ? `?${new URLSearchParams(params)}` : '';
  const target = `#/${name}${query}`;
  if (location.hash === target) route();
  else location.hash = target;
}

function header(active) {
  const links = state.me ? NAV.filter(([, , roles]) => roles.includes(state.me.role)) : [];
  const nav = links.length
    ? h('nav.nav#main-nav', { 'aria-label': t('nav_label') },
        links.map(([name, key]) =>
          h('a', { href: `#/${name}`, id: `nav-${name}`, 'aria-current': name === active ? 'page' : null }, t(key))))
    : null;
  // On a phone a long navigation folds behind a menu button instead of scrolling sideways.
  const menu = links.length > 3
    ? h('button.link.menu#nav-toggle', { type: 'button', 'aria-expanded': 'false', 'aria-controls': 'main-nav' }, t('menu'))
    : null;
  if (menu) {
    nav.classList.add('foldable');
    menu.addEventListener('click', () => {
      const open = menu.getAttribute('aria-expanded') !== 'true';
      menu.setAttribute('aria-expanded', String(open));
      nav.classList.toggle('open', open);
    });
  }
  return h('header.top',
    h('div.bar',
      h('a.brand', { href: '#/' }, t('app_name')),
      h('div.tools',
        menu,
        h('button.link#lang-switch', { type: 'button', 'aria-label': t('switch_lang_label'), lang: lang() === 'en' ? 'zh-CN' : 'en', onclick: switchLang }, t('switch_lang')),
        state.me ? h('button.link#logout', { type: 'button', onclick: logout }, t('logout')) : null)),
    nav);
}

function switchLang() {
  setLang(lang() === 'en' ? 'zh-CN' : 'en');
  route();
}

async function logout() {
  // The server ends this session first, so a copy of the token left anywhere is worthless.
  try {
    await api('POST', '/auth/logout');
  } catch {
    // Already ended, or the server cannot be reached: the token is forgotten here either way.
  }
  forgetSession();
}

function forgetSession() {
  auth.clear();
  state.me = null;
  go('login');
}

/** Ending every session of one's own, for a phone that was lost or a shared computer. */
function sessionsCard() {
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  return h('section.card#sessions',
    h('h2', t('sessions_title')),
    h('p.muted', t('sessions_hint')),
    status,
    h('button.secondary#sign-out-everywhere', { type: 'button', onclick: async () => {
      if (!confirm(t('sign_out_everywhere_confirm'))) return;
      try {
        await api('POST', '/me/sign-out-everywhere');
        forgetSession();
      } catch (error) {
        clear(status, banner(errorText(error), 'error'));
      }
    } }, t('sign_out_everywhere')));
}

/** What the browser's tab and history call each page. */
const TITLES = {
  login: 'login_title',
  forgot: 'forgot_title',
  'set-password': 'set_password_title',
  ...Object.fromEntries([...NAV, ...LINKED].map(([name, key]) => [name, key])),
};

function page(active, ...content) {
  const root = document.getElementById('app');
  const main = h('main#main', { tabindex: '-1' }, content);
  clear(root, h('a.skip', { href: '#main', onclick: (e) => { e.preventDefault(); main.focus(); } }, t('skip')), header(active), main);
  document.title = TITLES[active] ? `${t(TITLES[active])} · ${t('app_name')}` : t('app_name');
  return main;
}

async function loadMe() {
  if (state.me || !auth.token) return state.me;
  try {
    signedIn(await api('GET', '/me'));
  } catch {
    state.me = null;
  }
  return state.me;
}

function home() {
  return state.me && ['manager', 'hr', 'admin'].includes(state.me.role) ? 'dashboard' : 'checkin';
}

let routing = 0;
async function route() {
  const seq = ++routing;
  document.documentElement.lang = lang();
  const { name: rawName, params } = parseHash();
  // Another tab may have signed out, or in as somebody else: the header must not offer the
  // pages of whoever was signed in here before.
  if (auth.token !== state.token) state.me = null;
  if (PUBLIC[rawName]) {
    PUBLIC[rawName](page(rawName), params);
    return;
  }
  if (!auth.token) {
    go('login');
    return;
  }
  await loadMe();
  if (seq !== routing) return;
  if (!state.me) {
    go('login');
    return;
  }
  // Links in reminder digests point at #/reports.
  const name = ALIASES[rawName] || rawName;
  const allowed = [...NAV, ...LINKED].find(([n, , roles]) => n === name && roles.includes(state.me.role));
  if (!name || !allowed) {
    if (name && VIEWS[name]) {
      go(home());
      return;
    }
    if (!name) {
      go(home());
      return;
    }
    page(null, h('p', t('not_found_page')));
    return;
  }
  const main = page(name, h('p.muted', t('loading')));
  try {
    await VIEWS[name](main, params, state.me);
  } catch (error) {
    clear(main, banner(errorText(error), 'error'));
  }
}

function loginView(main, params) {
  if (auth.token) {
    go('');
    return;
  }
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  const form = h('form.card.narrow#login-form', { novalidate: true },
    h('h1', t('login_title')),
    status,
    field('email', t('email'), h('input#f-email', { type: 'email', name: 'email', autocomplete: 'username', required: true, value: params.get('email') || '' })),
    field('password', t('password'), h('input#f-password', { type: 'password', name: 'password', autocomplete: 'current-password', required: true })),
    h('button.primary.big#login-submit', { type: 'submit' }, t('login')),
    h('p', h('a', { href: '#/forgot' }, t('forgot'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    clear(status);
    try {
      const answer = await api('POST', '/auth/login', { email: form.email.value.trim(), password: form.password.value }, { anonymous: true });
      auth.token = answer.token;
      signedIn(answer.user);
      go(home());
    } catch (error) {
      if (error.status === 401) clear(status, banner(t('error_login'), 'error'));
      else {
        showFieldErrors(form, error.problems);
        clear(status, banner(errorText(error), 'error'));
      }
    }
  });
  clear(main, form);
  form.email.focus();
}

function forgotView(main) {
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  const form = h('form.card.narrow#forgot-form', { novalidate: true },
    h('h1', t('forgot_title')),
    h('p', t('forgot_help')),
    status,
    field('email', t('email'), h('input#f-email', { type: 'email', name: 'email', autocomplete: 'username', required: true })),
    h('button.primary.big', { type: 'submit' }, t('forgot_send')),
    h('p', h('a', { href: '#/login' }, t('back_to_login'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      await api('POST', '/auth/forgot-password', { email: form.email.value.trim() }, { anonymous: true });
      clear(status, banner(t('forgot_sent'), 'ok'));
    } catch (error) {
      showFieldErrors(form, error.problems);
      clear(status, banner(errorText(error), 'error'));
    }
  });
  clear(main, form);
}

function setPasswordView(main, params) {
  const token = params.get('token');
  const status = h('div.status', { role: 'status', 'aria-live': 'polite' });
  if (!token) {
    clear(main, h('div.card.narrow', h('h1', t('set_password_title')), banner(t('set_password_no_token'), 'error')));
    return;
  }
  const form = h('form.card.narrow#set-password-form', { novalidate: true },
    h('h1', t('set_password_title')),
    status,
    field('password', t('password'), h('input#f-password', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: 8 })),
    field('password2', t('password_again'), h('input#f-password2', { type: 'password', name: 'password2', autocomplete: 'new-password', required: true })),
    h('button.primary.big', { type: 'submit' }, t('set_password_save')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    clear(status);
    if (form.password.value !== form.password2.value) {
      showFieldErrors(form, { password2: t('passwords_differ') });
      return;
    }
    try {
      // The link logs the person in: straight on to today's form.
      const session = await api('POST', '/auth/set-password', { token, password: form.password.value }, { anonymous: true });
      auth.token = session.token;
      signedIn(session.user);
      go(home());
    } catch (error) {
      showFieldErrors(form, error.problems);
      clear(status, banner(errorText(error), 'error'));
    }
  });
  clear(main, form);
}

setUnauthorizedHandler(() => {
  state.me = null;
  if (!PUBLIC[parseHash().name]) go('login');
});

window.addEventListener('hashchange', route);
setLang(lang());
route();
