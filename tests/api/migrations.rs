//! Both databases get the same migrations, and every `down.sql` undoes its `up.sql`.

use std::collections::BTreeSet;
use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
use health_checkin::db::{ConnectionManager, DbConn, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

use crate::helpers::TestDb;

fn names(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect()
}

#[test]
fn sqlite_and_postgres_have_the_same_migrations() {
    let sqlite = names("migrations/sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("migrations/postgres"));
    for name in &sqlite {
        for side in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("migrations")
                    .join(side)
                    .join(name)
                    .join(file);
                assert!(path.is_file(), "{} is missing", path.display());
            }
        }
    }
}

#[derive(QueryableByName, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Object {
    #[diesel(sql_type = Text)]
    name: String,
}

/// Tables, their columns, indexes and foreign keys, and on PostgreSQL the tables' storage
/// settings, without the migrations' own bookkeeping.
fn schema_objects(conn: &mut DbConn) -> BTreeSet<String> {
    let sql = match conn {
        DbConn::Sqlite(_) => {
            "SELECT type || ':' || name AS name FROM sqlite_master \
             WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '__diesel%' \
             UNION SELECT 'column:' || m.name || '.' || c.name FROM sqlite_master m \
               JOIN pragma_table_info(m.name) c \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '__diesel%' \
             UNION SELECT 'foreign_key:' || m.name || '.' || f.\"from\" || '->' || f.\"table\" \
               FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '__diesel%'"
        }
        DbConn::Postgres(_) => {
            "SELECT 'table:' || tablename AS name FROM pg_tables WHERE schemaname = 'public' \
               AND tablename NOT LIKE '__diesel%' \
             UNION SELECT 'index:' || indexname FROM pg_indexes WHERE schemaname = 'public' \
               AND tablename NOT LIKE '__diesel%' \
             UNION SELECT 'column:' || table_name || '.' || column_name \
               FROM information_schema.columns WHERE table_schema = 'public' \
               AND table_name NOT LIKE '__diesel%' \
             UNION SELECT 'foreign_key:' || conrelid::regclass::text || '.' || conname \
               FROM pg_constraint WHERE contype = 'f' \
               AND connamespace = 'public'::regnamespace \
             UNION SELECT 'options:' || relname || '.' || option FROM pg_class, \
               unnest(reloptions) AS option \
             WHERE relnamespace = 'public'::regnamespace"
        }
    };
    diesel::sql_query(sql)
        .load::<Object>(conn)
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect()
}

fn step(conn: &mut DbConn, up: bool) -> bool {
    fn go<C: MigrationHarness<B>, B: diesel::backend::Backend>(
        c: &mut C,
        source: EmbeddedMigrations,
        up: bool,
    ) -> bool {
        if up {
            match c.pending_migrations(source).unwrap().first() {
                Some(m) => {
                    c.run_migration(m.as_ref()).unwrap();
                    true
                }
                None => false,
            }
        } else {
            c.revert_last_migration(source).unwrap();
            true
        }
    }
    match conn {
        DbConn::Sqlite(c) => go(c, SQLITE_MIGRATIONS, up),
        DbConn::Postgres(c) => go(c, POSTGRES_MIGRATIONS, up),
    }
}

#[test]
fn every_down_migration_undoes_its_up_migration() {
    let db = TestDb::new();
    let mut conn = ConnectionManager::new(db.url.clone()).establish().unwrap();
    let side = match conn {
        DbConn::Sqlite(_) => "sqlite",
        DbConn::Postgres(_) => "postgres",
    };
    let in_order: Vec<String> = names("migrations/sqlite").into_iter().collect();
    let mut steps = 0;
    loop {
        let before = schema_objects(&mut conn);
        if !step(&mut conn, true) {
            break;
        }
        let after_up = schema_objects(&mut conn);
        // A migration for one database only says so on the other with an up.sql of
        // comments alone; every other changes something there.
        if has_statements(side, &in_order[steps]) {
            assert_ne!(before, after_up, "migration {steps} changed nothing");
        } else {
            assert_eq!(before, after_up, "migration {steps} has no statement");
        }
        step(&mut conn, false);
        assert_eq!(
            schema_objects(&mut conn),
            before,
            "down of migration {steps}"
        );
        assert!(step(&mut conn, true));
        steps += 1;
    }
    assert_eq!(steps, names("migrations/sqlite").len());
}

/// Whether `side`'s up.sql of migration `name` says anything but comments.
fn has_statements(side: &str, name: &str) -> bool {
    let up = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(side)
        .join(name)
        .join("up.sql");
    std::fs::read_to_string(&up)
        .unwrap()
        .lines()
        .map(str::trim)
        .any(|line| !line.is_empty() && !line.starts_with("--"))
}

#[test]
fn only_the_vacuum_settings_are_for_postgresql_alone() {
    let one_sided: Vec<String> = names("migrations/sqlite")
        .into_iter()
        .filter(|name| !has_statements("sqlite", name) || !has_statements("postgres", name))
        .collect();
    assert_eq!(
        one_sided,
        ["2020-02-24-000000_checkins_vacuumed_through_the_day"]
    );
    assert!(has_statements("postgres", &one_sided[0]));
}

/// CI runs the suite twice; this makes sure the second run really is on PostgreSQL.
#[test]
fn the_suite_runs_on_the_database_it_was_asked_for() {
    let db = TestDb::new();
    let conn = ConnectionManager::new(db.url.clone()).establish().unwrap();
    let wants_postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    assert_eq!(matches!(conn, DbConn::Postgres(_)), wants_postgres);
}
