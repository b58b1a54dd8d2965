//! Small builders so that each table reads as a list of its columns.

use sea_orm_migration::prelude::*;

pub fn uuid(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().not_null().to_owned()
}

pub fn uuid_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().null().to_owned()
}

pub fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().not_null().to_owned()
}

pub fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().null().to_owned()
}

pub fn json(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).json_binary().not_null().to_owned()
}

pub fn time(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().not_null().to_owned()
}

pub fn time_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).timestamp_with_time_zone().null().to_owned()
}

pub fn int_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().null().to_owned()
}

/// A counter or sum that starts at 0.
pub fn sum(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().default(0).to_owned()
}

pub fn blob_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).blob().null().to_owned()
}

/// A primary key over `cols` (which start with `tenant_id` for tenant tables).
pub fn pk(cols: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    for c in cols {
        index.col(*c);
    }
    index.primary().to_owned()
}

/// A foreign key `table(cols) → parent(parent_cols)`.
pub fn fk(
    table: &'static str,
    cols: &[&'static str],
    parent: &'static str,
    parent_cols: &[&'static str],
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    let mut fk = ForeignKey::create();
    fk.name(format!("fk_{table}_{}", cols.join("_"))).from_tbl(table).to_tbl(parent).on_delete(on_delete);
    for c in cols {
        fk.from_col(*c);
    }
    for c in parent_cols {
        fk.to_col(*c);
    }
    fk.to_owned()
}

pub fn index(table: &'static str, name: &str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for c in cols {
        index.col(*c);
    }
    if unique {
        index.unique();
    }
    index.to_owned()
}

/// Sets `target` on the rows of `table` (a tenant table keyed by
/// `(tenant_id, id)`; those `filter` keeps) to what `value` makes of their
/// text columns `inputs`, computed here and written by primary key (one
/// shard per row on Citus).
///
/// For a value that SQL would build with a `STABLE` function over columns
/// (`json_build_object`, …): Citus refuses those in an UPDATE of a
/// distributed table, and SQLite spells them differently anyway.
pub async fn fill_from(
    m: &SchemaManager<'_>,
    table: &'static str,
    target: &'static str,
    inputs: &[&'static str],
    filter: Option<SimpleExpr>,
    value: impl Fn(&[Option<String>]) -> String,
) -> Result<(), DbErr> {
    use sea_orm::prelude::Uuid;
    let db = m.get_connection();
    let backend = db.get_database_backend();
    let mut select = Query::select();
    select.columns(["tenant_id", "id"]).columns(inputs.iter().copied()).from(table);
    if let Some(filter) = filter {
        select.and_where(filter);
    }
    for row in db.query_all(&select).await? {
        let seen =
            inputs.iter().map(|c| row.try_get::<Option<String>>("", c)).collect::<Result<Vec<Option<String>>, _>>()?;
        let update = Query::update()
            .table(table)
            .value(target, value(&seen))
            .and_where(Expr::col("tenant_id").eq(row.try_get::<Uuid>("", "tenant_id")?))
            .and_where(Expr::col("id").eq(row.try_get::<Uuid>("", "id")?))
            .to_owned();
        db.execute_raw(backend.build(&update)).await?;
    }
    Ok(())
}
