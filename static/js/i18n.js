// Two dictionaries, chosen from the browser and switchable; dates in the person's zone.

import { problemText as problemIn, requestText } from './messages.js';

const en = {
  app_name: 'Health Check-in',
  skip: 'Skip to content',
  switch_lang: '中文',
  switch_lang_label: 'Switch language to Chinese',
  nav_checkin: 'Today',
  nav_history: 'History',
  nav_dashboard: 'Dashboard',
  nav_people: 'People',
  nav_import: 'Import',
  nav_departments: 'Departments',
  nav_settings: 'Settings',
  logout: 'Log out',
  loading: 'Loading…',
  // login and passwords
  login_title: 'Log in',
  email: 'Email',
  password: 'Password',
  password_again: 'Password again',
  login: 'Log in',
  forgot: 'Forgot password?',
  forgot_title: 'Reset your password',
  forgot_help: 'Enter your email and we will send you a link to set a new password.',
  forgot_send: 'Send the link',
  forgot_sent: 'If this address belongs to an account, an email with a link is on its way.',
  back_to_login: 'Back to log in',
  set_password_title: 'Choose a password',
  set_password_save: 'Save password',
  set_password_no_token: 'This link has no token. Open the link from your email again.',
  passwords_differ: 'The two passwords are not the same',
  // check-in
  checkin_title: 'Today’s check-in',
  checkin_title_day: 'Check-in for {date}',
  done_today: 'Done for today',
  done_day: 'Done for {date}',
  submitted_at: 'Submitted at {time}',
  revision: 'revision {n}',
  abnormal: 'Abnormal',
  normal: 'Normal',
  correct: 'Correct it',
  cancel: 'Cancel',
  nothing_changed: 'Nothing changed — submit',
  quick_same_as: 'Same as {date}',
  quick_help: 'Sends what you typed above with these answers. Anything else changed? Change it below and submit.',
  quick_help_all: 'Sends these answers again. Anything changed? Change it below and submit.',
  quick_changed: 'You changed an answer from {date}: check the whole form and submit it below.',
  none: 'None',
  submit: 'Submit',
  submit_correction: 'Save correction',
  reason: 'Reason for the correction',
  reason_help: 'Required when you correct an earlier day.',
  saved: 'Saved. Thank you!',
  not_expected: 'You are not expected to report this day ({why}). You may still fill it in.',
  exempt_on_leave: 'on leave',
  exempt_holiday: 'holiday',
  exempt_non_working_day: 'not a working day',
  exempt_not_yet_joined: 'before you joined',
  exempt_inactive: 'account inactive',
  late_days: 'Missed days you can still fill in',
  fill_in: 'Fill in',
  yes: 'Yes',
  no: 'No',
  none_checked: 'Leave all unchecked if you have none.',
  your_answers: 'Your answers',
  earlier_answers: 'Earlier answers',
  rule: 'abnormal {rule}',
  rule_at_or_above: 'at or above {n}',
  rule_at_or_below: 'at or below {n}',
  rule_or: ' or ',
  rule_choice: 'when {options}',
  rule_any: 'when any is ticked',
  rule_yes: 'when yes',
  // history
  history_title: 'Your last 30 days',
  history_empty: 'No check-ins in the last 30 days.',
  not_reported: 'Not reported',
  date: 'Date',
  status: 'Status',
  temperature: 'Temperature',
  // dashboard
  dashboard_title: 'Dashboard',
  expected: 'Expected',
  reported: 'Reported',
  unreported: 'Unreported',
  exempt: 'Exempt',
  all_departments: 'All departments',
  department: 'Department',
  departments_table: 'By department',
  drill_hint: 'Choose a department to see its numbers.',
  trend_chart: 'Last 14 days',
  daily_chart: 'Today by department',
  chart_failed: 'The chart could not be loaded.',
  unreported_list: 'Not reported yet',
  abnormal_list: 'Abnormal reports',
  nobody: 'Nobody.',
  reported_unexpected: 'Reported, not expected',
  nobody_expected_note: 'Nobody was expected to report on this day (a rest day or a holiday). Reports that came in anyway are counted under “Reported, not expected”.',
  remind_now: 'Remind them now',
  reminded: 'Reminders queued: {n}.',
  remind_too_soon: 'Reminders were sent a moment ago. Please wait before sending again.',
  exports: 'Export check-ins',
  from: 'From',
  to: 'To',
  export_csv: 'Download CSV',
  export_xlsx: 'Download Excel',
  refresh: 'Refresh',
  more_people: 'and {n} more',
  // people
  people_title: 'People',
  search: 'Search by name, email or number',
  search_button: 'Search',
  show_inactive: 'Include deactivated',
  add_person: 'Add a person',
  name: 'Name',
  employee_no: 'Employee number',
  role: 'Role',
  role_staff: 'Staff',
  role_manager: 'Manager',
  role_hr: 'HR',
  role_admin: 'Admin',
  no_department: '— none —',
  send_invite: 'Email an invitation',
  save: 'Save',
  add: 'Add',
  edit: 'Edit',
  deactivate: 'Deactivate',
  deactivate_confirm: 'Deactivate {name}? Their history stays.',
  reactivate: 'Reactivate',
  inactive: 'deactivated',
  leave: 'Leave',
  leave_kind: 'Kind',
  leave_annual: 'Annual',
  leave_sick: 'Sick',
  leave_personal: 'Personal',
  leave_parental: 'Parental',
  leave_other: 'Other',
  note: 'Note',
  remove: 'Remove',
  no_leave: 'No leave recorded.',
  people_count: '{n} people',
  previous_page: 'Previous',
  next_page: 'Next',
  // import
  import_title: 'Import people from CSV',
  import_help: 'Columns: email,name,employee_no,department,role,manager_of. Departments are paths like Sales/East and are created when missing. First a preview; nothing is written until you import.',
  csv_file: 'CSV file',
  csv_text: 'Or paste the CSV',
  preview: 'Preview',
  do_import: 'Import',
  preview_result: 'Preview: {created} to create, {updated} to update, {unchanged} unchanged, {departments} new departments.',
  import_result: 'Imported: {created} created, {updated} updated, {unchanged} unchanged, {departments} new departments.',
  import_errors: 'Bad lines — nothing was imported:',
  line: 'Line {n}',
  // departments
  departments_title: 'Departments',
  parent: 'Parent',
  top_level: '— top level —',
  managers: 'Managers',
  members: 'members: {n}',
  managed_by: 'managed by {names}',
  managers_help: 'Only people with the manager, HR or admin role can manage a department.',
  delete: 'Delete',
  delete_confirm: 'Delete {name}?',
  add_department: 'Add a department',
  // settings
  settings_title: 'Organization settings',
  org_name: 'Organization name',
  timezone: 'Time zone',
  working_days: 'Working days',
  holidays: 'Holidays (one date per line, YYYY-MM-DD)',
  reminder_times: 'Reminder times (HH:MM, comma separated)',
  late_days_setting: 'Days a missed check-in can be filled in late',
  language: 'Language of mails and pages',
  org_default: 'As the organization',
  manages: 'Manages these departments',
  manages_help: 'Needs the manager, HR or admin role. Managers see their departments and everything below them.',
  saved_settings: 'Settings saved.',
  weekdays: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
  // errors
  error_network: 'The server cannot be reached. Check your connection and try again.',
  error_generic: 'Something went wrong ({status}).',
  error_forbidden: 'You are not allowed to do this.',
  error_not_found: 'Not found.',
  error_rate: 'Too many attempts. Please wait a little and try again.',
  error_login: 'The email or password is wrong.',
  error_fields: 'Please correct the highlighted fields.',
  required: 'is required',
  not_found_page: 'This page does not exist.',
};

const zh = {
  app_name: '每日健康打卡',
  skip: '跳到正文',
  switch_lang: 'English',
  switch_lang_label: '切换为英文',
  nav_checkin: '今日打卡',
  nav_history: '历史',
  nav_dashboard: '统计看板',
  nav_people: '人员',
  nav_import: '导入',
  nav_departments: '部门',
  nav_settings: '设置',
  logout: '退出登录',
  loading: '加载中…',
  login_title: '登录',
  email: '邮箱',
  password: '密码',
  password_again: '再次输入密码',
  login: '登录',
  forgot: '忘记密码？',
  forgot_title: '重置密码',
  forgot_help: '输入您的邮箱，我们会发送设置新密码的链接。',
  forgot_send: '发送链接',
  forgot_sent: '如果该邮箱对应一个账号，带链接的邮件已在路上。',
  back_to_login: '返回登录',
  set_password_title: '设置密码',
  set_password_save: '保存密码',
  set_password_no_token: '链接中没有令牌，请重新打开邮件中的链接。',
  passwords_differ: '两次输入的密码不一致',
  checkin_title: '今日打卡',
  checkin_title_day: '{date} 的打卡',
  done_today: '今日已打卡',
  done_day: '{date} 已打卡',
  submitted_at: '提交于 {time}',
  revision: '第 {n} 版',
  abnormal: '异常',
  normal: '正常',
  correct: '更正',
  cancel: '取消',
  nothing_changed: '无变化 — 一键提交',
  quick_same_as: '与 {date} 相同',
  quick_help: '提交上方填写的内容和以上回答。其他情况有变化？请在下方修改后提交。',
  quick_help_all: '再次提交以上回答。有变化？请在下方修改后提交。',
  quick_changed: '您修改了 {date} 的回答：请核对整张表单，并在下方提交。',
  none: '无',
  submit: '提交',
  submit_correction: '保存更正',
  reason: '更正原因',
  reason_help: '更正以前的日期时必须填写。',
  saved: '已保存，谢谢！',
  not_expected: '这一天您无需打卡（{why}），但仍可填写。',
  exempt_on_leave: '休假',
  exempt_holiday: '节假日',
  exempt_non_working_day: '非工作日',
  exempt_not_yet_joined: '入职之前',
  exempt_inactive: '账号停用',
  late_days: '可以补报的日期',
  fill_in: '补报',
  yes: '是',
  no: '否',
  none_checked: '如都没有，请全部不选。',
  your_answers: '您的回答',
  earlier_answers: '之前的回答',
  rule: '异常：{rule}',
  rule_at_or_above: '大于等于 {n}',
  rule_at_or_below: '小于等于 {n}',
  rule_or: '或',
  rule_choice: '选择 {options}',
  rule_any: '勾选任一项',
  rule_yes: '回答“是”',
  history_title: '最近 30 天',
  history_empty: '最近 30 天没有打卡记录。',
  not_reported: '未打卡',
  date: '日期',
  status: '状态',
  temperature: '体温',
  dashboard_title: '统计看板',
  expected: '应报',
  reported: '已报',
  unreported: '未报',
  exempt: '免报',
  all_departments: '全部部门',
  department: '部门',
  departments_table: '各部门',
  drill_hint: '选择部门查看其数据。',
  trend_chart: '最近 14 天',
  daily_chart: '今日各部门',
  chart_failed: '图表加载失败。',
  unreported_list: '尚未打卡',
  abnormal_list: '异常上报',
  nobody: '无。',
  reported_unexpected: '非应报已报',
  nobody_expected_note: '这一天无人需要上报（休息日或节假日）。仍然提交的上报计入“非应报已报”。',
  remind_now: '立即提醒',
  reminded: '已排队 {n} 条提醒。',
  remind_too_soon: '刚刚已发送过提醒，请稍后再试。',
  exports: '导出打卡记录',
  from: '开始',
  to: '结束',
  export_csv: '下载 CSV',
  export_xlsx: '下载 Excel',
  refresh: '刷新',
  more_people: '另有 {n} 人',
  people_title: '人员',
  search: '按姓名、邮箱或工号搜索',
  search_button: '搜索',
  show_inactive: '包括已停用',
  add_person: '添加人员',
  name: '姓名',
  employee_no: '工号',
  role: '角色',
  role_staff: '员工',
  role_manager: '经理',
  role_hr: '人事',
  role_admin: '管理员',
  no_department: '— 无 —',
  send_invite: '发送邀请邮件',
  save: '保存',
  add: '添加',
  edit: '编辑',
  deactivate: '停用',
  deactivate_confirm: '停用 {name}？其历史记录会保留。',
  reactivate: '重新启用',
  inactive: '已停用',
  leave: '请假',
  leave_kind: '类型',
  leave_annual: '年假',
  leave_sick: '病假',
  leave_personal: '事假',
  leave_parental: '育儿假',
  leave_other: '其他',
  note: '备注',
  remove: '删除',
  no_leave: '没有请假记录。',
  people_count: '共 {n} 人',
  previous_page: '上一页',
  next_page: '下一页',
  import_title: '从 CSV 导入人员',
  import_help: '列：email,name,employee_no,department,role,manager_of。部门写作路径，如 Sales/East，不存在时自动创建。先预览，导入前不会写入任何数据。',
  csv_file: 'CSV 文件',
  csv_text: '或粘贴 CSV 内容',
  preview: '预览',
  do_import: '导入',
  preview_result: '预览：新建 {created} 人，更新 {updated} 人，{unchanged} 人不变，新建部门 {departments} 个。',
  import_result: '已导入：新建 {created} 人，更新 {updated} 人，{unchanged} 人不变，新建部门 {departments} 个。',
  import_errors: '以下行有错误，未导入任何数据：',
  line: '第 {n} 行',
  departments_title: '部门',
  parent: '上级部门',
  top_level: '— 顶级 —',
  managers: '负责人',
  members: '{n} 人',
  managed_by: '负责人：{names}',
  managers_help: '只有经理、人事或管理员角色的人员可以负责部门。',
  delete: '删除',
  delete_confirm: '删除 {name}？',
  add_department: '添加部门',
  settings_title: '组织设置',
  org_name: '组织名称',
  timezone: '时区',
  working_days: '工作日',
  holidays: '节假日（每行一个日期，YYYY-MM-DD）',
  reminder_times: '提醒时间（HH:MM，用逗号分隔）',
  late_days_setting: '允许补报的天数',
  language: '邮件和页面的语言',
  org_default: '与组织相同',
  manages: '负责的部门',
  manages_help: '需要经理、人事或管理员角色。负责人可以查看所负责部门及其下级部门。',
  saved_settings: '设置已保存。',
  weekdays: ['周一', '周二', '周三', '周四', '周五', '周六', '周日'],
  error_network: '无法连接服务器，请检查网络后重试。',
  error_generic: '出错了（{status}）。',
  error_forbidden: '您没有权限执行此操作。',
  error_not_found: '未找到。',
  error_rate: '尝试次数过多，请稍后再试。',
  error_login: '邮箱或密码错误。',
  error_fields: '请修改标出的字段。',
  required: '为必填项',
  not_found_page: '页面不存在。',
};

const dictionaries = { en, 'zh-CN': zh };
const LANG_KEY = 'hc.lang';

function fromBrowser() {
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  for (const lang of langs) {
    if (/^zh/i.test(lang)) return 'zh-CN';
    if (/^en/i.test(lang)) return 'en';
  }
  return 'en';
}

let current = localStorage.getItem(LANG_KEY) || fromBrowser();
if (!dictionaries[current]) current = 'en';

export function lang() {
  return current;
}

export function setLang(value) {
  current = dictionaries[value] ? value : 'en';
  localStorage.setItem(LANG_KEY, current);
  document.documentElement.lang = current;
}

export function t(key, params = {}) {
  const dict = dictionaries[current];
  let text = key in dict ? dict[key] : key in en ? en[key] : key;
  if (typeof text !== 'string') return text;
  for (const [name, value] of Object.entries(params)) text = text.replaceAll(`{${name}}`, value);
  return text;
}

/** A label object from the API ({en, "zh-CN"}) in the current language. */
export function label(obj) {
  if (!obj) return '';
  if (typeof obj === 'string') return obj;
  return obj[current] || obj.en || Object.values(obj)[0] || '';
}

let zone;
export function setZone(value) {
  zone = value || undefined;
}

/** YYYY-MM-DD shown as a local date. */
export function formatDate(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d, 12));
  return new Intl.DateTimeFormat(current, { timeZone: 'UTC', year: 'numeric', month: 'short', day: 'numeric', weekday: 'short' }).format(date);
}

/** An instant shown in the person's zone. */
export function formatTime(iso) {
  return new Intl.DateTimeFormat(current, { timeZone: zone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** Today's date (YYYY-MM-DD) in the person's zone. */
export function todayIso() {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date());
  const get = (type) => parts.find((p) => p.type === type).value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

export function addDays(iso, days) {
  const [y, m, d] = iso.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d + days));
  return date.toISOString().slice(0, 10);
}

/** A field problem from the server ({code, params, message}) in the current language. */
export function problemText(problem) {
  return problemIn(problem, current);
}

/** The field problems of an error that have no field on the page, as "field: problem" lines. */
export function problemLines(error, placed = () => false) {
  return Object.entries((error && error.problems) || {})
    .filter(([field]) => !placed(field))
    .map(([field, problem]) => `${field}: ${problemText(problem)}`);
}

/** An ApiError as a sentence in the current language. */
export function errorText(error) {
  if (!error) return '';
  if (error.status === 0) return t('error_network');
  if (error.status === 403 && !error.message) return t('error_forbidden');
  if (error.status === 429) return t('error_rate');
  if (error.status === 422 && Object.keys(error.problems || {}).length) return t('error_fields');
  return error.message ? requestText(error.code, error.message, current) : t('error_generic', { status: error.status });
}
