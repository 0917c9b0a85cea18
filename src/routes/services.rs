//! Where the features' own errors become HTTP answers, in one place, and the small adapters
//! that hand a handler's caller to the features.

use chrono::NaiveDate;

use crate::auth::hashing::Busy;
use crate::auth::AuthUser;
use crate::domain::OrgSettings;
use crate::error::{ApiError, Problem};
use crate::reports::scope::ScopeError;
use crate::reports::summary::Today;
use crate::routes::dates::report_day;
use crate::services::accounts::AccountError;
use crate::services::audit::AuditError;
use crate::services::cases::CaseError;
use crate::services::checkins::{CheckinError, Reporter};
use crate::services::departments::DepartmentError;
use crate::services::erasure::ErasureError;
use crate::services::filing::FilingError;
use crate::services::forms::FormError;
use crate::services::invitations::InvitationError;
use crate::services::limits::LimitError;
use crate::services::organization::SettingsError;
use crate::services::people::{ImportError, PeopleError};
use crate::services::reminders::ReminderError;
use crate::services::reporting::{self, DayReport, ReportError, TrendDays};
use crate::services::sessions::SessionError;
use crate::services::webhooks::WebhookError;
use crate::state::AppState;

impl From<ScopeError> for ApiError {
    fn from(e: ScopeError) -> Self {
        match e {
            ScopeError::OutsideScope => ApiError::Forbidden(e.to_string()),
            ScopeError::UnknownDepartment => {
                ApiError::field("department_id", Problem::unknown_department())
            }
            ScopeError::Db(e) => ApiError::from(e),
        }
    }
}

impl From<CheckinError> for ApiError {
    fn from(e: CheckinError) -> Self {
        let message = e.to_string();
        match e {
            CheckinError::InFuture => ApiError::field("date", Problem::in_future()),
            CheckinError::BeforeJoining(joined) => ApiError::field(
                "date",
                Problem::new("before_joining", message).with("joined", joined.to_string()),
            ),
            CheckinError::TooFarBack(late_days) => ApiError::field(
                "date",
                Problem::new("too_far_back", message).with("late_days", late_days),
            ),
            CheckinError::NotOwed(_) => ApiError::field("date", Problem::new("not_owed", message)),
            CheckinError::ReasonRequired => {
                ApiError::field("reason", Problem::new("required", message))
            }
            CheckinError::LostRace => ApiError::conflict("concurrent_update", e.to_string()),
            CheckinError::NotFound => ApiError::not_found("check-in"),
            CheckinError::Invalid(problems) => ApiError::validation(problems),
            CheckinError::Db(e) => ApiError::from(e),
        }
    }
}

impl From<FormError> for ApiError {
    fn from(e: FormError) -> Self {
        let message = e.to_string();
        match e {
            FormError::NotFound => ApiError::not_found("form version"),
            FormError::Invalid(problems) => ApiError::validation(problems),
            FormError::Concurrent => ApiError::conflict("form_changed", message),
            FormError::Db(e) => ApiError::from(e),
        }
    }
}

impl From<SettingsError> for ApiError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::UnknownField(_) => {
                ApiError::bad_request("invalid_body", format!("the body does not fit: {e}"))
            }
            SettingsError::Invalid(fields) => ApiError::validation(fields),
            SettingsError::NotFound => ApiError::not_found("organization"),
            SettingsError::Db(e) => ApiError::from(e),
        }
    }
}

impl From<DepartmentError> for ApiError {
    fn from(e: DepartmentError) -> Self {
        let message = e.to_string();
        match e {
            DepartmentError::NotFound => ApiError::not_found("department"),
            DepartmentError::InvalidName(problem) => ApiError::field("name", problem),
            DepartmentError::SlashInName => {
                ApiError::field("name", Problem::new("contains_slash", message))
            }
            DepartmentError::NameTooLong(max) => ApiError::field("name", Problem::too_long(max)),
            DepartmentError::UnknownParent => {
                ApiError::field("parent_id", Problem::new("unknown_department", message))
            }
            DepartmentError::Cycle => ApiError::field("parent_id", Problem::new("cycle", message)),
            DepartmentError::TooDeep(max) => ApiError::field(
                "parent_id",
                Problem::new("too_deep", message).with("max", max),
            ),
            DepartmentError::NotAManager { email } => ApiError::field(
                "manager_ids",
                Problem::new("not_a_manager", message).with("email", email),
            ),
            DepartmentError::NotAnActivePerson(id) => ApiError::field(
                "manager_ids",
                Problem::new("not_an_active_person", message).with("id", id),
            ),
            DepartmentError::NameTaken { .. } => ApiError::conflict("department_exists", message),
            DepartmentError::HasPeople { .. } | DepartmentError::HasSubDepartments { .. } => {
                ApiError::conflict("department_not_empty", message)
            }
            DepartmentError::Db(e) => ApiError::from(e),
        }
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Db(e) => ApiError::from(e),
        }
    }
}

impl From<ReportError> for ApiError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Scope(e) => ApiError::from(e),
            ReportError::UnknownPerson => ApiError::field("after", Problem::invalid_cursor()),
            ReportError::Db(e) => ApiError::from(e),
        }
    }
}

impl From<ReminderError> for ApiError {
    fn from(e: ReminderError) -> Self {
        match e {
            ReminderError::TooSoon { retry_after_secs } => {
                ApiError::RateLimited { retry_after_secs }
            }
            ReminderError::Scope(e) => ApiError::from(e),
            ReminderError::NotFound => ApiError::not_found("reminder"),
            e @ ReminderError::NotFailed(_) => ApiError::conflict("not_failed", e.to_string()),
            e @ ReminderError::Purged => ApiError::conflict("mail_purged", e.to_string()),
            ReminderError::Db(e) => ApiError::from(e),
        }
    }
}

/// The caller as the person checking in.
pub fn reporter<'a>(
    user: &'a AuthUser,
    settings: &'a OrgSettings,
    public_url: &'a str,
) -> Reporter<'a> {
    Reporter {
        user: &user.user,
        org: &user.org,
        tz: user.tz,
        org_tz: user.org_tz(),
        settings,
        public_url,
    }
}

impl From<PeopleError> for ApiError {
    fn from(e: PeopleError) -> Self {
        let message = e.to_string();
        match e {
            PeopleError::NotFound => ApiError::not_found("person"),
            PeopleError::LeaveNotFound => ApiError::not_found("leave"),
            PeopleError::Invalid(fields) => ApiError::validation(fields),
            PeopleError::EmailTaken(email) => ApiError::conflict_on(
                "email_taken",
                message,
                "email",
                crate::people::email_taken(&email),
            ),
            PeopleError::EmployeeNoTaken(problem) => {
                ApiError::conflict_on("employee_no_taken", message, "employee_no", problem)
            }
            PeopleError::AlreadyExists => ApiError::conflict("already_exists", message),
            PeopleError::CannotDemoteSelf | PeopleError::CannotDeactivateSelf => {
                ApiError::conflict("cannot_change_self", message)
            }
            PeopleError::StoredRole { .. } => ApiError::internal(anyhow::anyhow!(message)),
            PeopleError::Scope(e) => e.into(),
            PeopleError::Invitation(e) => e.into(),
            PeopleError::Db(e) => e.into(),
        }
    }
}

impl From<WebhookError> for ApiError {
    fn from(e: WebhookError) -> Self {
        let message = e.to_string();
        match e {
            WebhookError::Invalid(fields) => ApiError::validation(fields),
            WebhookError::NotFound => ApiError::not_found("webhook"),
            WebhookError::TooMany => ApiError::conflict("too_many_webhooks", message),
            WebhookError::Db(e) => e.into(),
        }
    }
}

impl From<CaseError> for ApiError {
    fn from(e: CaseError) -> Self {
        let message = e.to_string();
        match e {
            CaseError::NotFound => ApiError::not_found("case"),
            CaseError::Invalid(fields) => ApiError::validation(fields),
            CaseError::AnotherOpen => ApiError::conflict("case_already_open", message),
            CaseError::Scope(e) => e.into(),
            CaseError::Db(e) => e.into(),
        }
    }
}

impl From<FilingError> for ApiError {
    fn from(e: FilingError) -> Self {
        match e {
            FilingError::Person(e) => e.into(),
            FilingError::Checkin(e) => e.into(),
            FilingError::Db(e) => e.into(),
        }
    }
}

impl From<ErasureError> for ApiError {
    fn from(e: ErasureError) -> Self {
        let message = e.to_string();
        match e {
            ErasureError::NotFound => ApiError::not_found("person"),
            ErasureError::StillActive => ApiError::conflict("still_active", message),
            ErasureError::Db(e) => e.into(),
        }
    }
}

impl From<InvitationError> for ApiError {
    fn from(e: InvitationError) -> Self {
        match e {
            InvitationError::NotFound => ApiError::not_found("person"),
            InvitationError::Inactive => ApiError::conflict("inactive", e.to_string()),
            InvitationError::Queue(e) => ApiError::internal(e),
            InvitationError::Db(e) => e.into(),
        }
    }
}

fn link_refused(code: &'static str, e: AccountError) -> ApiError {
    ApiError::Unauthorized {
        code,
        message: e.to_string(),
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::WrongCredentials => ApiError::unauthorized(e.to_string()),
            // The set-password page says which, in the page's language.
            AccountError::LinkExpired => link_refused("link_expired", e),
            AccountError::LinkInvalid => link_refused("link_invalid", e),
            AccountError::LinkUsed => link_refused("link_used", e),
            AccountError::LinkSuperseded => link_refused("link_superseded", e),
            AccountError::WeakPassword(problem) => ApiError::field("password", problem),
            AccountError::Limited(e) => e.into(),
            AccountError::Internal(e) => ApiError::internal(e),
            AccountError::Db(e) => e.into(),
        }
    }
}

/// An import's own problems; its bad lines are a report, not an error.
impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Unreadable(problem) => ApiError::field("file", problem),
            ImportError::TooLarge => ApiError::PayloadTooLarge(e.to_string()),
            ImportError::UnknownOrganization(_) => ApiError::not_found("organization"),
            ImportError::Failed(e) => ApiError::internal(e),
        }
    }
}

/// A day's report over what the caller may see, for the numbers and for the chart: the day
/// asked for (today when left out, never in the future), and what `report` gives for it
/// (`reporting::daily` or `reporting::daily_bars`).
pub async fn day_report<T: Send + 'static>(
    state: &AppState,
    user: AuthUser,
    date: Option<&str>,
    department_id: Option<String>,
    report: DayReport<T>,
) -> Result<(NaiveDate, T), ApiError> {
    let today = Today::in_org(&user.org, state.clock.now());
    let day = report_day(date, today.today)?;
    let found = state
        .as_caller(user, move |conn, caller, _| {
            report(conn, caller, department_id.as_deref(), day, &today)
        })
        .await?;
    Ok((day, found))
}

/// A range's numbers over what the caller may see, for the trend as numbers and as a chart.
pub async fn trend(
    state: &AppState,
    user: AuthUser,
    department_id: Option<String>,
    (from, to): (NaiveDate, NaiveDate),
    today: Today,
) -> Result<TrendDays, ApiError> {
    state
        .as_caller(user, move |conn, caller, _| {
            reporting::trend(conn, caller, department_id.as_deref(), from, to, &today)
        })
        .await
}

impl From<LimitError> for ApiError {
    fn from(e: LimitError) -> Self {
        match e {
            LimitError::Exceeded { retry_after_secs } => ApiError::RateLimited { retry_after_secs },
            LimitError::Db(e) => e.into(),
        }
    }
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::NotFound => ApiError::not_found("person"),
            SessionError::Db(e) => e.into(),
        }
    }
}

/// Seconds a refused password check is told to wait: the queue is short, so it drains fast.
const PASSWORD_RETRY_AFTER_SECS: u64 = 1;

impl From<Busy> for ApiError {
    fn from(_: Busy) -> Self {
        ApiError::Busy {
            retry_after_secs: PASSWORD_RETRY_AFTER_SECS,
        }
    }
}
