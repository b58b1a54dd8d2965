//! The login directory (`user_emails`) loses its foreign key to `users`, so
//! it can be a Citus reference table: Citus refuses a foreign key from a
//! reference table to a distributed one, and a global primary key on
//! `email` cannot be distributed by tenant. Deleting a user removes its
//! address in the same transaction (`SqlStore::delete_user`), which is what
//! the `ON DELETE CASCADE` did. Going back re-adds the key, except on Citus,
//! where it cannot exist.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::*;

const FK: &str = "fk_user_emails_tenant_id_user_id";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (sea-orm-migration only opens one on
    /// PostgreSQL by default): the rebuild drops the table it copied, and
    /// must not stop half-way or let a write slip between copy and drop.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Sqlite {
            return rebuild(m, false).await;
        }
        // `IF EXISTS`: on Citus, going back (`down`) cannot re-add it.
        m.get_connection()
            .execute_unprepared(&format!("ALTER TABLE user_emails DROP CONSTRAINT IF EXISTS {FK}"))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() == DbBackend::Sqlite {
            return rebuild(m, true).await;
        }
        // On Citus the directory is a reference table, and Citus refuses a
        // foreign key from one to a distributed table: it stays without
        // (`delete_user` keeps the two in step either way).
        if crate::citus::installed(m.get_connection()).await? {
            return Ok(());
        }
        m.get_connection()
            .execute_unprepared(
                "DELETE FROM user_emails WHERE NOT EXISTS (SELECT 1 FROM users u \
                 WHERE u.tenant_id = user_emails.tenant_id AND u.id = user_emails.user_id)",
            )
            .await?;
        let mut key = directory_key();
        m.create_foreign_key(key.from_tbl("user_emails").to_owned()).await
    }
}

fn directory_key() -> ForeignKeyCreateStatement {
    fk("user_emails", &["tenant_id", "user_id"], "users", &["tenant_id", "id"], ForeignKeyAction::Cascade)
}

/// SQLite cannot drop or add a foreign key: the table is made again, with
/// or without it, and its rows copied.
async fn rebuild(m: &SchemaManager<'_>, with_key: bool) -> Result<(), DbErr> {
    let db = m.get_connection();
    db.execute_unprepared("DROP TABLE IF EXISTS user_emails_next").await?;
    let mut table = Table::create();
    table
        .table("user_emails_next")
        .col(ColumnDef::new("email").string().not_null().primary_key())
        .col(uuid("tenant_id"))
        .col(uuid("user_id"));
    if with_key {
        table.foreign_key(directory_key().from_tbl("user_emails_next"));
    }
    m.create_table(table.to_owned()).await?;
    // Going back to the key, an address whose user is gone (none should
    // be: `delete_user` removes both) would fail it: such rows are not kept.
    let orphans = if with_key {
        " WHERE EXISTS (SELECT 1 FROM users u WHERE u.tenant_id = user_emails.tenant_id AND u.id = user_emails.user_id)"
    } else {
        ""
    };
    db.execute_unprepared(&format!(
        "INSERT INTO user_emails_next (email, tenant_id, user_id) SELECT email, tenant_id, user_id FROM user_emails{orphans}"
    ))
    .await?;
    m.drop_table(Table::drop().table("user_emails").to_owned()).await?;
    m.rename_table(Table::rename().table("user_emails_next", "user_emails").to_owned()).await?;
    m.create_index(index("user_emails", "ix_user_emails_user", &["tenant_id", "user_id"], false)).await
}
