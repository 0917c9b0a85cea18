//! A believable organization to try the product with: a department tree, a few hundred people
//! in all four roles, and two weeks of check-ins with some abnormal and some missing days.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::auth::password;
use crate::db::checkins::CheckinRow;
use crate::db::organizations::OrganizationRow;
use crate::db::schema::{checkins, departments, organizations};
use crate::db::users::{self as user_rows, UserRow};
use crate::db::{db_time, insert_batch, new_id, DbConn};
use crate::domain::{FormTemplate, LocalCalendar, OrgSettings, Role};

pub const DEMO_PASSWORD: &str = "demo-checkin-2020";
pub const DEMO_TIMEZONE: &str = "Asia/Shanghai";
const PEOPLE: usize = 300;
const HISTORY_DAYS: i64 = 14;

pub struct DemoLogin {
    pub email: &'static str,
    pub role: Role,
}

pub const LOGINS: [DemoLogin; 4] = [
    DemoLogin {
        email: "admin@demo.test",
        role: Role::Admin,
    },
    DemoLogin {
        email: "hr@demo.test",
        role: Role::Hr,
    },
    DemoLogin {
        email: "manager@demo.test",
        role: Role::Manager,
    },
    DemoLogin {
        email: "staff@demo.test",
        role: Role::Staff,
    },
];

#[derive(Debug, PartialEq, Eq)]
pub enum Seeded {
    Created { people: usize, checkins: usize },
    AlreadyThere,
}

const DEPARTMENTS: &[(&str, &[&str])] = &[
    ("Engineering", &["Platform", "Mobile", "Data"]),
    ("Sales", &["East", "North", "South"]),
    ("Operations", &[]),
    ("Human Resources", &[]),
    ("Finance", &[]),
];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平",
];
const CITIES: &[&str] = &[
    "Shanghai", "Beijing", "Hangzhou", "Shenzhen", "Wuhan", "Chengdu", "Suzhou",
];

pub fn seed(conn: &mut DbConn, now: DateTime<Utc>) -> anyhow::Result<Seeded> {
    if user_rows::find_by_email(conn, LOGINS[0].email)?.is_some() {
        return Ok(Seeded::AlreadyThere);
    }
    let hash = password::hash(DEMO_PASSWORD)?;
    let tz: Tz = DEMO_TIMEZONE.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
    let stamp = db_time(now - Duration::days(HISTORY_DAYS + 1));
    let mut rng = StdRng::seed_from_u64(20_200_123);

    let org = OrganizationRow {
        id: new_id(),
        name: "Demo Health Co. 示例健康公司".into(),
        timezone: DEMO_TIMEZONE.into(),
        settings: OrgSettings {
            reminder_times: ["09:30", "11:00"]
                .into_iter()
                .filter_map(crate::domain::org_settings::parse_time)
                .map(crate::domain::org_settings::ClockTime)
                .collect(),
            ..OrgSettings::default()
        }
        .to_stored(),
        created_at: stamp,
        updated_at: stamp,
    };

    // Leaf departments are where people sit.
    let mut department_rows = Vec::new();
    let mut leaves = Vec::new();
    for (top, children) in DEPARTMENTS {
        let top_id = new_id();
        department_rows.push((top_id.clone(), None, top.to_string()));
        if children.is_empty() {
            leaves.push(top_id.clone());
        }
        for child in *children {
            let id = new_id();
            department_rows.push((id.clone(), Some(top_id.clone()), child.to_string()));
            leaves.push(id);
        }
    }

    let person = |i: usize, email: String, name: String, role: Role, department: &str| UserRow {
        id: new_id(),
        org_id: org.id.clone(),
        email,
        name,
        employee_no: Some(format!("E{:04}", i + 1)),
        role: role.as_str().into(),
        department_id: Some(department.to_string()),
        password_hash: Some(hash.clone()),
        token_version: 0,
        active: true,
        timezone: None,
        locale: None,
        created_at: stamp,
        updated_at: stamp,
        deactivated_at: None,
    };
    let mut people = Vec::with_capacity(PEOPLE);
    for (i, login) in LOGINS.iter().enumerate() {
        let name = ["Admin 管理员", "HR 人事", "Manager 经理", "Staff 员工"][i];
        people.push(person(
            i,
            login.email.into(),
            name.into(),
            login.role,
            &leaves[0],
        ));
    }
    for i in LOGINS.len()..PEOPLE {
        let name = format!(
            "{}{}",
            SURNAMES[rng.random_range(0..SURNAMES.len())],
            GIVEN[rng.random_range(0..GIVEN.len())]
        );
        let role = if i < LOGINS.len() + leaves.len() {
            Role::Manager
        } else {
            Role::Staff
        };
        let department = &leaves[i % leaves.len()];
        people.push(person(
            i,
            format!("user{i:04}@demo.test"),
            name,
            role,
            department,
        ));
    }

    let form = FormTemplate::default_form();
    let today = LocalCalendar::new(tz, now).today();
    let mut rows = Vec::new();
    for back in (0..=HISTORY_DAYS).rev() {
        let day = today - Duration::days(back);
        for p in &people {
            let weekend = matches!(
                chrono::Datelike::weekday(&day),
                chrono::Weekday::Sat | chrono::Weekday::Sun
            );
            let chance = match (back, weekend) {
                (0, _) => 0.6,
                (_, true) => 0.75,
                _ => 0.93,
            };
            if rng.random_bool(chance) {
                rows.push(demo_checkin(&mut rng, &form, &org.id, p, day, tz, now)?);
            }
        }
    }

    conn.write_transaction(|c| -> anyhow::Result<()> {
        diesel::insert_into(organizations::table)
            .values(&org)
            .execute(c)?;
        crate::db::forms::insert(c, &crate::db::forms::FormRow::first_of(&org))?;
        for (id, parent, name) in &department_rows {
            diesel::insert_into(departments::table)
                .values((
                    departments::id.eq(id),
                    departments::org_id.eq(&org.id),
                    departments::parent_id.eq(parent),
                    departments::name.eq(name),
                    departments::created_at.eq(stamp),
                    departments::updated_at.eq(stamp),
                ))
                .execute(c)?;
        }
        user_rows::insert_many(c, &people)?;
        // The demo manager runs the first top department; every other manager one team.
        if let (Some(manager), Some((top, _, _))) = (people.get(2), department_rows.first()) {
            crate::db::departments::add_manager(c, &org.id, top, &manager.id)?;
        }
        for (i, person) in people.iter().enumerate().skip(LOGINS.len()) {
            if person.role == Role::Manager.as_str() {
                crate::db::departments::add_manager(
                    c,
                    &org.id,
                    &leaves[i % leaves.len()],
                    &person.id,
                )?;
            }
        }
        for chunk in rows.chunks(200) {
            insert_batch!(c, checkins::table, chunk)?;
        }
        // Abnormal reports open their cases, as a check-in through the API does (without
        // mailing the managers about days gone by).
        let quiet = OrgSettings {
            abnormal_alerts: false,
            ..org.settings()?
        };
        let mut abnormal: Vec<&CheckinRow> = rows.iter().filter(|r| r.abnormal).collect();
        abnormal.sort_by_key(|r| (r.day, r.updated_at));
        for row in abnormal {
            crate::services::cases::follow_up(c, &org, &quiet, row, "")?;
        }
        Ok(())
    })?;
    // Check-ins were loaded in bulk: count today's for the live report.
    crate::reports::counts::recount_open_day(conn, &org.id, today)?;
    Ok(Seeded::Created {
        people: people.len(),
        checkins: rows.len(),
    })
}

fn demo_checkin(
    rng: &mut StdRng,
    form: &FormTemplate,
    org_id: &str,
    person: &UserRow,
    day: NaiveDate,
    tz: Tz,
    now: DateTime<Utc>,
) -> anyhow::Result<CheckinRow> {
    let sick = rng.random_bool(0.02);
    let temperature: f64 = if sick {
        rng.random_range(37.4..38.9)
    } else {
        rng.random_range(36.0..37.1)
    };
    let work_status = match rng.random_range(0..100) {
        0..=59 => "office",
        60..=94 => "remote",
        _ => "leave",
    };
    let answers = json!({
        "temperature": temperature,
        "symptoms": if sick { json!(["fever", "cough"]) } else { json!([]) },
        "location": CITIES[rng.random_range(0..CITIES.len())],
        "work_status": work_status,
        "close_contact": rng.random_bool(0.005),
        "travel_to_risk_area": rng.random_bool(0.005),
        "health_code": if rng.random_bool(0.01) { "yellow" } else { "green" },
    });
    let evaluation = form
        .evaluate(
            answers
                .as_object()
                .ok_or_else(|| anyhow::anyhow!("answers"))?,
        )
        .map_err(|e| anyhow::anyhow!("demo answers do not fit the form: {e:?}"))?;
    let minutes = rng.random_range(8 * 60..10 * 60 + 30);
    let local = day
        .and_hms_opt(0, 0, 0)
        .and_then(|midnight| tz.from_local_datetime(&midnight).earliest())
        .ok_or_else(|| anyhow::anyhow!("no local midnight on {day}"))?;
    // Today's early risers only: nobody reports from the future.
    let submitted = db_time(
        (local + Duration::minutes(minutes))
            .with_timezone(&Utc)
            .min(now),
    );
    Ok(CheckinRow {
        id: new_id(),
        org_id: org_id.to_string(),
        user_id: person.id.clone(),
        day,
        department_id: person.department_id.clone(),
        answers: serde_json::Value::Object(evaluation.answers.clone()).to_string(),
        temperature: evaluation.temperature,
        abnormal: evaluation.abnormal(),
        abnormal_reasons: serde_json::to_string(&evaluation.abnormal_reasons)?,
        revision: 1,
        reason: None,
        submitted_by: person.id.clone(),
        submitted_at: submitted,
        updated_at: submitted,
        expected: !matches!(
            chrono::Datelike::weekday(&day),
            chrono::Weekday::Sat | chrono::Weekday::Sun
        ),
        form_version: 1,
        purged_at: None,
    })
}
