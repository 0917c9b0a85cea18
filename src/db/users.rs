use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::organizations::OrganizationRow;
use super::schema::{membership_history, organizations, users};
use super::{stats, DbConn};

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub employee_no: Option<String>,
    pub role: String,
    pub department_id: Option<String>,
    pub password_hash: Option<String>,
    pub token_version: i32,
    pub active: bool,
    pub timezone: Option<String>,
    pub locale: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deactivated_at: Option<NaiveDateTime>,
}

impl UserRow {
    /// A new, active person in `role` who has not set a password yet; the caller fills in
    /// the rest.
    pub fn new(
        org_id: &str,
        email: String,
        name: String,
        role: crate::domain::Role,
        now: NaiveDateTime,
    ) -> Self {
        Self {
            id: super::new_id(),
            org_id: org_id.to_string(),
            email,
            name,
            employee_no: None,
            role: role.as_str().to_string(),
            department_id: None,
            password_hash: None,
            token_version: 0,
            active: true,
            timezone: None,
            locale: None,
            created_at: now,
            updated_at: now,
            deactivated_at: None,
        }
    }
}

/// Where a person is from a moment on; see `membership_history`.
#[derive(Insertable)]
#[diesel(table_name = membership_history)]
struct Membership<'a> {
    id: String,
    org_id: &'a str,
    user_id: &'a str,
    department_id: Option<&'a str>,
    active: bool,
    valid_from: NaiveDateTime,
}

impl<'a> Membership<'a> {
    fn of(user: &'a UserRow, valid_from: NaiveDateTime) -> Self {
        Self {
            id: super::new_id(),
            org_id: &user.org_id,
            user_id: &user.id,
            department_id: user.department_id.as_deref(),
            active: user.active,
            valid_from,
        }
    }
}

pub fn insert(conn: &mut DbConn, user: &UserRow) -> QueryResult<usize> {
    let inserted = diesel::insert_into(users::table)
        .values(user)
        .execute(conn)?;
    diesel::insert_into(membership_history::table)
        .values(Membership::of(user, user.created_at))
        .execute(conn)?;
    if user.active {
        stats::adjust_headcount(conn, &user.org_id, user.department_id.as_deref(), 1)?;
    }
    Ok(inserted)
}

/// Rows per INSERT: under SQLite's and PostgreSQL's limits on bound parameters.
const INSERT_CHUNK: usize = 1_000;

/// Many people at once, as an import or the demo adds them.
pub fn insert_many(conn: &mut DbConn, rows: &[UserRow]) -> QueryResult<()> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        insert_batch!(conn, users::table, chunk)?;
        let history: Vec<Membership<'_>> = chunk
            .iter()
            .map(|u| Membership::of(u, u.created_at))
            .collect();
        insert_batch!(conn, membership_history::table, &history)?;
    }
    let mut added: std::collections::HashMap<(&str, Option<&str>), i32> = Default::default();
    for user in rows.iter().filter(|u| u.active) {
        *added
            .entry((user.org_id.as_str(), user.department_id.as_deref()))
            .or_default() += 1;
    }
    for ((org_id, department), n) in added {
        stats::adjust_headcount(conn, org_id, department, n)?;
    }
    Ok(())
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(email))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// A person together with their organization: what every authenticated request needs.
pub fn find_with_org(
    conn: &mut DbConn,
    user_id: &str,
) -> QueryResult<Option<(UserRow, OrganizationRow)>> {
    users::table
        .inner_join(organizations::table)
        .filter(users::id.eq(user_id))
        .select((UserRow::as_select(), OrganizationRow::as_select()))
        .first(conn)
        .optional()
}

/// Sets a new password and bumps the token version, which revokes every token issued before.
/// Returns false when the version moved meanwhile (the link was already used).
pub fn set_password(
    conn: &mut DbConn,
    user_id: &str,
    expected_version: i32,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::token_version.eq(expected_version))
            .filter(users::active.eq(true)),
    )
    .set((
        users::password_hash.eq(hash),
        users::token_version.eq(expected_version + 1),
        users::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// The kinds of set-password links, each numbered on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Invitation,
    Reset,
}

/// Counts one more link of `kind` for the person and returns its number; the links of that
/// kind before it stop working.
pub fn next_link_number(conn: &mut DbConn, user_id: &str, kind: LinkKind) -> QueryResult<i32> {
    let person = users::table.find(user_id);
    match kind {
        LinkKind::Invitation => diesel::update(person)
            .set(users::invitation_link.eq(users::invitation_link + 1))
            .execute(conn)?,
        LinkKind::Reset => diesel::update(person)
            .set(users::reset_link.eq(users::reset_link + 1))
            .execute(conn)?,
    };
    latest_link_number(conn, user_id, kind)
}

/// The number of the person's latest link of `kind` (0 for the first invitation of a person
/// just added).
pub fn latest_link_number(conn: &mut DbConn, user_id: &str, kind: LinkKind) -> QueryResult<i32> {
    let person = users::table.find(user_id);
    match kind {
        LinkKind::Invitation => person.select(users::invitation_link).first(conn),
        LinkKind::Reset => person.select(users::reset_link).first(conn),
    }
}

/// Bumps the token version of a person of `org_id`, which revokes every token issued to them
/// before. Returns false when there is no such person.
pub fn bump_token_version(
    conn: &mut DbConn,
    org_id: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        users::table
            .filter(users::org_id.eq(org_id))
            .filter(users::id.eq(user_id)),
    )
    .set((
        users::token_version.eq(users::token_version + 1),
        users::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn find_with_email_and_org(
    conn: &mut DbConn,
    email: &str,
) -> QueryResult<Option<(UserRow, OrganizationRow)>> {
    users::table
        .inner_join(organizations::table)
        .filter(users::email.eq(email))
        .select((UserRow::as_select(), OrganizationRow::as_select()))
        .first(conn)
        .optional()
}

/// A person of the organization; an erased person is no longer found.
pub fn find_in_org(conn: &mut DbConn, org_id: &str, id: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::id.eq(id))
        .filter(users::erased_at.is_null())
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Active people per department.
/// People of an organization by id, for callers that would otherwise look them up one by one.
pub fn find_many_in_org(
    conn: &mut DbConn,
    org_id: &str,
    ids: &[&str],
) -> QueryResult<Vec<UserRow>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1_000) {
        found.extend(
            users::table
                .filter(users::org_id.eq(org_id))
                .filter(users::id.eq_any(chunk))
                .select(UserRow::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

pub fn members_per_department(conn: &mut DbConn, org_id: &str) -> QueryResult<Vec<(String, i64)>> {
    let rows: Vec<(Option<String>, i64)> = users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::active.eq(true))
        .filter(users::department_id.is_not_null())
        .group_by(users::department_id)
        .select((users::department_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(d, n)| d.map(|d| (d, n)))
        .collect())
}

diesel::define_sql_function! {
    /// Lower case, for searches that ignore case on both databases.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    #[sql_name = "lower"]
    fn lower_nullable(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// Which people a listing asks for.
pub struct PeopleFilter {
    pub org_id: String,
    /// Only people in these departments; `None` for everyone.
    pub departments: Option<Vec<String>>,
    pub role: Option<String>,
    pub active: Option<bool>,
    /// Part of a name, e-mail or employee number.
    pub text: Option<String>,
}

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn filtered(filter: &PeopleFilter) -> users::BoxedQuery<'static, super::Backend> {
    let mut query = users::table
        .filter(users::org_id.eq(filter.org_id.clone()))
        .filter(users::erased_at.is_null())
        .into_boxed();
    if let Some(departments) = &filter.departments {
        query = query.filter(users::department_id.eq_any(departments.clone()));
    }
    if let Some(role) = &filter.role {
        query = query.filter(users::role.eq(role.clone()));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let pattern = escape_like(text.trim());
        query = query.filter(
            lower(users::name)
                .like(pattern.clone())
                .escape('\\')
                .or(users::email.like(pattern.clone()).escape('\\'))
                .or(lower_nullable(users::employee_no)
                    .like(pattern)
                    .escape('\\')),
        );
    }
    query
}

/// One page of people, sorted by name, and how many match in all.
pub fn search(
    conn: &mut DbConn,
    filter: &PeopleFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<UserRow>, i64)> {
    let total = filtered(filter).count().get_result(conn)?;
    let rows = filtered(filter)
        .order((users::name.asc(), users::id.asc()))
        .offset(offset)
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub fn find_by_employee_no(
    conn: &mut DbConn,
    org_id: &str,
    employee_no: &str,
) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::employee_no.eq(employee_no))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Writes every editable field of a person back, and remembers a move or (de)activation
/// from `user.updated_at` on, counting their check-ins of open days where they now belong.
pub fn save(conn: &mut DbConn, before: &UserRow, user: &UserRow) -> QueryResult<usize> {
    let saved = save_without_recount(conn, before, user)?;
    if moved_or_activated(before, user) {
        // The day of the change in any zone starts no earlier than a day before UTC's.
        let from = user.updated_at.date() - chrono::Duration::days(1);
        stats::recount_person_open_days(conn, &user.org_id, &user.id, from, None)?;
    }
    Ok(saved)
}

pub fn moved_or_activated(before: &UserRow, user: &UserRow) -> bool {
    (before.department_id.as_deref(), before.active) != (user.department_id.as_deref(), user.active)
}

/// `save` for many people at once: the caller recounts open days afterwards, only for those
/// who have check-ins there (see `recount_many_open_days`).
pub fn save_without_recount(
    conn: &mut DbConn,
    before: &UserRow,
    user: &UserRow,
) -> QueryResult<usize> {
    if moved_or_activated(before, user) {
        diesel::insert_into(membership_history::table)
            .values(Membership::of(user, user.updated_at))
            .execute(conn)?;
        if before.active {
            stats::adjust_headcount(conn, &user.org_id, before.department_id.as_deref(), -1)?;
        }
        if user.active {
            stats::adjust_headcount(conn, &user.org_id, user.department_id.as_deref(), 1)?;
        }
    }
    diesel::update(users::table.find(&user.id))
        .set((
            users::email.eq(&user.email),
            users::name.eq(&user.name),
            users::employee_no.eq(&user.employee_no),
            users::role.eq(&user.role),
            users::department_id.eq(&user.department_id),
            users::token_version.eq(user.token_version),
            users::active.eq(user.active),
            users::timezone.eq(&user.timezone),
            users::locale.eq(&user.locale),
            users::updated_at.eq(user.updated_at),
            users::deactivated_at.eq(user.deactivated_at),
        ))
        .execute(conn)
}

/// Which of `emails` have an account, in any organization.
pub fn emails_in_use(conn: &mut DbConn, emails: &[&str]) -> QueryResult<Vec<String>> {
    users::table
        .filter(users::email.eq_any(emails))
        .select(users::email)
        .load(conn)
}

/// Every person of the organization, for imports that match by e-mail.
pub fn all_in_org(conn: &mut DbConn, org_id: &str) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::org_id.eq(org_id))
        .select(UserRow::as_select())
        .load(conn)
}

/// Recounts the open days of the people among `user_ids` who have check-ins on or after
/// `from`: one query per thousand people, then one recount per person found.
pub fn recount_many_open_days(
    conn: &mut DbConn,
    org_id: &str,
    user_ids: &[String],
    from: chrono::NaiveDate,
) -> QueryResult<()> {
    use super::schema::checkins;
    if user_ids.is_empty() {
        return Ok(());
    }
    // Every day's lock first, in date order. The recounts below take them person by person,
    // each in date order but starting again with the next person, and a batch of first
    // check-ins holding two days of the organization (people either side of midnight) could
    // otherwise wait on this import in a circle.
    let days: Vec<chrono::NaiveDate> = checkins::table
        .filter(checkins::org_id.eq(org_id))
        .filter(checkins::day.ge(from))
        .select(checkins::day)
        .distinct()
        .order(checkins::day.asc())
        .load(conn)?;
    for day in days {
        stats::lock_day(conn, org_id, day, stats::DayLock::Exclusive)?;
    }
    for chunk in user_ids.chunks(1_000) {
        let mut found: Vec<String> = checkins::table
            .filter(checkins::org_id.eq(org_id))
            .filter(checkins::day.ge(from))
            .filter(checkins::user_id.eq_any(chunk))
            .select(checkins::user_id)
            .load(conn)?;
        found.sort();
        found.dedup();
        for user_id in found {
            stats::recount_person_open_days(conn, org_id, &user_id, from, None)?;
        }
    }
    Ok(())
}

/// Active people who have no check-in for `day` and no leave covering it, in their current
/// department (`departments`: only these): who is missing today. The one place that says so;
/// the unreported list and reminder planning narrow, order and select from it.
pub fn missing_on<'a>(
    org_id: &'a str,
    day: chrono::NaiveDate,
    departments: Option<&std::collections::HashSet<String>>,
) -> users::BoxedQuery<'a, <DbConn as diesel::Connection>::Backend> {
    use super::schema::{checkins, leaves};
    let mut query = users::table
        .filter(users::org_id.eq(org_id))
        .filter(users::active.eq(true))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            checkins::table
                .filter(checkins::user_id.eq(users::id))
                .filter(checkins::day.eq(day)),
        )))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            leaves::table
                .filter(leaves::user_id.eq(users::id))
                .filter(leaves::start_date.le(day))
                .filter(leaves::end_date.ge(day)),
        )))
        .into_boxed();
    if let Some(ids) = departments {
        query = query.filter(users::department_id.eq_any(ids.iter().cloned().collect::<Vec<_>>()));
    }
    query
}

/// Replaces a person's name, e-mail and employee number with a pseudonym, and removes their
/// password and language: what identified them is gone, their id (and so the numbers they
/// counted in) stays.
pub fn erase(
    conn: &mut DbConn,
    user: &UserRow,
    pseudonym: &str,
    now: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(&user.id))
        .set((
            users::name.eq(pseudonym),
            users::email.eq(format!("erased-{}@erased.invalid", user.id)),
            users::employee_no.eq(None::<String>),
            users::password_hash.eq(None::<String>),
            users::locale.eq(None::<String>),
            users::token_version.eq(user.token_version + 1),
            users::updated_at.eq(now),
            users::erased_at.eq(Some(now)),
        ))
        .execute(conn)
}
