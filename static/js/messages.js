// The server's messages are English; the Chinese pages show the common ones in Chinese.
// Each pattern matches a whole message; anything not listed is shown as the server wrote it.

const ZH = [
  [/^is required$/, '必填'],
  [/^must be a number$/, '须为数字'],
  [/^must be text$|^must be a text value$/, '须为文字'],
  [/^must be true or false$/, '须选择是或否'],
  [/^must be between (\S+) and (\S+)$/, '须在 $1 到 $2 之间'],
  [/^must be at most (\d+) characters$/, '最多 $1 个字符'],
  [/^must be at least (\d+) characters$/, '至少 $1 个字符'],
  [/^must be one of (.+)$/, '须为以下之一：$1'],
  [/^must be a list \(empty for none\)$|^must be a list of option names$/, '须为选项列表（没有则留空）'],
  [/^must not contain control characters$/, '不能包含控制字符'],
  [/^must be an e-mail address like name@example\.com$/, '须为电子邮件地址，如 name@example.com'],
  [/^is one of the most common passwords; choose another$/, '这是最常见的密码之一，请换一个'],
  [/^needs more variety \(at least (\d+) different characters\)$/, '需要更多变化（至少 $1 个不同字符）'],
  [/^must not contain your e-mail name$/, '不能包含邮箱的用户名部分'],
  [/^is in the future$/, '不能是将来的日期'],
  [/^must be a date as YYYY-MM-DD$/, '须为日期，格式 YYYY-MM-DD'],
  [/^must not be before `from`$/, '不能早于开始日期'],
  [/^must not be after `to`$/, '不能晚于结束日期'],
  [/^is too far back: the organization accepts check-ins up to (\d+) days late$/, '太早了：组织只接受 $1 天内的补报'],
  [/^`(.+)` is not an IANA time zone such as Asia\/Shanghai$/, '“$1” 不是 IANA 时区（如 Asia/Shanghai）'],
  [/^`(.+)` is not a time as HH:MM$/, '“$1” 不是 HH:MM 格式的时间'],
  [/^must be between (\d+) and (\d+)$/, '须在 $1 到 $2 之间'],
  [/^must be weekday numbers from 1 \(Monday\) to 7 \(Sunday\)$/, '须为 1（周一）到 7（周日）的数字'],
  [/^must name at least one working day$/, '至少选择一个工作日'],
  [/^`(.+)` is not a date as YYYY-MM-DD$/, '“$1” 不是 YYYY-MM-DD 格式的日期'],
  [/^must be a list of dates as YYYY-MM-DD$/, '须为日期列表，格式 YYYY-MM-DD'],
  [/^must be a list of times as HH:MM$/, '须为时间列表，格式 HH:MM'],
  [/^must be a time as HH:MM, or null$/, '须为 HH:MM 格式的时间，或留空'],
  [/^at most (\d+) reminder times$/, '最多 $1 个提醒时间'],
  [/^at most (\d+) holidays$/, '最多 $1 个节假日'],
  [/^the e-mail or employee number is already in use$/, '邮箱或工号已被使用'],
  [/^only a manager, hr or admin can manage departments$/, '只有经理、人事或管理员可以负责部门'],
  [/^(.+) has the staff role; make them a manager first$/, '$1 是普通员工角色，请先设为经理'],
  [/^a department cannot move under itself or one of its sub-departments$/, '部门不能移到自身或其下级部门之下'],
  [/^no such department$/, '没有这个部门'],
  [/^this link was already used; ask for a new one$/, '此链接已经用过，请重新申请'],
  [/^this link has expired; ask for a new one$/, '此链接已过期，请重新申请'],
  [/^this link is not valid$/, '此链接无效'],
  [/^the check-in was changed at the same moment; please try again$/, '打卡记录刚被同时修改，请重试'],
];

const TABLES = { 'zh-CN': ZH };

/** A message from the server in `lang`, when it is one of the known ones. */
export function translateServerMessage(message, lang) {
  for (const [pattern, text] of TABLES[lang] || []) {
    if (pattern.test(message)) return message.replace(pattern, text);
  }
  return message;
}
