//! SMRM on Citus: every tenant table distributed by `tenant_id`, colocated
//! with `tenants` (distributed by its `id`), so that all of a tenant's rows
//! live in one shard group and every tenant-scoped statement routes to one
//! worker; the global tables become reference tables (a copy on every node).
//!
//! [`setup`] works on the current schema (the connection's `search_path`),
//! in the order the foreign keys need (a table after the tables it refers
//! to), skips what is placed already, and refuses a table it cannot place
//! (no `tenant_id`, not a known global table) instead of leaving it local.
//! `SqlStore::migrate` runs it after the migrations whenever the `citus`
//! extension is installed, so a database stays fully placed as migrations add
//! tables; `smrm citus setup` runs it by hand.
//!
//! A migration that adds a tenant table to a database already on Citus needs
//! nothing special: with the coordinator in Citus's metadata (the README's
//! `citus_set_coordinator_host`), Citus accepts a new table whose foreign keys
//! refer to distributed tables, and the `setup` that follows the migrations
//! distributes it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

/// Tables that are not tenant-owned and are read by every tenant's requests:
/// a copy on every node. `user_emails` is the login directory (an address
/// names no tenant); it has no foreign keys, which Citus refuses from a
/// reference table to a distributed one.
pub const REFERENCE_TABLES: &[&str] = &["user_emails"];

/// sea-orm's own bookkeeping: stays on the coordinator.
const LOCAL_TABLES: &[&str] = &["seaql_migrations"];

/// The table every tenant table is colocated with.
const ROOT: &str = "tenants";

/// What [`setup`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Setup {
    /// Tables it distributed by tenant, in the order it did.
    pub distributed: Vec<String>,
    /// Tables it made reference tables.
    pub reference: Vec<String>,
    /// Tables that were placed already.
    pub already: usize,
}

/// How a table is placed on Citus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// `tenants`: distributed by `id`.
    Root,
    /// Distributed by `tenant_id`, colocated with `tenants`.
    Tenant,
    Reference,
}

/// Whether the database is PostgreSQL with the `citus` extension installed.
pub async fn installed<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(false);
    }
    let sql = "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AS citus";
    let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
    Ok(row.map(|r| r.try_get::<bool>("", "citus")).transpose()?.unwrap_or(false))
}

/// Places every table of the current schema on the Citus cluster (see the
/// module's documentation). Idempotent.
pub async fn setup<C: ConnectionTrait>(db: &C) -> Result<Setup, DbErr> {
    if !installed(db).await? {
        return Err(DbErr::Custom("the `citus` extension is not installed in this database".into()));
    }
    let pg = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_owned());
    let rows = db
        .query_all_raw(pg("SELECT c.relname AS name, \
                   EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid \
                           AND a.attname = 'tenant_id' AND NOT a.attisdropped) AS tenant_keyed, \
                   EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = c.oid \
                           AND (p.partmethod = 'h' OR p.repmodel = 't')) AS placed \
               FROM pg_class c \
               WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') \
               ORDER BY c.relname"))
        .await?;
    let mut report = Setup::default();
    let mut todo = Vec::new();
    for row in rows {
        let name: String = row.try_get("", "name")?;
        if LOCAL_TABLES.contains(&name.as_str()) {
            continue;
        }
        if row.try_get::<bool>("", "placed")? {
            report.already += 1;
            continue;
        }
        let placement = placement(&name, row.try_get("", "tenant_keyed")?)?;
        todo.push((name, placement));
    }
    let edges = db
        .query_all_raw(pg("SELECT ch.relname AS child, pa.relname AS parent FROM pg_constraint k \
               JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid \
               WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace"))
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get::<String>("", "child")?, r.try_get::<String>("", "parent")?)))
        .collect::<Result<Vec<_>, DbErr>>()?;
    // The table's name is bound, not pasted: it comes from the catalog,
    // where any name is possible.
    const TABLE: &str = "format('%I.%I', current_schema(), $1::text)::regclass";
    for (name, placement) in order(todo, &edges)? {
        let sql = match placement {
            // A colocation group of SMRM's own, not the cluster's default
            // one for uuid keys, which another schema's tables may share.
            Placement::Root => format!("SELECT create_distributed_table({TABLE}, 'id', colocate_with => 'none')"),
            Placement::Tenant => format!(
                "SELECT create_distributed_table({TABLE}, 'tenant_id', \
                 colocate_with => format('%I.%I', current_schema(), '{ROOT}'))"
            ),
            Placement::Reference => format!("SELECT create_reference_table({TABLE})"),
        };
        let placing = Statement::from_sql_and_values(DbBackend::Postgres, sql, [name.clone().into()]);
        if let Err(e) = db.execute_raw(placing).await {
            // Another replica starting at the same time placed it first.
            if placed(db, &name).await? {
                report.already += 1;
                continue;
            }
            return Err(e);
        }
        match placement {
            Placement::Reference => report.reference.push(name),
            _ => report.distributed.push(name),
        }
    }
    Ok(report)
}

/// Whether the table `name` of the current schema is placed (after a
/// failed attempt to place it).
async fn placed<C: ConnectionTrait>(db: &C, name: &str) -> Result<bool, DbErr> {
    let sql = "SELECT EXISTS (SELECT 1 FROM pg_dist_partition \
               WHERE logicalrelid = format('%I.%I', current_schema(), $1::text)::regclass \
               AND (partmethod = 'h' OR repmodel = 't')) AS placed";
    let row = db.query_one_raw(Statement::from_sql_and_values(DbBackend::Postgres, sql, [name.into()])).await?;
    Ok(row.map(|r| r.try_get::<bool>("", "placed")).transpose()?.unwrap_or(false))
}

fn placement(name: &str, tenant_keyed: bool) -> Result<Placement, DbErr> {
    if name == ROOT {
        Ok(Placement::Root)
    } else if REFERENCE_TABLES.contains(&name) {
        Ok(Placement::Reference)
    } else if tenant_keyed {
        Ok(Placement::Tenant)
    } else {
        Err(DbErr::Custom(format!(
            "table `{name}` has no tenant_id and is not a known global table: SMRM cannot place it on Citus \
             (give it tenant_id, or list it in smrm_migrations::citus::REFERENCE_TABLES)"
        )))
    }
}

/// The tables in an order where each comes after every table it refers to,
/// and every tenant table after `tenants` (it is colocated with it, foreign
/// key or not): Kahn's algorithm, ties by name so the order is stable.
/// Tables placed already, and self-references, constrain nothing.
fn order(todo: Vec<(String, Placement)>, edges: &[(String, String)]) -> Result<Vec<(String, Placement)>, DbErr> {
    let mut left = todo;
    let mut done = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let waiting = |(name, placement): &(String, Placement), left: &[(String, Placement)]| {
            let after = |parent: &str| left.iter().any(|(t, _)| t == parent);
            (*placement == Placement::Tenant && after(ROOT))
                || edges.iter().any(|(child, parent)| child == name && parent != name && after(parent))
        };
        let Some(i) = (0..left.len()).find(|&i| !waiting(&left[i], &left)) else {
            let names: Vec<&str> = left.iter().map(|(t, _)| t.as_str()).collect();
            return Err(DbErr::Custom(format!("foreign keys form a cycle among {}", names.join(", "))));
        };
        done.push(left.remove(i));
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[(String, Placement)]) -> Vec<&str> {
        v.iter().map(|(t, _)| t.as_str()).collect()
    }

    #[test]
    fn tables_come_after_the_tables_they_refer_to() {
        let todo = ["mentions", "posts", "brands", "tenants", "user_emails"]
            .map(|t| (t.to_owned(), placement(t, t != "tenants" && t != "user_emails").unwrap()))
            .to_vec();
        let edges = [
            ("mentions", "posts"),
            ("mentions", "brands"),
            ("posts", "tenants"),
            ("brands", "tenants"),
            ("brands", "brands"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()));
        let done = order(todo, &edges).unwrap();
        assert_eq!(names(&done), ["tenants", "posts", "brands", "mentions", "user_emails"]);
        assert_eq!(done[0].1, Placement::Root);
        assert_eq!(done[4].1, Placement::Reference);
        assert!(done[1..4].iter().all(|(_, p)| *p == Placement::Tenant));
    }

    #[test]
    fn tenants_comes_before_a_tenant_table_without_a_foreign_key_to_it() {
        let todo = ["alerts", "tenants"].map(|t| (t.to_owned(), placement(t, t != "tenants").unwrap())).to_vec();
        assert_eq!(names(&order(todo, &[]).unwrap()), ["tenants", "alerts"]);
    }

    #[test]
    fn a_table_placed_already_constrains_nothing_and_a_cycle_is_refused() {
        let todo = vec![("mentions".to_owned(), Placement::Tenant)];
        let edges = [("mentions".to_owned(), "tenants".to_owned())];
        assert_eq!(names(&order(todo, &edges).unwrap()), ["mentions"]);
        let todo = vec![("a".to_owned(), Placement::Tenant), ("b".to_owned(), Placement::Tenant)];
        let edges = [("a", "b"), ("b", "a")].map(|(a, b)| (a.to_owned(), b.to_owned()));
        let err = order(todo, &edges).unwrap_err().to_string();
        assert!(err.contains("cycle among a, b"), "{err}");
    }

    #[test]
    fn a_table_without_tenant_that_is_not_global_is_refused() {
        let err = placement("scratch", false).unwrap_err().to_string();
        assert!(err.contains("`scratch` has no tenant_id"), "{err}");
        assert_eq!(placement("scratch", true).unwrap(), Placement::Tenant);
    }
}
