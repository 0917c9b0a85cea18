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
  invalid_url: {
    en: (p) => (p.value !== undefined ? `“${p.value}” is not an http or https address` : 'must be an http or https address'),
    'zh-CN': (p) => (p.value !== undefined ? `“${p.value}” 不是 http 或 https 地址` : '须为 http 或 https 地址'),
  },
  not_an_assignee: {
    en: () => 'must be an active manager, HR or administrator',
    'zh-CN': () => '须为在职的经理、人事或管理员',
  },
  not_a_notice: {
    en: () => 'must be texts by language (English, Chinese), or empty',
    'zh-CN': () => '须为按语言（英文、中文）填写的文字，或留空',
  },
  unknown_language: {
    en: (p) => `“${p.value}” is not a language of the app (en or zh-CN)`,
    'zh-CN': (p) => `“${p.value}” 不是本应用的语言（en 或 zh-CN）`,
  },
  not_a_reminder_time: {
    en: (p) => `must be one of the reminder times (${list(p.reminder_times)})`,
    'zh-CN': (p) => `须为提醒时间之一（${listZh(p.reminder_times)}）`,
  },
  contains_slash: { en: () => 'must not contain “/” (it separates levels)', 'zh-CN': () => '不能包含“/”（用于分隔层级）' },
  cycle: {
    en: () => 'a department cannot move under itself or one of its sub-departments',
    'zh-CN': () => '部门不能移到自身或其下级部门之下',
  },
  too_deep: {
    en: (p) => (p.path ? `the department path “${p.path}” is deeper than ${p.max} levels` : `the tree may be at most ${p.max} levels deep`),
    'zh-CN': (p) => (p.path ? `部门路径“${p.path}”超过 ${p.max} 级` : `部门最多 ${p.max} 级`),
  },
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
  too_long: {
    en: (p) => (p.value !== undefined ? `“${p.value}” is longer than ${p.max} characters` : `must be at most ${p.max} characters`),
    'zh-CN': (p) => (p.value !== undefined ? `“${p.value}” 超过 ${p.max} 个字符` : `最多 ${p.max} 个字符`),
  },
  too_short: { en: (p) => `must be at least ${p.min} characters`, 'zh-CN': (p) => `至少 ${p.min} 个字符` },
  not_a_choice: {
    en: (p) => (p.value !== undefined ? `“${p.value}” is not one of ${list(p.choices)}` : `must be one of ${list(p.choices)}`),
    'zh-CN': (p) => (p.value !== undefined ? `“${p.value}” 不是以下之一：${listZh(p.choices)}` : `须为以下之一：${listZh(p.choices)}`),
  },
  control_characters: {
    en: (p) => `${p.path ? `in the department path “${p.path}”, a name ` : ''}must not contain control characters`,
    'zh-CN': (p) => `${p.path ? `部门路径“${p.path}”中的名称` : ''}不能包含控制字符`,
  },
  bidi_controls: {
    en: (p) => `${p.path ? `in the department path “${p.path}”, a name ` : ''}must not contain bidirectional control characters`,
    'zh-CN': (p) => `${p.path ? `部门路径“${p.path}”中的名称` : ''}不能包含双向文字控制字符`,
  },
  only_invisible_characters: {
    en: (p) => `${p.path ? `in the department path “${p.path}”, a name ` : ''}must have a visible character`,
    'zh-CN': (p) => `${p.path ? `部门路径“${p.path}”中的名称` : ''}须含有可见字符，不能只有不可见字符`,
  },
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
  unknown_department: {
    en: (p) => (p.value !== undefined ? `“${p.value}” is not a department` : 'no such department'),
    'zh-CN': (p) => (p.value !== undefined ? `“${p.value}” 不是部门` : '没有这个部门'),
  },
  invalid_cursor: { en: () => 'the list has changed; reload the page to start again', 'zh-CN': () => '列表已变化，请刷新页面重新开始' },
  invalid_email: {
    en: () => 'must be an e-mail address like name@example.com',
    'zh-CN': () => '须为电子邮件地址，如 name@example.com',
  },
  ip_address_domain: {
    en: () => 'must have a domain name after @, not an IP address',
    'zh-CN': () => '@ 后须为域名，不能是 IP 地址',
  },
  invalid_timezone: {
    en: (p) => `“${p.value}” is not an IANA time zone such as Asia/Shanghai`,
    'zh-CN': (p) => `“${p.value}” 不是 IANA 时区（如 Asia/Shanghai）`,
  },
  role_cannot_manage: {
    en: () => 'only a manager, hr or admin can manage departments',
    'zh-CN': () => '只有经理、人事或管理员可以负责部门',
  },
  manages_departments: {
    en: () => 'this person manages departments; remove them as manager first',
    'zh-CN': () => '此人负责部门，请先取消其部门负责人身份',
  },
  taken: {
    en: (p) => (p.holder ? `“${p.value}” belongs to ${p.holder}` : `“${p.value}” is already in use`),
    'zh-CN': (p) => (p.holder ? `“${p.value}” 已属于 ${p.holder}` : `“${p.value}” 已被使用`),
  },
  before_start: { en: () => 'must not be before the start date', 'zh-CN': () => '不能早于开始日期' },
  common_password: {
    en: () => 'is one of the most common passwords; choose another',
    'zh-CN': () => '这是最常见的密码之一，请换一个',
  },
  too_few_distinct_characters: {
    en: (p) => `needs more variety (at least ${p.min} different characters)`,
    'zh-CN': (p) => `需要更多变化（至少 ${p.min} 个不同字符）`,
  },
  contains_email_name: { en: () => 'must not contain your e-mail name', 'zh-CN': () => '不能包含邮箱的用户名部分' },
  not_utf8: {
    en: (p) => (p.encoding ? `the file looks like ${p.encoding}; save it as UTF-8` : 'the file is not UTF-8 text; save it as UTF-8'),
    'zh-CN': (p) => (p.encoding ? `文件似乎是 ${p.encoding} 编码，请另存为 UTF-8` : '文件不是 UTF-8 文本，请另存为 UTF-8'),
  },
  several_problems: { en: (p) => `${p.count} problems`, 'zh-CN': (p) => `${p.count} 处问题` },
  unreadable: { en: () => 'cannot be read as CSV', 'zh-CN': () => '无法按 CSV 读取' },
  empty_file: {
    en: () => 'the file is empty; the first line must be the header',
    'zh-CN': () => '文件是空的；第一行须为表头',
  },
  unknown_column: {
    en: (p) => `unknown column “${p.column}”; the columns are ${list(p.columns)}`,
    'zh-CN': (p) => `未知的列“${p.column}”；可用的列为 ${listZh(p.columns)}`,
  },
  duplicate_column: { en: (p) => `the column “${p.column}” appears twice`, 'zh-CN': (p) => `列“${p.column}”出现了两次` },
  missing_column: { en: (p) => `the header has no “${p.column}” column`, 'zh-CN': (p) => `表头缺少“${p.column}”列` },
  too_many_lines: { en: (p) => `a file may have at most ${p.max} lines`, 'zh-CN': (p) => `文件最多 ${p.max} 行` },
  wrong_field_count: {
    en: (p) => `has ${p.fields} fields; the header has ${p.expected}`,
    'zh-CN': (p) => `有 ${p.fields} 个字段，表头有 ${p.expected} 个`,
  },
  duplicate_in_file: {
    en: (p) => `“${p.value}” is also on line ${p.line}`,
    'zh-CN': (p) => `“${p.value}” 在第 ${p.line} 行也出现了`,
  },
  empty_part: {
    en: (p) => `the department path “${p.path}” has an empty part`,
    'zh-CN': (p) => `部门路径“${p.path}”有空的层级`,
  },
  before_joining: {
    en: (p) => `is before you joined on ${p.joined}: nothing is owed for it`,
    'zh-CN': (p) => `早于您加入的日期（${p.joined}），无需填报`,
  },
  too_far_back: {
    en: (p) => `is too far back: the organization accepts check-ins up to ${p.late_days} days late`,
    'zh-CN': (p) => `太早了：组织只接受 ${p.late_days} 天内的补报`,
  },
  not_owed: { en: () => 'nothing is owed for this day', 'zh-CN': () => '这一天无需填报' },
  // The form page: each problem names a question by its place and key.
  empty_form: { en: () => 'a form needs at least one question', 'zh-CN': () => '表单至少需要一个问题' },
  not_snake_case: {
    en: () => 'use lower-case letters, digits and underscores, starting with a letter',
    'zh-CN': () => '只能用小写字母、数字和下划线，且以字母开头',
  },
  duplicate_key: { en: () => 'another question has the same key', 'zh-CN': () => '与另一个问题的标识重复' },
  type_changed: {
    en: (p) => `this key was a ${p.was} question in an earlier version; a key keeps its type`,
    'zh-CN': (p) => `此标识在之前的版本中是“${p.was}”类型，标识的类型不能更改`,
  },
  min_above_max: { en: () => 'the smallest answer is above the largest', 'zh-CN': () => '最小值大于最大值' },
  threshold_out_of_range: {
    en: (p) => `the threshold must be between ${p.min} and ${p.max}`,
    'zh-CN': (p) => `阈值须在 ${p.min} 到 ${p.max} 之间`,
  },
  unknown_option: { en: (p) => `“${p.value}” is not an option`, 'zh-CN': (p) => `“${p.value}” 不是选项之一` },
  no_options: { en: () => 'a choice question needs at least one option', 'zh-CN': () => '选择题至少需要一个选项' },
  invalid_option: {
    en: () => 'an option’s value has no spaces, “;” or invisible characters',
    'zh-CN': () => '选项值不能包含空格、“;”或不可见字符',
  },
  reserved_key: {
    en: (p) => `“${p.value}” names a column of the export of its own; choose another key`,
    'zh-CN': (p) => `“${p.value}”是导出表自带的列名，请换一个标识`,
  },
  duplicate_option: { en: (p) => `“${p.value}” is listed twice`, 'zh-CN': (p) => `“${p.value}” 重复了` },
};

/** Failed requests: top-level code → language → sentence. English pages show the server's
 * own sentence, which names the people and departments involved. */
const REQUEST = {
  not_failed: {
    en: () => 'only a reminder that failed can be sent again',
    'zh-CN': () => '只有发送失败的提醒才能重新发送',
  },
  concurrent_update: {
    en: () => 'the check-in was changed at the same moment; please try again',
    'zh-CN': () => '打卡记录刚被同时修改，请重试',
  },
  form_changed: {
    en: () => 'the form was changed meanwhile; load it again and retry',
    'zh-CN': () => '表单刚被他人修改，请重新加载后再试',
  },
  invalid_date: { en: () => 'the date is not valid', 'zh-CN': () => '日期无效' },
  invalid_body: { en: () => 'the request does not fit', 'zh-CN': () => '请求内容不符合要求' },
  malformed_json: { en: () => 'the request is not valid JSON', 'zh-CN': () => '请求不是有效的 JSON' },
  malformed_body: { en: () => 'the request could not be read', 'zh-CN': () => '无法读取请求内容' },
  invalid_path: { en: () => 'the address is not valid', 'zh-CN': () => '地址无效' },
  invalid_query: { en: () => 'the query is not valid', 'zh-CN': () => '查询参数无效' },
  invalid_address: { en: () => 'the address is not valid', 'zh-CN': () => '地址无效' },
  bad_request: { en: () => 'the request is malformed', 'zh-CN': () => '请求格式错误' },
  validation_failed: { en: () => 'some fields are not valid', 'zh-CN': () => '部分字段无效' },
  method_not_allowed: { en: () => 'this action is not allowed here', 'zh-CN': () => '此处不允许该操作' },
  payload_too_large: { en: () => 'the request is too large', 'zh-CN': () => '请求内容过大' },
  unsupported_media_type: { en: () => 'the request is not sent as JSON', 'zh-CN': () => '请求未以 JSON 格式发送' },
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
  mail_purged: {
    en: () => 'this mail’s text was deleted after 30 days; it cannot be sent again',
    'zh-CN': () => '此邮件的内容已在 30 天后删除，无法重新发送',
  },
  too_many_webhooks: {
    en: () => 'an organization keeps at most 20 webhooks',
    'zh-CN': () => '每个组织最多 20 个 Webhook',
  },
  case_already_open: {
    en: () => 'this person has another case that is not cleared; work that one',
    'zh-CN': () => '此人还有一个未关闭的跟进事项，请处理那一个',
  },
  still_active: {
    en: () => 'only a deactivated person can be erased; deactivate them first',
    'zh-CN': () => '只能抹除已停用的人员，请先停用',
  },
  cannot_change_self: {
    en: () => 'you cannot take away your own admin role or deactivate yourself',
    'zh-CN': () => '不能取消自己的管理员角色或停用自己',
  },
  link_expired: { en: () => 'this link has expired; ask for a new one', 'zh-CN': () => '此链接已过期，请重新申请' },
  link_used: { en: () => 'this link was already used; ask for a new one', 'zh-CN': () => '此链接已经用过，请重新申请' },
  link_invalid: { en: () => 'this link is not valid', 'zh-CN': () => '此链接无效' },
  link_superseded: {
    en: () => 'a newer link was sent; use the one in the latest e-mail',
    'zh-CN': () => '已发送了更新的链接，请使用最新邮件中的链接',
  },
  forbidden: { en: () => 'your role does not allow this', 'zh-CN': () => '您没有权限执行此操作' },
  not_found: { en: () => 'not found', 'zh-CN': () => '未找到' },
  unauthorized: { en: () => 'log in first', 'zh-CN': () => '请先登录' },
  rate_limited: { en: () => 'too many requests; please wait a little', 'zh-CN': () => '请求过多，请稍后再试' },
  unavailable: { en: () => 'the service is not ready; please try again shortly', 'zh-CN': () => '服务暂不可用，请稍后重试' },
  busy: { en: () => 'the service is busy; please try again in a moment', 'zh-CN': () => '服务繁忙，请稍后再试' },
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
