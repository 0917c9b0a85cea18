use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::domain::day::parse_date;
use crate::domain::expectation::Exemption;
use crate::domain::org_settings::PrivacyNotice;
use crate::domain::FormTemplate;
use crate::domain::Role;
use crate::error::ErrorResponse;
use crate::error::{ApiError, FieldErrors, Problem};
use crate::routes::dates::{parse_range, RangeQuery};
use crate::routes::resource;
use crate::routes::services::reporter;
use crate::routes::views::{Checkin, Filer, Revision};
use crate::services::checkins::{self as checkins_service, Answers, SubmitOutcome};
use crate::services::filing::{self, DayAsked};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/checkins").route(web::get().to(history)))
        .service(
            resource("/checkins/{date}")
                .route(web::get().to(day_view))
                .route(web::put().to(submit)),
        )
        .service(resource("/checkins/{date}/revisions").route(web::get().to(revisions)))
        .service(
            resource("/employees/{id}/checkins/{date}")
                .route(web::get().to(person_day))
                .route(web::put().to(file_for)),
        );
}

const MAX_REASON_CHARS: usize = 500;

#[derive(Serialize, ToSchema)]
pub struct DayView {
    pub date: NaiveDate,
    pub form: FormTemplate,
    pub checkin: Option<Checkin>,
    /// The last submission before this day, for a one-tap "nothing changed".
    pub previous: Option<Checkin>,
    /// Whether the person is expected to report this day, and if not, why.
    pub expected: bool,
    pub exemption: Option<Exemption>,
    /// The earliest day that may still be filled in late.
    pub earliest_date: NaiveDate,
    /// The person's today, by the server's clock: a correction of an earlier day needs a
    /// reason, one of today does not.
    pub today: NaiveDate,
    pub timezone: String,
    /// The organization's words about its staff's data, which the form shows at first use.
    pub privacy_notice: Option<PrivacyNotice>,
}

/// A day's form, the check-in of that day if any, and the last one before it.
/// `GET /api/v1/checkins/today` is what the phone opens every morning.
#[utoipa::path(get, path = "/api/v1/checkins/{date}", tag = "checkins", security(("bearer" = [])),
    params(("date" = String, Path, description = "`today` or YYYY-MM-DD", pattern = "^(today|[0-9]{4}-[0-9]{2}-[0-9]{2})$")),
    responses((status = 200, description = "the day's form and check-in", body = DayView),
              (status = 400, description = "the date is not `today` or a date as YYYY-MM-DD", body = ErrorResponse),
              (status = 422, description = "the date is in the future", body = ErrorResponse)))]
pub async fn day_view(
    state: web::Data<AppState>,
    user: AuthUser,
    date: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let today = user.calendar(&state).today();
    let day = parse_day(&date, today)?;
    let settings = user.settings()?;
    let privacy_notice = settings.privacy_notice.clone();
    let (user, found, filers) = state
        .db(move |conn| {
            let found = checkins_service::day(conn, &reporter(&user, &settings, ""), day, today)?;
            let shown: Vec<_> = found.checkin.iter().chain(&found.previous).collect();
            let filers = filing::filers(conn, &user.org.id, &shown)?;
            Ok((user, found, filers))
        })
        .await?;
    let timezone = user.tz.name().to_string();
    Ok(HttpResponse::Ok().json(DayView::of(
        found,
        day,
        today,
        timezone,
        privacy_notice,
        &filers,
    )))
}

impl DayView {
    fn of(
        found: checkins_service::Day,
        date: NaiveDate,
        today: NaiveDate,
        timezone: String,
        privacy_notice: Option<PrivacyNotice>,
        filers: &Filers,
    ) -> Self {
        Self {
            date,
            form: found.form,
            checkin: found.checkin.map(|c| Checkin::filed(c, filers)),
            previous: found.previous.map(|c| Checkin::filed(c, filers)),
            expected: found.exemption.is_none(),
            exemption: found.exemption,
            earliest_date: found.earliest_date,
            today,
            timezone,
            privacy_notice,
        }
    }
}

/// Who filed check-ins for their people, by id: name and role.
type Filers = std::collections::HashMap<String, (String, String)>;

/// `today` or `YYYY-MM-DD`.
fn parse_day(raw: &str, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    if raw == "today" {
        return Ok(today);
    }
    parse_date(raw).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_date",
            format!("`{raw}` is not a date: use today or YYYY-MM-DD"),
        )
    })
}

// Documentation only: `parse_submit_body` reads the body; serde's attribute closes the schema.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct SubmitRequest {
    #[schema(value_type = crate::domain::answers::Answers)]
    answers: Map<String, Value>,
    /// Why an earlier day is corrected; required for that, optional otherwise. No control
    /// characters.
    #[schema(max_length = 500)]
    reason: Option<String>,
}

/// Reads the body by hand so that each wrong or unknown field, inside the answers or beside
/// them, gets its own message in one response; the answers are checked against the form in
/// force by the service.
fn parse_submit_body(body: Value) -> Result<Answers, ApiError> {
    let Value::Object(mut body) = body else {
        return Err(ApiError::bad_request(
            "invalid_body",
            "the body must be a JSON object with `answers`",
        ));
    };
    let mut errors = FieldErrors::new();
    let answers = match body.remove("answers") {
        Some(Value::Object(answers)) => Some(answers),
        Some(_) => {
            errors.insert(
                "answers".into(),
                Problem::new("not_an_object", "must be an object"),
            );
            None
        }
        None => {
            errors.insert("answers".into(), Problem::required());
            None
        }
    };
    let reason = match body.remove("reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(r)) if r.chars().count() > MAX_REASON_CHARS => {
            errors.insert("reason".into(), Problem::too_long(MAX_REASON_CHARS));
            None
        }
        Some(Value::String(r)) if r.chars().any(char::is_control) => {
            errors.insert("reason".into(), Problem::control_characters());
            None
        }
        Some(Value::String(r)) => Some(r.trim().to_string()).filter(|r| !r.is_empty()),
        Some(_) => {
            errors.insert("reason".into(), Problem::not_text());
            None
        }
    };
    for unknown in body.keys() {
        errors.insert(
            unknown.clone(),
            Problem::new("unknown_field", "is not a field of this request"),
        );
    }
    Ok(Answers {
        answers,
        reason,
        problems: errors,
    })
}

/// Submit or correct the check-in of a day: today, or a late day the organization allows.
#[utoipa::path(put, path = "/api/v1/checkins/{date}", tag = "checkins", security(("bearer" = [])),
    params(("date" = String, Path, description = "`today` or YYYY-MM-DD", pattern = "^(today|[0-9]{4}-[0-9]{2}-[0-9]{2})$")),
    request_body = SubmitRequest,
    responses((status = 201, description = "first submission of the day", body = Checkin),
              (status = 200, description = "a correction, or the same answers again", body = Checkin),
              (status = 400, description = "the date is not `today` or a date as YYYY-MM-DD, or the body is not an object", body = ErrorResponse),
              (status = 409, description = "the check-in was changed at the same moment; try again", body = ErrorResponse),
              (status = 422, description = "a wrong answer, field or reason, or a day in the future or too far back", body = ErrorResponse)))]
pub async fn submit(
    state: web::Data<AppState>,
    user: AuthUser,
    date: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let calendar = user.calendar(&state);
    let today = calendar.today();
    let day = parse_day(&date, today)?;
    let settings = user.settings()?;
    // The day first, then the body: a day that cannot be filled in is named before answers.
    reporter(&user, &settings, "").check_fillable(day, today)?;
    let given = parse_submit_body(body.into_inner())?;
    let now = calendar.now;
    let public_url = state.settings.public_url.clone();
    // On PostgreSQL both ways of storing may run, and both need the caller and the answers.
    let caller = std::sync::Arc::new((user, settings, public_url));
    let outcome = state
        .submit_checkin(
            (caller, given),
            move |(caller, given)| {
                let (user, settings, public_url) = &**caller;
                let r = reporter(user, settings, public_url);
                checkins_service::prepare_without_reading(&r, day, today, given, now)
            },
            move |conn, (caller, given)| {
                let (user, settings, public_url) = &*caller;
                let r = reporter(user, settings, public_url);
                Ok(checkins_service::prepare(conn, &r, day, today, given, now)?)
            },
            move |conn, (caller, given)| {
                let (user, settings, public_url) = &*caller;
                let r = reporter(user, settings, public_url);
                Ok(checkins_service::submit(conn, &r, day, today, given, now)?)
            },
        )
        .await?;
    let response = match outcome {
        SubmitOutcome::Created(row) => {
            state.metrics.checkin("created");
            HttpResponse::Created().json(Checkin::from(row))
        }
        SubmitOutcome::Corrected(row) => {
            state.metrics.checkin("corrected");
            HttpResponse::Ok().json(Checkin::from(row))
        }
        SubmitOutcome::Unchanged(row) => {
            state.metrics.checkin("unchanged");
            HttpResponse::Ok().json(Checkin::from(row))
        }
    };
    Ok(response)
}

#[derive(Serialize, ToSchema)]
pub struct History {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub checkins: Vec<Checkin>,
    /// Every day of the range, newest first: whether the person was expected to report, and
    /// if not, why (a rest day, a holiday, leave, before joining, deactivated).
    pub days: Vec<HistoryDay>,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryDay {
    pub date: NaiveDate,
    pub expected: bool,
    pub exemption: Option<Exemption>,
}

/// The caller's own check-ins, newest first.
#[utoipa::path(get, path = "/api/v1/checkins", tag = "checkins", security(("bearer" = [])),
    params(RangeQuery),
    responses((status = 200, description = "the check-ins of the range", body = History),
              (status = 422, description = "a date that is not YYYY-MM-DD, a reversed range or one over 366 days", body = ErrorResponse)))]
pub async fn history(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<RangeQuery>,
) -> Result<HttpResponse, ApiError> {
    let (from, to) = parse_range(&query, user.calendar(&state).today())?;
    let settings = user.settings()?;
    let (found, filers) = state
        .db(move |conn| {
            let found = checkins_service::history(conn, &reporter(&user, &settings, ""), from, to)?;
            let rows: Vec<_> = found.checkins.iter().collect();
            let filers = filing::filers(conn, &user.org.id, &rows)?;
            Ok((found, filers))
        })
        .await?;
    let rows = found.checkins;
    let days: Vec<HistoryDay> = found
        .days
        .into_iter()
        .map(|(date, exemption)| HistoryDay {
            date,
            expected: exemption.is_none(),
            exemption,
        })
        .collect();
    Ok(HttpResponse::Ok().json(History {
        from,
        to,
        checkins: rows
            .into_iter()
            .map(|c| Checkin::filed(c, &filers))
            .collect(),
        days,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct RevisionHistory {
    pub current: Checkin,
    /// Earlier answers of the same day, oldest first.
    pub revisions: Vec<Revision>,
}

/// Every earlier version of the caller's check-in of a day.
#[utoipa::path(get, path = "/api/v1/checkins/{date}/revisions", tag = "checkins", security(("bearer" = [])),
    params(("date" = String, Path, description = "`today` or YYYY-MM-DD", pattern = "^(today|[0-9]{4}-[0-9]{2}-[0-9]{2})$")),
    responses((status = 200, description = "the check-in and its earlier versions", body = RevisionHistory),
              (status = 400, description = "the date is not `today` or a date as YYYY-MM-DD", body = ErrorResponse),
              (status = 404, description = "no check-in that day", body = ErrorResponse)))]
pub async fn revisions(
    state: web::Data<AppState>,
    user: AuthUser,
    date: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let day = parse_day(&date, user.calendar(&state).today())?;
    let found = state
        .db(move |conn| Ok(checkins_service::revisions(conn, user.id(), day)?))
        .await?;
    Ok(HttpResponse::Ok().json(RevisionHistory {
        current: found.current.into(),
        revisions: found.earlier.into_iter().map(Revision::from).collect(),
    }))
}

/// The date of a path: `today` (the person's, decided by the service) or `YYYY-MM-DD`.
fn day_asked(raw: &str) -> Result<DayAsked, ApiError> {
    if raw == "today" {
        return Ok(DayAsked::Today);
    }
    parse_date(raw).map(DayAsked::On).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_date",
            format!("`{raw}` is not a date: use today or YYYY-MM-DD"),
        )
    })
}

/// A person's day, as a manager, HR or an admin filing for them sees it.
#[derive(Serialize, ToSchema)]
pub struct PersonDayView {
    pub person: PersonRef,
    #[serde(flatten)]
    pub day: DayView,
}

#[derive(Serialize, ToSchema)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
}

/// A person's day as they would see it, for filing it for them (manager within their
/// departments, HR, admin): the form, the day's check-in and the last one before it, in the
/// person's zone. The look is audited.
#[utoipa::path(get, path = "/api/v1/employees/{id}/checkins/{date}", tag = "checkins", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id"),
           ("date" = String, Path, description = "`today` (the person's) or YYYY-MM-DD", pattern = "^(today|[0-9]{4}-[0-9]{2}-[0-9]{2})$")),
    responses((status = 200, description = "the person's day", body = PersonDayView),
              (status = 400, description = "the date is not `today` or a date as YYYY-MM-DD", body = ErrorResponse),
              (status = 403, description = "staff cannot file for others", body = ErrorResponse),
              (status = 404, description = "no such person within the caller's departments", body = ErrorResponse),
              (status = 422, description = "the date is in the person's future", body = ErrorResponse)))]
pub async fn person_day(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let (id, date) = path.into_inner();
    let asked = day_asked(&date)?;
    let privacy_notice = user.settings()?.privacy_notice;
    let (found, filers) = state
        .as_caller(user, move |conn, caller, now| {
            let found = filing::day(conn, caller, &id, asked, now)?;
            let shown: Vec<_> = found
                .day
                .checkin
                .iter()
                .chain(&found.day.previous)
                .collect();
            let filers = filing::filers(conn, &caller.org.id, &shown)?;
            Ok::<_, filing::FilingError>((found, filers))
        })
        .await?;
    Ok(HttpResponse::Ok().json(PersonDayView {
        person: PersonRef {
            id: found.person.id.clone(),
            name: found.person.name.clone(),
        },
        day: DayView::of(
            found.day,
            found.date,
            found.today,
            found.tz.name().to_string(),
            privacy_notice,
            &filers,
        ),
    }))
}

/// File or correct a person's check-in for them (manager within their departments, HR,
/// admin), under the person's rules: their zone and late days, the form in force, a reason
/// for correcting an earlier day. Stored as filed by the caller, and audited.
#[utoipa::path(put, path = "/api/v1/employees/{id}/checkins/{date}", tag = "checkins", security(("bearer" = [])),
    params(("id" = String, Path, description = "the person's id"),
           ("date" = String, Path, description = "`today` (the person's) or YYYY-MM-DD", pattern = "^(today|[0-9]{4}-[0-9]{2}-[0-9]{2})$")),
    request_body = SubmitRequest,
    responses((status = 201, description = "the person's first check-in of the day", body = Checkin),
              (status = 200, description = "a correction, or the same answers again", body = Checkin),
              (status = 400, description = "the date is not `today` or a date as YYYY-MM-DD, or the body is not an object", body = ErrorResponse),
              (status = 403, description = "staff cannot file for others", body = ErrorResponse),
              (status = 404, description = "no such person within the caller's departments", body = ErrorResponse),
              (status = 409, description = "the check-in was changed at the same moment; try again", body = ErrorResponse),
              (status = 422, description = "a wrong answer, field or reason, or a day in the person's future, too far back or not owed", body = ErrorResponse)))]
pub async fn file_for(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    user.require(Role::Manager)?;
    let (id, date) = path.into_inner();
    let asked = day_asked(&date)?;
    let given = parse_submit_body(body.into_inner())?;
    let filer = Filer {
        id: user.id().to_string(),
        name: Some(user.user.name.clone()),
        role: Some(user.user.role.clone()),
    };
    let now = state.clock.now();
    let public_url = state.settings.public_url.clone();
    let outcome = state
        .write_grouped(move |conn| {
            let asked = (id.as_str(), asked);
            Ok(filing::file(
                conn,
                &user.caller(),
                asked,
                given,
                &public_url,
                now,
            )?)
        })
        .await?;
    let (created, row) = match outcome {
        SubmitOutcome::Created(row) => (true, row),
        SubmitOutcome::Corrected(row) | SubmitOutcome::Unchanged(row) => (false, row),
    };
    // Named by who stored it: this caller, or (the same answers again) whoever did before.
    let filed_by = (row.submitted_by != row.user_id).then(|| {
        if row.submitted_by == filer.id {
            filer
        } else {
            Filer {
                id: row.submitted_by.clone(),
                name: None,
                role: None,
            }
        }
    });
    let mut view = Checkin::from(row);
    view.filed_by = filed_by;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}
