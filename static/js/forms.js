// The versions of the organization's form: each check-in names the version it was answered
// on, and its answers are shown with that version's questions and labels, so a question
// retired since still has its name.

import { api, auth } from './api.js';
import { t, label } from './i18n.js';

// Version → promise of the form; forgotten when someone else logs in (another organization
// numbers its versions from 1 too).
let cache = new Map();
let cachedFor = null;

function versions() {
  if (cachedFor !== auth.token) {
    cache = new Map();
    cachedFor = auth.token;
  }
  return cache;
}

/** Keeps a form already at hand (the day view's, a saved one) under its version. */
export function remember(form) {
  if (form && form.version) versions().set(Number(form.version), Promise.resolve(form));
}

/** The form of a version, fetched once. */
export function formOf(version) {
  const n = Number(version);
  const known = versions();
  if (!known.has(n)) {
    const loading = api('GET', `/form?${new URLSearchParams({ version: String(n) })}`);
    // A failed fetch is not kept, so the next look tries again.
    loading.catch(() => known.delete(n));
    known.set(n, loading);
  }
  return known.get(n);
}

/** The forms of several versions, by version number; `fallback` stands in for one that fails. */
export async function formsOf(numbers, fallback) {
  const wanted = [...new Set(numbers.map(Number))];
  const found = await Promise.all(wanted.map((n) => formOf(n).catch(() => fallback)));
  return new Map(wanted.map((n, i) => [n, found[i]]));
}

function amount(value, f) {
  return `${value}${f.unit ? ` ${f.unit}` : ''}`;
}

/** What makes an answer to the question abnormal, in words; null when nothing does. */
export function ruleText(f) {
  const parts = [];
  switch (f.type) {
    case 'number':
      if (f.abnormal_at_or_above !== null && f.abnormal_at_or_above !== undefined) {
        parts.push(t('rule_at_or_above', { n: amount(f.abnormal_at_or_above, f) }));
      }
      if (f.abnormal_at_or_below !== null && f.abnormal_at_or_below !== undefined) {
        parts.push(t('rule_at_or_below', { n: amount(f.abnormal_at_or_below, f) }));
      }
      break;
    case 'single_choice': {
      const chosen = (f.options || []).filter((o) => (f.abnormal_values || []).includes(o.value));
      if (chosen.length) parts.push(t('rule_choice', { options: chosen.map((o) => label(o.label) || o.value).join(', ') }));
      break;
    }
    case 'multi_choice':
      if (f.abnormal_if_any) parts.push(t('rule_any'));
      break;
    case 'boolean':
      if (f.abnormal_if_true) parts.push(t('rule_yes'));
      break;
    default:
      break;
  }
  return parts.length ? t('rule', { rule: parts.join(t('rule_or')) }) : null;
}
