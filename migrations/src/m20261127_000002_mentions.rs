//! Posts (kept once per tenant, matched or not), mentions (a post about a
//! brand, with its per-tenant `seq`), per-tenant counters, brand backfill state.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn big_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per tenant: the last mention `seq` handed out (its row lock
        // also serialises a tenant's ingests, so seq order is commit order) and
        // the version of the tenant's brand queries (the matcher cache key).
        m.create_table(
            Table::create()
                .table("tenant_counters")
                .col(ColumnDef::new("tenant_id").uuid().not_null().primary_key())
                .col(sum("mention_seq"))
                .col(sum("brand_version"))
                .foreign_key(&mut fk("tenant_counters", &["tenant_id"], "tenants", &["id"], ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("posts")
                .col(uuid("tenant_id"))
                .col(uuid("id"))
                .col(text("platform"))
                .col(text("external_id"))
                .col(text("source_type"))
                .col(text_null("url"))
                .col(text_null("title"))
                .col(ColumnDef::new("text").text().null())
                .col(ColumnDef::new("text_folded").text().null())
                .col(text_null("language"))
                .col(time("published_at"))
                .col(text_null("author_external_id"))
                .col(text("author_handle"))
                .col(text_null("author_name"))
                .col(big_null("author_followers"))
                .col(big_null("likes"))
                .col(big_null("comments"))
                .col(big_null("reposts"))
                .col(big_null("views"))
                .col(big_null("reach"))
                .col(text_null("provided_sentiment"))
                .col(text("auto_label"))
                .col(ColumnDef::new("auto_score").double().not_null())
                .col(time("created_at"))
                .primary_key(&mut pk(&["tenant_id", "id"]))
                .foreign_key(&mut fk("posts", &["tenant_id"], "tenants", &["id"], ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(index("posts", "ux_posts_external", &["tenant_id", "platform", "external_id"], true)).await?;

        m.create_table(
            Table::create()
                .table("mentions")
                .col(uuid("tenant_id"))
                .col(uuid("id"))
                .col(uuid("post_id"))
                .col(uuid("brand_id"))
                .col(ColumnDef::new("seq").big_integer().not_null())
                // `matched` by the brand's query, or `assigned` by the collector (`brand_id` on the post).
                .col(text("link"))
                .col(text("platform"))
                .col(text("source_type"))
                .col(time("published_at"))
                .col(text("author_key"))
                .col(text("sentiment_label"))
                .col(ColumnDef::new("sentiment_score").double().not_null())
                .col(text("sentiment_origin"))
                .col(text("status"))
                .col(uuid_null("assignee_id"))
                .col(json("tags"))
                .col(ColumnDef::new("restricted").boolean().not_null())
                .col(json("matched_words"))
                .col(time("created_at"))
                .col(time("updated_at"))
                .primary_key(&mut pk(&["tenant_id", "id"]))
                .foreign_key(&mut fk(
                    "mentions",
                    &["tenant_id", "post_id"],
                    "posts",
                    &["tenant_id", "id"],
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "mentions",
                    &["tenant_id", "brand_id"],
                    "brands",
                    &["tenant_id", "id"],
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("mentions", "ux_mentions_seq", &["tenant_id", "seq"], true)).await?;
        m.create_index(index("mentions", "ux_mentions_post_brand", &["tenant_id", "post_id", "brand_id"], true))
            .await?;
        m.create_index(index("mentions", "ix_mentions_published", &["tenant_id", "published_at", "seq"], false))
            .await?;
        m.create_index(index(
            "mentions",
            "ix_mentions_brand_published",
            &["tenant_id", "brand_id", "published_at", "seq"],
            false,
        ))
        .await?;

        // Backfill: re-matching stored posts after a brand's query changed.
        // `query_version` grows with every change of the query; a backfill
        // records the version it ran for, so a change during a run triggers another.
        for def in [
            ColumnDef::new("backfill_status").string().not_null().default("done").to_owned(),
            time_null("backfill_claimed_at"),
            time_null("backfill_finished_at"),
            sum("backfill_matched"),
            sum("backfill_removed"),
            sum("query_version"),
            sum("backfilled_version"),
        ] {
            m.alter_table(Table::alter().table("brands").add_column(def).to_owned()).await?;
        }
        m.create_index(index("brands", "ix_brands_backfill", &["backfill_status"], false)).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("mentions").to_owned()).await?;
        m.drop_table(Table::drop().table("posts").to_owned()).await?;
        m.drop_table(Table::drop().table("tenant_counters").to_owned()).await?;
        for col in [
            "backfill_status",
            "backfill_claimed_at",
            "backfill_finished_at",
            "backfill_matched",
            "backfill_removed",
            "query_version",
            "backfilled_version",
        ] {
            m.alter_table(Table::alter().table("brands").drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
