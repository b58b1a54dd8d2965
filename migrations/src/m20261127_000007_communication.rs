//! Communication and integrations: answer templates, official answers,
//! placements; webhooks with their durable outbox and attempt log; alert
//! rules and the alerts they fired; pull sources (RSS/Atom).
//!
//! The outbox (`webhook_messages`) is written in the transaction that makes
//! its event happen, so an event is never lost if the process dies; the
//! worker tables are scanned across tenants by their due time, so their
//! scheduler indexes do not lead with `tenant_id` (as `ix_brands_backfill`).

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn boolean(name: &'static str, default: bool) -> ColumnDef {
    ColumnDef::new(name).boolean().not_null().default(default).to_owned()
}

fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().to_owned()
}

fn body(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().to_owned()
}

fn body_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().to_owned()
}

/// A tenant table: its columns after `tenant_id` and `id`, keyed by both.
async fn table(m: &SchemaManager<'_>, name: &'static str, cols: Vec<ColumnDef>) -> Result<(), DbErr> {
    let mut t = Table::create();
    t.table(name).col(uuid("tenant_id")).col(uuid("id"));
    for mut c in cols {
        t.col(&mut c);
    }
    t.primary_key(&mut pk(&["tenant_id", "id"]));
    t.foreign_key(&mut fk(name, &["tenant_id"], "tenants", &["id"], ForeignKeyAction::Cascade));
    m.create_table(t.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table("mentions").add_column(time_null("first_response_at")).to_owned()).await?;

        table(
            m,
            "response_templates",
            vec![
                text("name"),
                text("sentiment"),
                text_null("platform"),
                text_null("language"),
                body("body"),
                time("created_at"),
                time("updated_at"),
            ],
        )
        .await?;
        m.create_index(index("response_templates", "ux_response_templates_name", &["tenant_id", "name"], true)).await?;

        table(
            m,
            "mention_responses",
            vec![
                uuid("mention_id"),
                uuid("brand_id"),
                body("body"),
                uuid_null("template_id"),
                text("author_kind"),
                uuid("author_id"),
                time("responded_at"),
                time("created_at"),
            ],
        )
        .await?;
        m.create_index(index(
            "mention_responses",
            "ix_mention_responses_mention",
            &["tenant_id", "mention_id", "id"],
            false,
        ))
        .await?;
        m.create_index(index("mention_responses", "ix_mention_responses_brand", &["tenant_id", "brand_id"], false))
            .await?;

        table(
            m,
            "placements",
            vec![
                uuid("brand_id"),
                text("platform"),
                text("url"),
                text("kind"),
                uuid_null("mention_id"),
                uuid_null("source_id"),
                time("posted_at"),
                body_null("note"),
                text("author_kind"),
                uuid("author_id"),
                time("created_at"),
                time("updated_at"),
            ],
        )
        .await?;
        m.create_index(index("placements", "ix_placements_brand", &["tenant_id", "brand_id", "id"], false)).await?;

        table(
            m,
            "sources",
            vec![
                text("kind"),
                text("url"),
                text("source_type"),
                text("platform"),
                int("poll_seconds"),
                boolean("enabled", true),
                text_null("etag"),
                text_null("last_modified"),
                time("next_poll_at"),
                time_null("lease_until"),
                time_null("last_polled_at"),
                time_null("last_success_at"),
                body_null("last_error"),
                time_null("last_error_at"),
                sum("posts_created"),
                time("created_at"),
                time("updated_at"),
            ],
        )
        .await?;
        m.create_index(index("sources", "ix_sources_due", &["next_poll_at"], false)).await?;

        table(
            m,
            "webhooks",
            vec![
                text("url"),
                body_null("description"),
                json("events"),
                text("secret"),
                text_null("previous_secret"),
                time_null("previous_secret_until"),
                boolean("enabled", true),
                body_null("disabled_reason"),
                time("created_at"),
                time("updated_at"),
            ],
        )
        .await?;

        table(
            m,
            "webhook_messages",
            vec![
                uuid("webhook_id"),
                text("event"),
                uuid("subject_id"),
                body_null("payload"),
                text("status"),
                int("attempts"),
                time("next_attempt_at"),
                time_null("lease_until"),
                time("created_at"),
                time("updated_at"),
            ],
        )
        .await?;
        m.create_index(index("webhook_messages", "ix_webhook_messages_due", &["status", "next_attempt_at"], false))
            .await?;
        m.create_index(index("webhook_messages", "ix_webhook_messages_webhook", &["tenant_id", "webhook_id"], false))
            .await?;

        table(
            m,
            "webhook_attempts",
            vec![
                uuid("message_id"),
                uuid("webhook_id"),
                text("event"),
                int("attempt"),
                int_null("status_code"),
                body_null("error"),
                time("created_at"),
                time_null("next_attempt_at"),
            ],
        )
        .await?;
        m.create_index(index(
            "webhook_attempts",
            "ix_webhook_attempts_webhook",
            &["tenant_id", "webhook_id", "id"],
            false,
        ))
        .await?;

        table(
            m,
            "alert_rules",
            vec![
                uuid("brand_id"),
                text("kind"),
                int("window_minutes"),
                ColumnDef::new("threshold").big_integer().not_null().to_owned(),
                boolean("enabled", true),
                time_null("last_fired_at"),
                time("created_at"),
                time("updated_at"),
            ],
        )
        .await?;
        m.create_index(index("alert_rules", "ix_alert_rules_brand", &["tenant_id", "brand_id"], false)).await?;

        table(
            m,
            "alerts",
            vec![
                uuid("rule_id"),
                uuid("brand_id"),
                text("kind"),
                time("window_start"),
                time("window_end"),
                ColumnDef::new("count").big_integer().not_null().to_owned(),
                ColumnDef::new("baseline").double().not_null().to_owned(),
                ColumnDef::new("threshold").big_integer().not_null().to_owned(),
                time("fired_at"),
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "alerts",
            "alert_rules",
            "webhook_attempts",
            "webhook_messages",
            "webhooks",
            "sources",
            "placements",
            "mention_responses",
            "response_templates",
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.alter_table(Table::alter().table("mentions").drop_column("first_response_at").to_owned()).await
    }
}
