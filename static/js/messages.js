// What the server says, in the page's language, from its stable codes and their parameters.
// A field problem arrives as {code, params, message}; a failed request as {code, message}.
// Anything not listed here is shown as the server wrote it (English).

const list = (items) => (Array.isArray(items) ? items.join(', ') : String(items ?? ''));
const listZh = (items) => (Array.isArray(items) ? items.join('、') : String(items ?? ''));
// A bound as the field shows its numbers: `decimals` places when the server says how many.
const bound = (n, p) => (typeof n === 'number' && Number.isInteger(p.decimals) ? n.toFixed(p.decimals) : String(n));

/** Field problems: code → language → sentence from the params. */
const FIELD = {
  required: { en: () => 'is required', 'zh-CN': () => '必填' },
  not_a_number: { en: () => 'must be a number', 'zh-CN': () => '须为数字' },
  not_text: { en: () => 'must be text', 'zh-CN': () => '须为文字' },
  not_a_boolean: { en: () => 'must be true or false', 'zh-CN': () => '须选择是或否' },
  not_an_object: { en: () => 'must be an object', 'zh-CN': () => '须为对象' },
  not_a_list: {
    en: (p) => ({ time: 'must be a list of times as HH:MM', date: 'must be a list of dates as YYYY-MM-DD' }[p.items] || 'must be a list'),
    'zh-CN': (p) => ({ time: '须为时间列表，格式 HH:MM', date: '须为日期列表，格式 YYYY-MM-DD' }[p.items] || '须为列表（没有则留空）'),
  },
  too_many: { en: (p) => `at most ${p.max}`, 'zh-CN': (p) => `最多 ${p.max} 个` },
  not_weekdays: {
    en: () => 'must be weekday numbers from 1 (Monday) to 7 (Sunday)',
    'zh-CN': () => '须为 1（周一）到 7（周日）的数字',
  },
  no_working_day: { en: () => 'must name at least one working day', 'zh-CN': () => '至少选择一个工作日' },
  invalid_time: {
    en: (p) => (p.value !== undefined ? `“${p.value}” is not a time as HH:MM` : 'must be a time as HH:MM'),
    'zh-CN': (p) => (p.value !== undefined ? `“${p.value}” 不是 HH:MM 格式的时间` : '须为 HH:MM 格式的时间'),
  },
  not_a_time_or_null: { en: () => 'must be a time as HH:MM, or empty', 'zh-CN': () => '须为 HH:MM 格式的时间，或留空' },
  not_a_reminder_time: {
    en: (p) => `must be one of the reminder times (${list(p.reminder_times)})`,
    'zh-CN': (p) => `须为提醒时间之一（${listZh(p.reminder_times)}）`,
  },
  contains_slash: { en: () => 'must not contain “/” (it separates levels)', 'zh-CN': () => '不能包含“/”（用于分隔层级）' },
  cycle: {
    en: () => 'a department cannot move under itself or one of its sub-departments',
    'zh-CN': () => '部门不能移到自身或其下级部门之下',
  },
  too_deep: { en: (p) => `the tree may be at most ${p.max} levels deep`, 'zh-CN': (p) => `部门最多 ${p.max} 级` },
  not_a_manager: {
    en: (p) => `${p.email} has the staff role; make them a manager first`,
    'zh-CN': (p) => `${p.email} 是普通员工角色，请先设为经理`,
  },
  not_an_active_person: {
    en: () => 'is not an active person of this organization',
    'zh-CN': () => '不是本组织的在职人员',
  },
  out_of_range: {
    en: (p) => `must be between ${bound(p.min, p)} and ${bound(p.max, p)}`,
    'zh-CN': (p) => `须在 ${bound(p.min, p)} 到 ${bound(p.max, p)} 之间`,
  },
  too_long: { en: (p) => `must be at most ${p.max} characters`, 'zh-CN': (p) => `最多 ${p.max} 个字符` },
  too_short: { en: (p) => `must be at least ${p.min} characters`, 'zh-CN': (p) => `至少 ${p.min} 个字符` },
  not_a_choice: {
    en: (p) => (p.value !== undefined ? `“${p.value}” is not one of ${list(p.choices)}` : `must be one of ${list(p.choices)}`),
    'zh-CN': (p) => (p.value !== undefined ? `“${p.value}” 不是以下之一：${listZh(p.choices)}` : `须为以下之一：${listZh(p.choices)}`),
  },
  control_characters: { en: () => 'must not contain control characters', 'zh-CN': () => '不能包含控制字符' },
  unknown_field: { en: () => 'is not a field of this form', 'zh-CN': () => '不是此表单的字段' },
  invalid_date: {
    en: (p) => (p.value !== undefined ? `“${p.value}” is not a date as YYYY-MM-DD` : 'must be a date as YYYY-MM-DD'),
    'zh-CN': (p) => (p.value !== undefined ? `“${p.value}” 不是 YYYY-MM-DD 格式的日期` : '须为日期，格式 YYYY-MM-DD'),
  },
  in_future: { en: () => 'is in the future', 'zh-CN': () => '不能是将来的日期' },
  after_end: { en: () => 'must not be after the end date', 'zh-CN': () => '不能晚于结束日期' },
  range_too_long: {
    en: (p) => `the range may cover at most ${p.max_days} days`,
    'zh-CN': (p) => `日期范围最多 ${p.max_days} 天`,
  },
  unknown_department: { en: () => 'no such department', 'zh-CN': () => '没有这个部门' },
  before_joining: {
    en: (p) => `is before you joined on ${p.joined}: nothing is owed for it`,
    'zh-CN': (p) => `早于您加入的日期（${p.joined}），无需填报`,
  },
  too_far_back: {
    en: (p) => `is too far back: the organization accepts check-ins up to ${p.late_days} days late`,
    'zh-CN': (p) => `太早了：组织只接受 ${p.late_days} 天内的补报`,
  },
  not_owed: { en: () => 'nothing is owed for this day', 'zh-CN': () => '这一天无需填报' },
};

/** Failed requests: top-level code → language → sentence. English pages show the server's
 * own sentence, which names the people and departments involved. */
const REQUEST = {
  concurrent_update: {
    en: () => 'the check-in was changed at the same moment; please try again',
    'zh-CN': () => '打卡记录刚被同时修改，请重试',
  },
  invalid_date: { en: () => 'the date is not valid', 'zh-CN': () => '日期无效' },
  invalid_body: { en: () => 'the request does not fit', 'zh-CN': () => '请求内容不符合要求' },
  malformed_json: { en: () => 'the request is not valid JSON', 'zh-CN': () => '请求不是有效的 JSON' },
  malformed_body: { en: () => 'the request could not be read', 'zh-CN': () => '无法读取请求内容' },
  invalid_path: { en: () => 'the address is not valid', 'zh-CN': () => '地址无效' },
  invalid_query: { en: () => 'the query is not valid', 'zh-CN': () => '查询参数无效' },
  invalid_address: { en: () => 'the address is not valid', 'zh-CN': () => '地址无效' },
  bad_request: { en: () => 'the request is malformed', 'zh-CN': () => '请求格式错误' },
  department_exists: {
    en: () => 'the parent department already has a department with this name',
    'zh-CN': () => '上级部门下已有同名部门',
  },
  department_not_empty: {
    en: () => 'the department still has people or sub-departments; move them first',
    'zh-CN': () => '该部门仍有人员或下级部门，请先移走',
  },
  email_taken: { en: () => 'this e-mail already has an account', 'zh-CN': () => '此邮箱已有账号' },
  employee_no_taken: { en: () => 'this employee number belongs to someone else', 'zh-CN': () => '此工号已属于他人' },
  already_exists: { en: () => 'the e-mail or employee number is already in use', 'zh-CN': () => '邮箱或工号已被使用' },
  inactive: { en: () => 'this person is deactivated; reactivate them first', 'zh-CN': () => '此人已停用，请先重新启用' },
  cannot_change_self: {
    en: () => 'you cannot take away your own admin role or deactivate yourself',
    'zh-CN': () => '不能取消自己的管理员角色或停用自己',
  },
  forbidden: { en: () => 'your role does not allow this', 'zh-CN': () => '您没有权限执行此操作' },
  not_found: { en: () => 'not found', 'zh-CN': () => '未找到' },
  unauthorized: { en: () => 'log in first', 'zh-CN': () => '请先登录' },
  rate_limited: { en: () => 'too many requests; please wait a little', 'zh-CN': () => '请求过多，请稍后再试' },
  unavailable: { en: () => 'the service is not ready; please try again shortly', 'zh-CN': () => '服务暂不可用，请稍后重试' },
  internal: { en: () => 'something went wrong on our side; please try again', 'zh-CN': () => '服务器出错了，请重试' },
};

function say(table, code, params, lang) {
  const entry = table[code];
  const sentence = entry && entry[lang];
  return sentence ? sentence(params || {}) : null;
}

/** A field problem ({code, params, message}) in `lang`. */
export function problemText(problem, lang) {
  if (!problem) return '';
  return say(FIELD, problem.code, problem.params, lang) ?? problem.message ?? '';
}

/** A failed request's message in `lang`, from its code. */
export function requestText(code, message, lang) {
  if (lang === 'en' && message) return message;
  return say(REQUEST, code, {}, lang) ?? message ?? '';
}

/** Every code the tables know, for the tests that check each server code is translated. */
export const KNOWN_CODES = { field: Object.keys(FIELD), request: Object.keys(REQUEST) };
