//! Chat-robot webhooks: each format as its platform reads it, signed as it checks, with no
//! answers in it; deliveries through the outbox, the last one visible; the day's events.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{healthy_answers, spawn_app};

/// One request as the receiver got it.
#[derive(Clone, Debug)]
pub struct Received {
    path: String,
    query: BTreeMap<String, String>,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// An HTTP server in the test process that keeps every request and answers 200 with
/// `{"errcode":0}`.
pub struct Receiver {
    pub port: u16,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let kept = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut raw = Vec::new();
                let mut buf = [0u8; 8192];
                let request = loop {
                    let Ok(n) = stream.read(&mut buf) else {
                        break None;
                    };
                    if n == 0 {
                        break None;
                    }
                    raw.extend_from_slice(&buf[..n]);
                    if let Some(parsed) = parse(&raw) {
                        break Some(parsed);
                    }
                };
                if let Some(request) = request {
                    kept.lock().unwrap().push(request);
                }
                let body = br#"{"errcode":0,"errmsg":"ok"}"#;
                let _ = stream.write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                    .as_bytes(),
                );
                let _ = stream.write_all(body);
            }
        });
        Self { port, got }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn one(&self, path: &str) -> Received {
        let all: Vec<Received> = self
            .received()
            .into_iter()
            .filter(|r| r.path == path)
            .collect();
        assert_eq!(all.len(), 1, "one request to {path}: {all:?}");
        all[0].clone()
    }
}

/// A whole request: head and `Content-Length` bytes of body.
fn parse(raw: &[u8]) -> Option<Received> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let mut lines = head.lines();
    let target = lines.next()?.split_whitespace().nth(1)?.to_string();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers.get("content-length")?.parse().ok()?;
    let body = raw.get(end + 4..end + 4 + length)?.to_vec();
    let url = url::Url::parse(&format!("http://x{target}")).ok()?;
    Some(Received {
        path: url.path().to_string(),
        query: url.query_pairs().into_owned().collect(),
        headers,
        body,
    })
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn every_format_reaches_its_robot_signed_and_without_answers() {
    let app = spawn_app().await;
    let receiver = Receiver::start();
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let staff = app.add_person(&admin.org_id, "staff", None).await;
    let staff_token = app.token_for(&staff).await;
    let url = |format: &str| {
        format!(
            "http://127.0.0.1:{}/{format}?access_token=tok-{format}",
            receiver.port
        )
    };

    // Bad input is named, staff may not, and there are five formats.
    for (body, field, code) in [
        (
            json!({"url": url("x"), "format": "teams", "events": ["checkin.abnormal"]}),
            "format",
            "not_a_choice",
        ),
        (
            json!({"url": "ftp://example.test/x", "format": "generic", "events": ["checkin.abnormal"]}),
            "url",
            "invalid_url",
        ),
        (
            json!({"url": url("x"), "format": "generic", "events": []}),
            "events",
            "required",
        ),
        (
            json!({"url": url("x"), "format": "generic", "events": ["checkin.normal"]}),
            "events",
            "not_a_choice",
        ),
    ] {
        let r = app.post_as("/api/v1/webhooks", &admin_token, &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.problem(field).map(|(c, _)| c), Some(code), "{:?}", r.body);
    }
    let r = app
        .post_as(
            "/api/v1/webhooks",
            &staff_token,
            &json!({"url": url("generic"), "format": "generic", "events": ["checkin.abnormal"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for format in ["generic", "dingtalk", "wecom", "feishu", "slack"] {
        let mut body =
            json!({"url": url(format), "format": format, "events": ["checkin.abnormal"]});
        if ["generic", "dingtalk", "feishu"].contains(&format) {
            body["secret"] = json!(format!("SEC-{format}"));
        }
        let r = app.post_as("/api/v1/webhooks", &admin_token, &body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{format}: {:?}", r.body);
        assert_eq!(r.body["signed"], body.get("secret").is_some());
        assert!(r.body.get("secret").is_none(), "the secret is not shown");
    }

    // A healthy check-in tells nobody; an abnormal one tells every robot once.
    let r = app
        .put(
            "/api/v1/checkins/today",
            &staff_token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    app.deliver_all().await;
    assert!(receiver.received().is_empty());
    let mut fever = healthy_answers();
    fever["temperature"] = json!(38.6);
    fever["note"] = json!("coughing since Sunday");
    let r = app
        .put(
            "/api/v1/checkins/today",
            &staff_token,
            &json!({"answers": fever}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let delivered = app.deliver_all().await;
    assert!(delivered.sent >= 5, "{delivered:?}");
    let name = app.get("/api/v1/me", &staff_token).await.body["name"]
        .as_str()
        .unwrap()
        .to_string();
    for r in receiver.received() {
        let text = String::from_utf8_lossy(&r.body).to_string();
        assert!(text.contains(&name), "{}: {text}", r.path);
        assert!(
            !text.contains("38.6") && !text.contains("coughing"),
            "no answers reach a chat group: {text}"
        );
        assert_eq!(r.headers["content-type"], "application/json; charset=utf-8");
    }

    let dingtalk = receiver.one("/dingtalk");
    assert_eq!(dingtalk.query["access_token"], "tok-dingtalk");
    let timestamp: i64 = dingtalk.query["timestamp"].parse().unwrap();
    assert_eq!(
        dingtalk.query["sign"],
        b64(&hmac(
            b"SEC-dingtalk",
            format!("{timestamp}\nSEC-dingtalk").as_bytes()
        )),
        "DingTalk's signature (the query is decoded here)"
    );
    assert_eq!(timestamp, app.clock_now().timestamp_millis());
    let body = dingtalk.json();
    assert_eq!(body["msgtype"], "markdown");
    assert!(body["markdown"]["text"]
        .as_str()
        .unwrap()
        .contains("#/cases?id="));

    let wecom = receiver.one("/wecom").json();
    assert_eq!(wecom["msgtype"], "markdown");
    assert!(wecom["markdown"]["content"]
        .as_str()
        .unwrap()
        .contains(&name));

    let feishu = receiver.one("/feishu").json();
    let ts = feishu["timestamp"].as_str().unwrap();
    assert_eq!(
        feishu["sign"],
        b64(&hmac(format!("{ts}\nSEC-feishu").as_bytes(), b"")),
        "Feishu's signature"
    );
    assert_eq!(feishu["msg_type"], "text");

    let slack = receiver.one("/slack").json();
    assert!(slack["text"]
        .as_str()
        .unwrap()
        .contains("<http://127.0.0.1:8080/#/cases?id="));

    let generic = receiver.one("/generic");
    assert_eq!(
        generic.headers["x-signature"],
        format!(
            "sha256={}",
            hex::encode(hmac(b"SEC-generic", &generic.body))
        )
    );
    assert_eq!(generic.headers["x-event"], "checkin.abnormal");
    let body = generic.json();
    assert_eq!(body["event"], "checkin.abnormal");
    assert_eq!(body["organization"], "Acme");

    // Corrected again the same day: no second message.
    let r = app
        .put(
            "/api/v1/checkins/today",
            &staff_token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .put(
            "/api/v1/checkins/today",
            &staff_token,
            &json!({"answers": fever}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    app.deliver_all().await;
    assert_eq!(receiver.received().len(), 5, "once per person and day");

    // The last result of each is on the list; a receiver that is down is retried later.
    let list = app.get("/api/v1/webhooks", &admin_token).await.body;
    let hooks = list["webhooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 5);
    assert!(
        hooks.iter().all(|h| h["last_delivery"]["status"] == "sent"),
        "{list}"
    );
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    let dead = app
        .post_as(
            "/api/v1/webhooks",
            &admin_token,
            &json!({"url": format!("http://127.0.0.1:{dead_port}/down"), "format": "wecom", "events": ["checkin.abnormal"]}),
        )
        .await;
    let dead_id = dead.body["id"].as_str().unwrap().to_string();
    let other = app.add_person(&admin.org_id, "staff", None).await;
    let other_token = app.token_for(&other).await;
    let r = app
        .put(
            "/api/v1/checkins/today",
            &other_token,
            &json!({"answers": fever}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    app.deliver_all().await;
    let list = app.get("/api/v1/webhooks", &admin_token).await.body;
    let down = list["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == dead_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(down["last_delivery"]["status"], "pending", "{down}");
    assert_eq!(down["last_delivery"]["attempts"], 1);
    assert!(down["last_delivery"]["error"]
        .as_str()
        .unwrap()
        .contains("connect"));

    // Deleted: gone from the list, its waiting delivery cancelled.
    let r = app
        .delete(&format!("/api/v1/webhooks/{dead_id}"), &admin_token)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app
        .delete(&format!("/api/v1/webhooks/{dead_id}"), &admin_token)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let waiting = app
        .count_rows(
            "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'webhook' AND status = 'pending'",
        )
        .await;
    assert_eq!(waiting, 0);
    let log = app
        .get("/api/v1/audit?action=webhooks.create", &admin_token)
        .await;
    assert_eq!(log.body["total"], 6, "{:?}", log.body);
    assert!(
        !log.body.to_string().contains("tok-") && !log.body.to_string().contains("SEC-"),
        "no token or secret in the audit log"
    );
}

#[tokio::test]
async fn a_reminder_pass_and_the_days_summary_reach_the_robots() {
    let app = spawn_app().await; // 09:00 in Shanghai; the pass is at 09:30
    let receiver = Receiver::start();
    let admin = app.create_org("Acme", "Asia/Shanghai").await;
    let admin_token = app.token_for(&admin).await;
    let r = app
        .put(
            "/api/v1/organization",
            &admin_token,
            &json!({"locale": "en", "reminder_times": ["09:30"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let floor = app
        .post_as(
            "/api/v1/departments",
            &admin_token,
            &json!({"name": "Floor"}),
        )
        .await;
    let floor_id = floor.body["id"].as_str().unwrap().to_string();
    let people = app.add_people_in(&admin.org_id, Some(&floor_id), 4).await;
    let token = app.token_for(&people[0]).await;
    let r = app
        .put(
            "/api/v1/checkins/today",
            &token,
            &json!({"answers": healthy_answers()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = app
        .post_as(
            "/api/v1/webhooks",
            &admin_token,
            &json!({
                "url": format!("http://127.0.0.1:{}/hook", receiver.port),
                "format": "generic",
                "events": ["day.summary", "reminder.digest"],
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    app.clock.advance(chrono::Duration::minutes(31));
    health_checkin::jobs::reminders::run_due_passes(&app.state)
        .await
        .unwrap();
    health_checkin::jobs::reminders::run_due_passes(&app.state)
        .await
        .unwrap();
    app.deliver_all().await;
    let got: Vec<Value> = receiver.received().iter().map(|r| r.json()).collect();
    assert_eq!(got.len(), 2, "once per pass and day: {got:?}");
    let digest = got
        .iter()
        .find(|m| m["event"] == "reminder.digest")
        .unwrap();
    assert_eq!(digest["title"], "Reminders of 2020-02-03, 09:30");
    // Three of the four, and the admin, had not reported.
    assert_eq!(
        digest["lines"][0],
        "4 people who had not reported were reminded."
    );
    let summary = got.iter().find(|m| m["event"] == "day.summary").unwrap();
    let lines: Vec<&str> = summary["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(
        lines[0], "Whole organization: 1/5 reported (20%)",
        "{lines:?}"
    );
    assert!(lines.contains(&"Floor: 1/4 (25%)"), "{lines:?}");
    assert!(summary["link"]
        .as_str()
        .unwrap()
        .ends_with("#/dashboard?date=2020-02-03"));
}
