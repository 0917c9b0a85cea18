//! Who, by name: the unreported and the abnormal of a day, within a set of departments.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::counts::Counts;
use super::expected::{DayReplay, LeaveCalendar};
use crate::db::checkins::CheckinRow;
use crate::db::organizations::OrganizationRow;
use crate::db::schema::{checkins, users};
use crate::db::users::UserRow;
use crate::db::DbConn;
use crate::domain::expectation::exemption;

/// Keys looked up in one query: well under SQLite's limit of bound values.
pub(super) const KEYS_PER_QUERY: usize = 5_000;

/// A person as a list shows them, with the department they were in that day.
#[derive(Clone, Debug)]
pub struct Listed {
    pub user: UserRow,
    pub department_id: Option<String>,
}

/// Which part of a long list to return: `limit` people, after skipping `offset` of those who
/// come after `after` in the list's order (the whole list when `after` is `None`).
#[derive(Clone, Debug)]
pub struct Window {
    pub offset: i64,
    pub limit: i64,
    pub after: Option<After>,
}

impl Window {
    /// The first `limit` people of the whole list.
    pub fn first(limit: i64) -> Self {
        Self {
            offset: 0,
            limit,
            after: None,
        }
    }
}

/// A place in a list's order (by name, then by id): the person a page starts after. A page
/// that starts there costs what the first page costs, where an offset is read past.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct After {
    pub name: String,
    pub id: String,
}

impl After {
    /// Whether `(name, id)` comes after this place, in the order of bytes (SQLite's, and the
    /// order lists sorted here take).
    fn is_before(&self, name: &str, id: &str) -> bool {
        (self.name.as_str(), self.id.as_str()) < (name, id)
    }
}

/// Whether a `users` row comes after `$after` (an `&After`) in order of `$name` (the name,
/// or an expression of it), then of ids: a condition the database can start an index of
/// names at, since `name >= …` bounds it and the rest only breaks ties. As a filter it
/// keeps the rows after the place; as a selected column it says which those are.
macro_rules! after_in_name_order {
    ($name:expr, $after:expr) => {{
        let after: &After = $after;
        $name.ge(after.name.clone()).and(
            $name
                .gt(after.name.clone())
                .or(users::id.gt(after.id.clone())),
        )
    }};
}

/// A page of a list, and how many there are in all when this function knows it cheaply
/// (`None`: the caller takes the count from the day's numbers).
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: Option<i64>,
    /// Whether the window was read to its limit, so that more may follow its last item. (An
    /// item read and then gone, such as a check-in taken back between two reads, is not in
    /// `items`, but the page still counts as full.)
    pub full: bool,
}

/// Whether `read` items fill a window of `limit`.
fn fills(read: usize, limit: i64) -> bool {
    limit > 0 && read as i64 >= limit
}

/// A list in its order, each item with whether it comes after the window's place (all of
/// them when there is none): those after it are the end of the order.
type Placed<T> = Vec<(T, bool)>;

/// `all` in the order of bytes of `place` (name, then id: SQLite's order), each with whether
/// it comes after `after`.
fn in_byte_order<T>(
    mut all: Vec<T>,
    after: Option<&After>,
    place: impl Fn(&T) -> (&str, &str),
) -> Placed<T> {
    all.sort_unstable_by(|a, b| place(a).cmp(&place(b)));
    all.into_iter()
        .map(|item| {
            let (name, id) = place(&item);
            let later = after.is_none_or(|a| a.is_before(name, id));
            (item, later)
        })
        .collect()
}

/// The window's part of `all`; the total counts every item, those before the place too.
fn slice<T>(mut all: Placed<T>, window: &Window) -> Page<T> {
    let total = all.len() as i64;
    let skipped = all.partition_point(|(_, later)| !later);
    let start = (skipped + window.offset.max(0) as usize).min(all.len());
    let end = (start + window.limit.max(0) as usize).min(all.len());
    Page {
        items: all.drain(start..end).map(|(item, _)| item).collect(),
        total: Some(total),
        full: fills(end - start, window.limit),
    }
}

/// People expected on `day` who have not reported, sorted by name.
pub fn unreported(
    conn: &mut DbConn,
    org: &OrganizationRow,
    day: NaiveDate,
    today: NaiveDate,
    scope: Option<&HashSet<String>>,
    window: &Window,
) -> QueryResult<Page<Listed>> {
    let settings = org.settings()?;
    if exemption(&settings, day, false).is_some() {
        return Ok(Page {
            items: Vec::new(),
            total: Some(0),
            full: false,
        });
    }
    if day >= today {
        let page = |conn: &mut DbConn| -> QueryResult<Vec<UserRow>> {
            let query = crate::db::users::missing_on(&org.id, day, scope);
            // The whole organization: walk people in name order and stop at the page's end.
            // Some departments on SQLite: take their people by department and sort those,
            // instead of walking everyone in name order to find them (`|| ''` keeps the name
            // index out of it); PostgreSQL's planner chooses well by itself.
            let query = match (scope, &*conn, &window.after) {
                (Some(_), DbConn::Sqlite(_), after) => {
                    let query = match after {
                        Some(after) => {
                            query.filter(after_in_name_order!(users::name.concat(""), after))
                        }
                        None => query,
                    };
                    query.order((users::name.concat("").asc(), users::id.asc()))
                }
                (_, _, after) => {
                    let query = match after {
                        Some(after) => query.filter(after_in_name_order!(users::name, after)),
                        None => query,
                    };
                    query.order((users::name.asc(), users::id.asc()))
                }
            };
            query
                .offset(window.offset)
                .limit(window.limit)
                .select(UserRow::as_select())
                .load(conn)
        };
        let rows = match conn {
            // A walk that stops after a page is no work to share: starting a parallel worker
            // for it took longer than the walk (14 to 19 ms instead of 6 at 100,000 people).
            DbConn::Postgres(_) => conn.transaction(|c| {
                c.batch("SET LOCAL max_parallel_workers_per_gather = 0")?;
                page(c)
            })?,
            DbConn::Sqlite(_) => page(conn)?,
        };
        let full = fills(rows.len(), window.limit);
        let items = rows
            .into_iter()
            .map(|user| Listed {
                department_id: user.department_id.clone(),
                user,
            })
            .collect();
        return Ok(Page {
            items,
            total: None,
            full,
        });
    }
    Ok(slice(
        unreported_on_past_day(conn, org, day, scope, window.after.as_ref())?,
        window,
    ))
}

/// Who was missing on a past day, in the list's order: the database's order of names (then
/// ids), as today's list is, so that a list read across midnight keeps its order.
fn unreported_on_past_day(
    conn: &mut DbConn,
    org: &OrganizationRow,
    day: NaiveDate,
    scope: Option<&HashSet<String>>,
    after: Option<&After>,
) -> QueryResult<Placed<Listed>> {
    let mut replay = DayReplay::load(conn, org, day)?;
    let leave = LeaveCalendar::load(conn, &org.id, day, day)?;
    let away = leave.away_on(day);
    let reported: HashSet<String> = checkins::table
        .filter(checkins::org_id.eq(&org.id))
        .filter(checkins::day.eq(day))
        .select(checkins::user_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    // Who was missing, with the department they were in that day.
    let missing: HashMap<&str, Option<&str>> = replay
        .advance_to(day)
        .members
        .iter()
        .filter(|(user, m)| {
            m.active
                && !away.contains(user.as_str())
                && !reported.contains(user.as_str())
                && crate::access::covers(scope, m.department_id.as_deref())
        })
        .map(|(user, m)| (user.as_str(), m.department_id.as_deref()))
        .collect();
    let ids: Vec<&str> = missing.keys().copied().collect();
    let listed = |user: UserRow| {
        let department_id = missing
            .get(user.id.as_str())
            .copied()
            .flatten()
            .map(str::to_string);
        Listed {
            user,
            department_id,
        }
    };
    match conn {
        // Every key at once, as one array, ordered and placed in PostgreSQL's collation.
        DbConn::Postgres(_) => {
            let query = users::table
                .filter(users::id.eq_any(&ids))
                .filter(users::erased_at.is_null())
                .order((users::name.asc(), users::id.asc()));
            let rows: Vec<(UserRow, bool)> = match after {
                Some(after) => query
                    .select((
                        UserRow::as_select(),
                        after_in_name_order!(users::name, after),
                    ))
                    .load(conn)?,
                None => query
                    .select(UserRow::as_select())
                    .load::<UserRow>(conn)?
                    .into_iter()
                    .map(|user| (user, true))
                    .collect(),
            };
            Ok(rows
                .into_iter()
                .map(|(user, later)| (listed(user), later))
                .collect())
        }
        DbConn::Sqlite(_) => {
            let mut out = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(1_000) {
                let rows: Vec<UserRow> = users::table
                    .filter(users::id.eq_any(chunk))
                    .filter(users::erased_at.is_null())
                    .select(UserRow::as_select())
                    .load(conn)?;
                out.extend(rows.into_iter().map(listed));
            }
            Ok(in_byte_order(out, after, |p| (&p.user.name, &p.user.id)))
        }
    }
}

/// Abnormal check-ins of `day` with their people, under the department of that day, in
/// order of names.
///
/// A whole organization's list, on PostgreSQL, is read the cheapest of three ways for the page
/// asked (`cheapest_reading`): walking people in name order to the page's end, each looked up
/// among the day's abnormal check-ins by index or in a hash of them built first
/// (`abnormal_in_name_order`, `Walk`), or reading every abnormal check-in of the day and their
/// people's names by key (`abnormal_by_key`). Everything else reads by key.
pub fn abnormal(
    conn: &mut DbConn,
    org: &OrganizationRow,
    (day, today): (NaiveDate, NaiveDate),
    scope: Option<&HashSet<String>>,
    window: &Window,
) -> QueryResult<Page<(Listed, CheckinRow)>> {
    if let (DbConn::Postgres(_), None) = (&*conn, scope) {
        // The day's count, erased people's and the page from one moment: check-ins arriving
        // in between would otherwise set the total apart from the pages.
        return conn.snapshot(|c| {
            let mut whole = Counts::default();
            for counts in super::counts::day_counts(c, org, day, today)?.values() {
                whole.add(counts);
            }
            match cheapest_reading(&whole, window) {
                Reading::WalkProbing => {
                    abnormal_in_name_order(c, org, day, whole.abnormal, window, Walk::Probing)
                }
                Reading::WalkHashing => {
                    abnormal_in_name_order(c, org, day, whole.abnormal, window, Walk::Hashing)
                }
                Reading::ByKey => abnormal_by_key(c, org, day, scope, window),
            }
        });
    }
    abnormal_by_key(conn, org, day, scope, window)
}

/// How a page of a whole organization's abnormal list is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reading {
    WalkProbing,
    WalkHashing,
    ByKey,
}

/// How a walk in name order tells an abnormal person from the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Walk {
    /// An index probe per person among the day's abnormal check-ins.
    Probing,
    /// A hash of the day's abnormal people built first, then a lookup in it per person.
    Hashing,
}

/// The most abnormal people a hashing walk takes: PostgreSQL hashes the subquery only while
/// its rows fit in `work_mem` (4 MiB by default, twice that for a hash), and otherwise reads
/// them again for every person walked. 25,000 ids take about 2 MiB.
const MOST_HASHED: i64 = 25_000;

/// The reading with the least estimated work, in relative weights (tenths of a microsecond)
/// from `EXPLAIN ANALYZE` on PostgreSQL at 100,000 people (1,814 abnormal) and a million
/// (18,375): a walk meets one abnormal person in every `people / abnormal`; a probing walk costs
/// 2 µs a person met (1 to 3 µs measured), a hashing walk 0.4 µs a person met after 1.2 µs an
/// abnormal person to build its hash, and reading by key 5 µs an abnormal person (their
/// names read by key and sorted; 5 µs at 100,000 people, more at a million).
fn cheapest_reading(day: &Counts, window: &Window) -> Reading {
    if day.abnormal <= 0 {
        return Reading::ByKey;
    }
    let people = day.expected + day.exempt + day.reported_unexpected;
    let end = window.offset.max(0) + window.limit.max(0);
    let met = end.saturating_mul(people) / day.abnormal;
    let probing = met.saturating_mul(20);
    let hashing = if day.abnormal <= MOST_HASHED {
        day.abnormal
            .saturating_mul(12)
            .saturating_add(met.saturating_mul(4))
    } else {
        i64::MAX
    };
    let by_key = day.abnormal.saturating_mul(50);
    if probing <= hashing && probing <= by_key {
        Reading::WalkProbing
    } else if hashing <= by_key {
        Reading::WalkHashing
    } else {
        Reading::ByKey
    }
}

/// A page of the abnormal list read by walking everyone in name order (the index of listed
/// people by name, read alone), stopping at the page's end: 10 ms for a first page of 50 at a
/// million people, where reading 18,000 abnormal check-ins and their people by key took
/// 300 ms. The total is the day's abnormal count, less erased people's, who are in no list.
fn abnormal_in_name_order(
    conn: &mut DbConn,
    org: &OrganizationRow,
    day: NaiveDate,
    counted: i64,
    window: &Window,
    walk: Walk,
) -> QueryResult<Page<(Listed, CheckinRow)>> {
    let abnormal_that_day = || {
        checkins::table
            .filter(checkins::org_id.eq(org.id.clone()))
            .filter(checkins::day.eq(day))
            // As the partial indexes are written, so that they are used.
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                "checkins.abnormal",
            ))
    };
    let erased: i64 = abnormal_that_day()
        .inner_join(users::table.on(users::id.eq(checkins::user_id)))
        .filter(users::org_id.eq(&org.id))
        .filter(users::erased_at.is_not_null())
        .count()
        .get_result(conn)?;
    // As for today's unreported list: a walk that stops after a page is no work to share.
    // A probing walk was chosen as the cheaper; left to itself, PostgreSQL at 100,000 people
    // hashed the whole people table for it instead (60 to 80 ms).
    // (`SET LOCAL`: this runs in the caller's transaction.)
    conn.batch(match walk {
        Walk::Probing => {
            "SET LOCAL max_parallel_workers_per_gather = 0; \
             SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
        }
        Walk::Hashing => "SET LOCAL max_parallel_workers_per_gather = 0",
    })?;
    let (items, full) = match walk {
        Walk::Probing => {
            let walk = abnormal_that_day()
                .inner_join(users::table.on(users::id.eq(checkins::user_id)))
                .filter(users::org_id.eq(&org.id))
                .filter(users::erased_at.is_null())
                .into_boxed();
            let rows = match &window.after {
                Some(after) => walk.filter(after_in_name_order!(users::name, after)),
                None => walk,
            }
            .order((users::name.asc(), users::id.asc()))
            .offset(window.offset)
            .limit(window.limit)
            .select((UserRow::as_select(), CheckinRow::as_select()))
            .load::<(UserRow, CheckinRow)>(conn)?;
            let full = fills(rows.len(), window.limit);
            let items = rows
                .into_iter()
                .map(|(user, checkin)| with_checkin(user, checkin))
                .collect();
            (items, full)
        }
        Walk::Hashing => {
            // `IS TRUE` keeps the subquery a filter, which PostgreSQL hashes once, instead of
            // a join, which would give up the walk in name order.
            let walk = users::table
                .filter(users::org_id.eq(&org.id))
                .filter(users::erased_at.is_null())
                .filter(
                    diesel::dsl::sql::<diesel::sql_types::Bool>(
                        "(users.id IN (SELECT c.user_id FROM checkins c WHERE c.org_id = ",
                    )
                    .bind::<diesel::sql_types::Text, _>(org.id.clone())
                    .sql(" AND c.day = ")
                    .bind::<diesel::sql_types::Date, _>(day)
                    .sql(" AND c.abnormal)) IS TRUE"),
                )
                .into_boxed();
            let page: Vec<String> = match &window.after {
                Some(after) => walk.filter(after_in_name_order!(users::name, after)),
                None => walk,
            }
            .order((users::name.asc(), users::id.asc()))
            .offset(window.offset)
            .limit(window.limit)
            .select(users::id)
            .load(conn)?;
            (
                people_with_checkins(conn, day, &page)?,
                fills(page.len(), window.limit),
            )
        }
    };
    Ok(Page {
        items,
        total: Some((counted - erased).max(0)),
        full,
    })
}

/// The people of a page, given by id in the list's order, with their check-ins of `day`.
fn people_with_checkins(
    conn: &mut DbConn,
    day: NaiveDate,
    page: &[String],
) -> QueryResult<Vec<(Listed, CheckinRow)>> {
    let mut people: HashMap<String, UserRow> = users::table
        .filter(users::id.eq_any(page))
        .select(UserRow::as_select())
        .load::<UserRow>(conn)?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    let mut checkins: HashMap<String, CheckinRow> = checkins::table
        .filter(checkins::user_id.eq_any(page))
        .filter(checkins::day.eq(day))
        .select(CheckinRow::as_select())
        .load::<CheckinRow>(conn)?
        .into_iter()
        .map(|c| (c.user_id.clone(), c))
        .collect();
    Ok(page
        .iter()
        .filter_map(|id| Some(with_checkin(people.remove(id)?, checkins.remove(id)?)))
        .collect())
}

/// A person on the abnormal list, under the department their check-in was filed in.
fn with_checkin(user: UserRow, checkin: CheckinRow) -> (Listed, CheckinRow) {
    let listed = Listed {
        user,
        department_id: checkin.department_id.clone(),
    };
    (listed, checkin)
}

/// Every abnormal check-in of the day, then their people's names by key, sorted; then the
/// page's people and check-ins in full. Each step is an index read whatever the planner
/// thinks: as one join sorted by name, SQLite walked everyone in name order, and PostgreSQL
/// hashed the whole people table (30 to 50 ms at 100,000 people).
fn abnormal_by_key(
    conn: &mut DbConn,
    org: &OrganizationRow,
    day: NaiveDate,
    scope: Option<&HashSet<String>>,
    window: &Window,
) -> QueryResult<Page<(Listed, CheckinRow)>> {
    let mut query = checkins::table
        .filter(checkins::org_id.eq(org.id.clone()))
        .filter(checkins::day.eq(day))
        // As the `checkins_abnormal_people` index is written, so that it is used.
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "checkins.abnormal",
        ))
        .into_boxed();
    if let Some(ids) = scope {
        query =
            query.filter(checkins::department_id.eq_any(ids.iter().cloned().collect::<Vec<_>>()));
    }
    // One check-in a person a day: each person once.
    let ids: Vec<String> = query.select(checkins::user_id).load(conn)?;
    // The day's people in the database's order of names (then ids), as every list is, each
    // with whether it comes after `window.after`: erased people are in no list. PostgreSQL
    // takes every key at once, as one array, and compares in its own collation; SQLite, whose
    // order is that of the bytes, takes them in chunks that are sorted and compared here.
    let ordered: Placed<String> = match conn {
        DbConn::Postgres(_) => {
            let query = users::table
                .filter(users::id.eq_any(&ids))
                .filter(users::erased_at.is_null())
                .order((users::name.asc(), users::id.asc()));
            match &window.after {
                Some(after) => query
                    .select((users::id, after_in_name_order!(users::name, after)))
                    .load(conn)?,
                None => query
                    .select(users::id)
                    .load::<String>(conn)?
                    .into_iter()
                    .map(|id| (id, true))
                    .collect(),
            }
        }
        DbConn::Sqlite(_) => {
            let mut named = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(KEYS_PER_QUERY) {
                named.extend(
                    users::table
                        .filter(users::id.eq_any(chunk))
                        .filter(users::erased_at.is_null())
                        .select((users::name, users::id))
                        .load::<(String, String)>(conn)?,
                );
            }
            in_byte_order(named, window.after.as_ref(), |(name, id)| (name, id))
                .into_iter()
                .map(|((_, id), later)| (id, later))
                .collect()
        }
    };
    let Page {
        items: page,
        total,
        full,
    } = slice(ordered, window);
    let items = people_with_checkins(conn, day, &page)?;
    Ok(Page { items, total, full })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(people: i64, abnormal: i64) -> Counts {
        Counts {
            expected: people - 10,
            exempt: 10,
            abnormal,
            ..Counts::default()
        }
    }

    #[test]
    fn each_page_is_read_the_way_that_meets_the_fewest_people() {
        let page = |n: i64| Window {
            offset: (n - 1) * 200,
            limit: 200,
            after: None,
        };
        // A million people, 18,000 abnormal: the first page probes as it walks; later pages
        // hash the abnormal first; the last ones read by key.
        let million = day(1_000_000, 18_000);
        assert_eq!(cheapest_reading(&million, &page(1)), Reading::WalkProbing);
        assert_eq!(cheapest_reading(&million, &page(2)), Reading::WalkHashing);
        assert_eq!(cheapest_reading(&million, &page(5)), Reading::WalkHashing);
        assert_eq!(cheapest_reading(&million, &page(90)), Reading::ByKey);
        // A page after a place, however deep, is read as a first page is.
        let after = Window {
            after: Some(After {
                name: "Wang Wei".into(),
                id: "u-1".into(),
            }),
            ..Window::first(200)
        };
        assert_eq!(cheapest_reading(&million, &after), Reading::WalkProbing);
        // An outbreak, half of a million abnormal: too many to hash, even where hashing would
        // be estimated the cheaper.
        let outbreak = day(1_000_000, 500_000);
        assert_eq!(cheapest_reading(&outbreak, &page(1)), Reading::WalkProbing);
        assert_eq!(
            cheapest_reading(&outbreak, &page(1_000)),
            Reading::WalkProbing
        );
        // 100,000 people, 1,800 abnormal: the first page hashes; a later one reads by key.
        let hundred_thousand = day(100_000, 1_800);
        assert_eq!(
            cheapest_reading(&hundred_thousand, &page(1)),
            Reading::WalkHashing
        );
        assert_eq!(
            cheapest_reading(&hundred_thousand, &page(3)),
            Reading::ByKey
        );
        // The API test's list (`a_long_abnormal_list_pages_in_name_order…`): 39 expected, 2
        // deactivated who reported, 22 abnormal; five a page, 100 and 1,000 a page.
        let small = Counts {
            expected: 39,
            reported_unexpected: 2,
            abnormal: 22,
            ..Counts::default()
        };
        let window = |offset, limit| Window {
            offset,
            limit,
            after: None,
        };
        assert_eq!(
            cheapest_reading(&small, &window(0, 5)),
            Reading::WalkProbing
        );
        for offset in [5, 10, 15, 20] {
            assert_eq!(
                cheapest_reading(&small, &window(offset, 5)),
                Reading::WalkHashing
            );
        }
        assert_eq!(
            cheapest_reading(&small, &window(0, 100)),
            Reading::WalkHashing
        );
        assert_eq!(cheapest_reading(&small, &window(0, 1_000)), Reading::ByKey);
        // Nobody abnormal: nothing to walk for.
        assert_eq!(
            cheapest_reading(&day(1_000_000, 0), &page(1)),
            Reading::ByKey
        );
    }

    #[test]
    fn a_slice_after_a_place_starts_after_it_and_counts_everyone() {
        // Out of order, as chunks of keys come back.
        let all: Vec<(String, String)> = [("Cy", "a"), ("Bo", "c"), ("Ann", "b"), ("Bo", "a")]
            .iter()
            .map(|(n, i)| (n.to_string(), i.to_string()))
            .collect();
        fn place(p: &(String, String)) -> (&str, &str) {
            (&p.0, &p.1)
        }
        let read = |window: Window| -> (Vec<String>, Option<i64>) {
            let page = slice(
                in_byte_order(all.clone(), window.after.as_ref(), place),
                &window,
            );
            let ids = page.items.iter().map(|(n, i)| format!("{n}/{i}")).collect();
            (ids, page.total)
        };
        let after = |name: &str, id: &str, offset, limit| Window {
            offset,
            limit,
            after: Some(After {
                name: name.into(),
                id: id.into(),
            }),
        };
        // Between two people of one name, by id.
        assert_eq!(
            read(after("Bo", "a", 0, 2)),
            (vec!["Bo/c".into(), "Cy/a".into()], Some(4))
        );
        // A place that is nobody's still has its place in the order.
        assert_eq!(read(after("Bo", "b", 1, 5)), (vec!["Cy/a".into()], Some(4)));
        assert_eq!(read(after("Cy", "a", 0, 5)), (vec![], Some(4)));
        assert_eq!(
            read(Window::first(2)),
            (vec!["Ann/b".into(), "Bo/a".into()], Some(4))
        );
    }
}
