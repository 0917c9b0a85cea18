//! Chat robots and other receivers of an organization's events: what a message says, how
//! each platform wants it (DingTalk, WeCom, Feishu, Slack, or generic JSON) and how it is
//! signed. Messages are queued in the outbox with the event that caused them and sent by the
//! delivery job, with its retries. They name people and departments and link to the app;
//! they never carry an answer.

pub mod http;

use base64::Engine;
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;
use url::Url;

use crate::db::organizations::OrganizationRow;
use crate::db::outbox::{self, NewOutboxRow, Queued};
use crate::db::webhooks::{self, WebhookRow, WEBHOOK};
use crate::db::{new_id, DbConn};
use crate::email::SendError;

pub const FORMATS: [&str; 5] = ["generic", "dingtalk", "wecom", "feishu", "slack"];
pub const EVENTS: [&str; 3] = ["checkin.abnormal", "day.summary", "reminder.digest"];

/// What a message says, whatever the platform.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub event: String,
    pub title: String,
    pub lines: Vec<String>,
    pub link: String,
    pub link_label: String,
    pub organization: String,
    pub at: DateTime<Utc>,
}

/// The phrases of the messages, in the organization's language.
pub struct Phrases {
    pub abnormal_title: &'static str,
    pub abnormal_line: &'static str,
    pub open_case: &'static str,
    pub summary_title: &'static str,
    pub summary_total: &'static str,
    pub more: &'static str,
    pub open_dashboard: &'static str,
    pub reminder_title: &'static str,
    pub reminder_staff: &'static str,
    pub reminder_managers: &'static str,
    pub no_department: &'static str,
}

pub fn phrases(locale: &str) -> Phrases {
    if locale.starts_with("zh") {
        Phrases {
            abnormal_title: "健康打卡异常",
            abnormal_line:
                "{department} 的 {person} 在 {date} 的健康打卡中报告了异常，已建立跟进事项。",
            open_case: "打开跟进事项",
            summary_title: "{date} 上报情况",
            summary_total: "全组织：{reported}/{expected} 已上报（{rate}）",
            more: "……另有 {n} 个部门",
            open_dashboard: "打开统计看板",
            reminder_title: "{date} {pass} 提醒",
            reminder_staff: "已提醒 {n} 位尚未上报的人员。",
            reminder_managers: "已向 {n} 位主管发送未上报名单。",
            no_department: "未分配部门",
        }
    } else {
        Phrases {
            abnormal_title: "Abnormal health check-in",
            abnormal_line:
                "{person} of {department} reported an abnormal check-in for {date}; a case is open.",
            open_case: "Open the case",
            summary_title: "Reporting on {date}",
            summary_total: "Whole organization: {reported}/{expected} reported ({rate})",
            more: "…and {n} more departments",
            open_dashboard: "Open the dashboard",
            reminder_title: "Reminders of {date}, {pass}",
            reminder_staff: "{n} people who had not reported were reminded.",
            reminder_managers: "{n} managers got the list of who has not reported.",
            no_department: "no department",
        }
    }
}

/// `template` with each `{name}` replaced.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| {
            text.replace(&format!("{{{name}}}"), value)
        })
}

/// Queues `message` for every webhook of the organization that receives its event, once per
/// `occasion` (the dedupe key's tail: the same occasion never queues twice). Runs inside the
/// caller's transaction. Returns how many were queued.
pub fn queue(
    conn: &mut DbConn,
    org: &OrganizationRow,
    message: &Message,
    occasion: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<usize> {
    let hooks: Vec<WebhookRow> = webhooks::of_org(conn, &org.id)?
        .into_iter()
        .filter(|w| w.receives(&message.event))
        .collect();
    if hooks.is_empty() {
        return Ok(0);
    }
    let body = serde_json::to_string(message)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let mut queued = 0;
    for hook in hooks {
        let row = NewOutboxRow {
            id: new_id(),
            org_id: &org.id,
            user_id: None,
            kind: WEBHOOK,
            dedupe_key: format!("{WEBHOOK}:{}:{}:{occasion}", hook.id, message.event),
            to_email: &hook.id,
            locale: "",
            subject: &message.event,
            body_text: &body,
            body_html: "",
            delivery: Queued::at(now),
            day: None,
            body_id: None,
            vars: None,
        };
        if outbox::insert_unless_duplicate(conn, &row)? {
            queued += 1;
        }
    }
    Ok(queued)
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// DingTalk's signature: base64 of HMAC-SHA256 over `timestamp\nsecret`, keyed by the secret.
pub fn dingtalk_sign(timestamp_ms: i64, secret: &str) -> String {
    base64(&hmac(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    ))
}

/// Feishu's signature: base64 of HMAC-SHA256 keyed by `timestamp\nsecret`, over nothing.
pub fn feishu_sign(timestamp_secs: i64, secret: &str) -> String {
    base64(&hmac(format!("{timestamp_secs}\n{secret}").as_bytes(), b""))
}

/// The generic format's `X-Signature`: `sha256=` and the hex HMAC of the body.
pub fn generic_signature(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(hmac(secret.as_bytes(), body)))
}

/// A request ready to send: where, with which headers, what.
pub struct Prepared {
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

fn markdown(m: &Message, heading: &str) -> String {
    let mut text = format!("{heading} {}\n\n", m.title);
    for line in &m.lines {
        text.push_str(line);
        text.push_str("\n\n");
    }
    text.push_str(&format!("[{}]({})", m.link_label, m.link));
    text
}

fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The request for `hook`, signed as its platform wants, at `now`.
pub fn prepare(hook: &WebhookRow, m: &Message, now: DateTime<Utc>) -> Result<Prepared, String> {
    let mut url = Url::parse(&hook.url).map_err(|e| format!("the address does not parse: {e}"))?;
    let secret = hook.secret.as_deref().filter(|s| !s.is_empty());
    let mut headers = Vec::new();
    let body: Value = match hook.format.as_str() {
        "dingtalk" => {
            if let Some(secret) = secret {
                let timestamp = now.timestamp_millis();
                url.query_pairs_mut()
                    .append_pair("timestamp", &timestamp.to_string())
                    .append_pair("sign", &dingtalk_sign(timestamp, secret));
            }
            json!({"msgtype": "markdown", "markdown": {"title": m.title, "text": markdown(m, "###")}})
        }
        "wecom" => json!({"msgtype": "markdown", "markdown": {"content": markdown(m, "###")}}),
        "feishu" => {
            let mut text = m.title.clone();
            for line in &m.lines {
                text.push('\n');
                text.push_str(line);
            }
            text.push_str(&format!("\n{}: {}", m.link_label, m.link));
            let mut body = json!({"msg_type": "text", "content": {"text": text}});
            if let Some(secret) = secret {
                let timestamp = now.timestamp();
                body["timestamp"] = json!(timestamp.to_string());
                body["sign"] = json!(feishu_sign(timestamp, secret));
            }
            body
        }
        "slack" => {
            let mut text = format!("*{}*", slack_escape(&m.title));
            for line in &m.lines {
                text.push('\n');
                text.push_str(&slack_escape(line));
            }
            text.push_str(&format!("\n<{}|{}>", m.link, slack_escape(&m.link_label)));
            json!({"text": text})
        }
        _ => json!({
            "event": m.event,
            "title": m.title,
            "lines": m.lines,
            "link": m.link,
            "organization": m.organization,
            "at": m.at,
        }),
    };
    let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
    if hook.format == "generic" {
        if let Some(secret) = secret {
            headers.push(("X-Signature".to_string(), generic_signature(secret, &body)));
        }
        headers.push(("X-Event".to_string(), m.event.clone()));
    }
    Ok(Prepared { url, headers, body })
}

/// Whether an answer means delivered: a 2xx, and for the chat platforms, whose JSON carries
/// no error code (DingTalk and WeCom answer `errcode`, Feishu `code`, with status 200).
fn judge(format: &str, answer: &http::Answer) -> Result<(), SendError> {
    let said = || answer.body.chars().take(300).collect::<String>();
    match answer.status {
        200..=299 => {
            let parsed: Option<Value> = serde_json::from_str(&answer.body).ok();
            let key = match format {
                "dingtalk" | "wecom" => "errcode",
                "feishu" => "code",
                _ => return Ok(()),
            };
            let code = parsed
                .as_ref()
                .and_then(|v| v.get(key))
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if code == 0 {
                Ok(())
            } else {
                Err(SendError::Transient(format!(
                    "the robot answered {}",
                    said()
                )))
            }
        }
        408 | 429 | 500..=599 => Err(SendError::Transient(format!(
            "HTTP {}: {}",
            answer.status,
            said()
        ))),
        _ => Err(SendError::Permanent(format!(
            "HTTP {}: {}",
            answer.status,
            said()
        ))),
    }
}

/// Sends one queued message (the outbox row's body) to its webhook.
pub async fn send(hook: &WebhookRow, stored: &str, now: DateTime<Utc>) -> Result<(), SendError> {
    let message: Message = serde_json::from_str(stored)
        .map_err(|e| SendError::Permanent(format!("the message does not parse: {e}")))?;
    let prepared = prepare(hook, &message, now).map_err(SendError::Permanent)?;
    let answer = http::post(&prepared.url, &prepared.headers, &prepared.body)
        .await
        .map_err(SendError::Transient)?;
    judge(&hook.format, &answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_follow_each_platform() {
        // HMAC-SHA256 of RFC 4231's second case, to know the primitive is right.
        assert_eq!(
            hex::encode(hmac(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            dingtalk_sign(1_580_000_000_000, "SEC"),
            base64(&hmac(b"SEC", b"1580000000000\nSEC"))
        );
        assert_eq!(
            feishu_sign(1_580_000_000, "SEC"),
            base64(&hmac(b"1580000000\nSEC", b""))
        );
        assert!(generic_signature("s", b"{}").starts_with("sha256="));
    }

    #[test]
    fn a_chat_answer_with_an_error_code_is_not_delivered() {
        let answer = |status, body: &str| http::Answer {
            status,
            body: body.to_string(),
        };
        assert!(judge("dingtalk", &answer(200, r#"{"errcode":0,"errmsg":"ok"}"#)).is_ok());
        assert!(judge("dingtalk", &answer(200, "ok")).is_ok());
        let mismatch = r#"{"errcode":310000,"errmsg":"sign not match"}"#;
        assert!(matches!(
            judge("dingtalk", &answer(200, mismatch)),
            Err(SendError::Transient(_))
        ));
        let feishu = r#"{"code":19021,"msg":"sign match fail"}"#;
        assert!(matches!(
            judge("feishu", &answer(200, feishu)),
            Err(SendError::Transient(_))
        ));
        // A generic receiver's own fields mean nothing here.
        assert!(judge("generic", &answer(200, r#"{"code":200}"#)).is_ok());
        assert!(matches!(
            judge("wecom", &answer(404, "no")),
            Err(SendError::Permanent(_))
        ));
        assert!(matches!(
            judge("slack", &answer(503, "busy")),
            Err(SendError::Transient(_))
        ));
    }
}
