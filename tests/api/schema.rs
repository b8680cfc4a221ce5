//! Both backends' migrations must give the same tables and columns.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use crate::helpers::spawn_app;

#[derive(QueryableByName, Debug)]
struct Column {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

type Columns = BTreeMap<(String, String), bool>;

fn columns(conn: &mut hearth::db::Conn) -> Columns {
    let rows: Vec<Column> = match conn {
        hearth::db::Conn::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, (p.\"notnull\" = 0 AND p.pk = 0) AS nullable \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '__diesel%'",
        )
        .load(c)
        .unwrap(),
        hearth::db::Conn::Postgresql(c) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, (is_nullable = 'YES') AS nullable \
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '__diesel%'",
        )
        .load(c)
        .unwrap(),
    };
    rows.into_iter().map(|c| ((c.table_name, c.column_name), c.nullable)).collect()
}

#[tokio::test]
async fn sqlite_and_postgresql_migrations_make_the_same_columns() {
    if std::env::var("HEARTH_TEST_DATABASE_URL").is_err() {
        eprintln!("HEARTH_TEST_DATABASE_URL is not set: the PostgreSQL side of this comparison runs in .ci/run");
        return;
    }
    let pg = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite = hearth::db::Db::open(&hearth::db::DbOptions {
        url: dir.path().join("schema.db").to_string_lossy().into_owned(),
        pool_size: 1,
        min_idle: Some(1),
        sqlite_sync: hearth::db::SqliteSync::Normal,
        write_queue: 1024,
        write_deadline: std::time::Duration::from_secs(2),
    })
    .unwrap();
    let mut lite = sqlite.conn().unwrap();
    hearth::db::migrations::run(&mut lite).unwrap();
    let lite_columns = columns(&mut lite);
    let pg_columns = columns(&mut pg.state.db.conn().unwrap());
    assert!(lite_columns.len() > 20, "the schema was read: {lite_columns:?}");
    assert_eq!(lite_columns, pg_columns);
}
