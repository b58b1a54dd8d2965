//! sea-orm models of the tables in `migrations/`. They never leave `infra`:
//! repositories convert them to domain entities.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod tenant {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub timezone: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod user {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub email: String,
        pub role: String,
        #[sea_orm(column_type = "JsonBinary")]
        pub brand_ids: Json,
        pub password_hash: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod user_email {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "user_emails")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub email: String,
        pub tenant_id: Uuid,
        pub user_id: Uuid,
    }
    no_relations!();
}

pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub created_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod refresh_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub session_id: Uuid,
        pub user_id: Uuid,
        pub token_hash: String,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod api_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub role: String,
        #[sea_orm(column_type = "JsonBinary")]
        pub brand_ids: Json,
        pub prefix: String,
        pub key_hash: String,
        pub created_by: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub last_used_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod brand {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "brands")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        #[sea_orm(column_type = "JsonBinary")]
        pub keywords: Json,
        #[sea_orm(column_type = "JsonBinary")]
        pub excluded_keywords: Json,
        #[sea_orm(column_type = "JsonBinary")]
        pub languages: Json,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub backfill_status: String,
        pub backfill_claimed_at: Option<DateTimeUtc>,
        pub backfill_finished_at: Option<DateTimeUtc>,
        pub backfill_matched: i64,
        pub backfill_removed: i64,
        pub query_version: i64,
        pub backfilled_version: i64,
    }
    no_relations!();
}

pub mod competitor_set {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "competitor_sets")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub brand_id: Uuid,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod competitor_set_member {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "competitor_set_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub set_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub brand_id: Uuid,
        pub position: i32,
    }
    no_relations!();
}

pub mod idempotency_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub request_hash: String,
        pub status: Option<i32>,
        pub content_type: Option<String>,
        pub location: Option<String>,
        pub body: Option<Vec<u8>>,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod tenant_counter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenant_counters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        pub mention_seq: i64,
        pub brand_version: i64,
    }
    no_relations!();
}

pub mod tenant_limit {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenant_limits")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        pub rate_limit_per_minute: Option<i32>,
    }
    no_relations!();
}

pub mod tenant_quota {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "tenant_quotas")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub value: i32,
    }
    no_relations!();
}

pub mod brand_tombstone {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "brand_tombstones")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub brand_id: Uuid,
        pub deleted_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod post {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "posts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub platform: String,
        pub external_id: String,
        pub source_type: String,
        pub url: Option<String>,
        pub title: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub text: Option<String>,
        #[sea_orm(column_type = "Text", nullable)]
        pub text_folded: Option<String>,
        pub language: Option<String>,
        pub published_at: DateTimeUtc,
        pub author_external_id: Option<String>,
        pub author_handle: String,
        pub author_name: Option<String>,
        pub author_followers: Option<i64>,
        pub likes: Option<i64>,
        pub comments: Option<i64>,
        pub reposts: Option<i64>,
        pub views: Option<i64>,
        pub reach: Option<i64>,
        pub provided_sentiment: Option<String>,
        pub auto_label: String,
        pub auto_score: f64,
        pub created_at: DateTimeUtc,
        pub parent_external_id: Option<String>,
        pub repost_of_external_id: Option<String>,
    }
    no_relations!();
}

pub mod mention {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "mentions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub post_id: Uuid,
        pub brand_id: Uuid,
        pub seq: i64,
        pub link: String,
        pub platform: String,
        pub source_type: String,
        pub published_at: DateTimeUtc,
        pub author_key: String,
        pub sentiment_label: String,
        pub sentiment_score: f64,
        pub sentiment_origin: String,
        pub status: String,
        pub assignee_id: Option<Uuid>,
        #[sea_orm(column_type = "JsonBinary")]
        pub tags: Json,
        pub restricted: bool,
        #[sea_orm(column_type = "JsonBinary")]
        pub matched_words: Json,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// When its first official answer was given.
        pub first_response_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod rollup {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "mention_rollups")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub brand_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub hour: DateTimeUtc,
        #[sea_orm(primary_key, auto_increment = false)]
        pub platform: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub source_type: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub sentiment: String,
        pub mentions: i64,
        pub likes: i64,
        pub comments: i64,
        pub reposts: i64,
        pub views: i64,
        pub reach: i64,
    }
    no_relations!();
}

pub mod author_rollup {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "author_rollups")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub brand_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: DateTimeUtc,
        #[sea_orm(primary_key, auto_increment = false)]
        pub platform: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub source_type: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub author_key: String,
        pub handle: String,
        pub name: Option<String>,
        pub followers: i64,
        pub mentions: i64,
        pub negative: i64,
        pub engagement: i64,
        pub reach: i64,
    }
    no_relations!();
}

pub mod brand_hour {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "brand_hour_rollups")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub brand_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub hour: DateTimeUtc,
        pub mentions: i64,
        pub likes: i64,
        pub comments: i64,
        pub reposts: i64,
        pub views: i64,
        pub reach: i64,
    }
    no_relations!();
}

/// A tenant table keyed by `(tenant_id, id)`, with these other columns.
macro_rules! tenant_table {
    ($module:ident, $table:literal, { $($(#[$attr:meta])* $col:ident: $ty:ty),* $(,)? }) => {
        // Not every item the derive generates is used for every table.
        #[allow(dead_code)]
        pub mod $module {
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                #[sea_orm(primary_key, auto_increment = false)]
                pub tenant_id: Uuid,
                #[sea_orm(primary_key, auto_increment = false)]
                pub id: Uuid,
                $($(#[$attr])* pub $col: $ty,)*
            }
            no_relations!();
        }
    };
}

tenant_table!(response_template, "response_templates", {
    name: String,
    sentiment: String,
    platform: Option<String>,
    language: Option<String>,
    #[sea_orm(column_type = "Text")]
    body: String,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

tenant_table!(mention_response, "mention_responses", {
    mention_id: Uuid,
    brand_id: Uuid,
    #[sea_orm(column_type = "Text")]
    body: String,
    template_id: Option<Uuid>,
    author_kind: String,
    author_id: Uuid,
    responded_at: DateTimeUtc,
    created_at: DateTimeUtc,
});

tenant_table!(placement, "placements", {
    brand_id: Uuid,
    platform: String,
    url: String,
    kind: String,
    mention_id: Option<Uuid>,
    source_id: Option<Uuid>,
    posted_at: DateTimeUtc,
    #[sea_orm(column_type = "Text", nullable)]
    note: Option<String>,
    author_kind: String,
    author_id: Uuid,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

tenant_table!(source, "sources", {
    kind: String,
    url: String,
    source_type: String,
    platform: String,
    poll_seconds: i32,
    enabled: bool,
    #[sea_orm(column_type = "Text", nullable)]
    cursor: Option<String>,
    next_poll_at: DateTimeUtc,
    lease_until: Option<DateTimeUtc>,
    last_polled_at: Option<DateTimeUtc>,
    last_success_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    last_error: Option<String>,
    last_error_at: Option<DateTimeUtc>,
    posts_created: i64,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
    name: String,
    /// The kind's settings, as JSON (`SourceConfig`).
    #[sea_orm(column_type = "Text")]
    config: String,
    credential_id: Option<Uuid>,
    /// A JSON array of brand ids.
    #[sea_orm(column_type = "Text")]
    brand_ids: String,
    state: Option<String>,
    posts_fetched: i64,
    secret_key_version: Option<String>,
    secret_nonce: Option<Vec<u8>>,
    secret: Option<Vec<u8>>,
});

tenant_table!(credential, "credentials", {
    kind: String,
    name: String,
    status: String,
    key_version: String,
    nonce: Vec<u8>,
    secret: Vec<u8>,
    last_used_at: Option<DateTimeUtc>,
    created_at: DateTimeUtc,
});

tenant_table!(webhook, "webhooks", {
    url: String,
    #[sea_orm(column_type = "Text", nullable)]
    description: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    events: Json,
    secret: String,
    previous_secret: Option<String>,
    previous_secret_until: Option<DateTimeUtc>,
    enabled: bool,
    #[sea_orm(column_type = "Text", nullable)]
    disabled_reason: Option<String>,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

tenant_table!(webhook_message, "webhook_messages", {
    webhook_id: Uuid,
    event: String,
    subject_id: Uuid,
    #[sea_orm(column_type = "Text", nullable)]
    payload: Option<String>,
    status: String,
    attempts: i32,
    next_attempt_at: DateTimeUtc,
    lease_until: Option<DateTimeUtc>,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

tenant_table!(webhook_attempt, "webhook_attempts", {
    message_id: Uuid,
    webhook_id: Uuid,
    event: String,
    attempt: i32,
    status_code: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    error: Option<String>,
    created_at: DateTimeUtc,
    next_attempt_at: Option<DateTimeUtc>,
});

tenant_table!(alert_rule, "alert_rules", {
    brand_id: Uuid,
    kind: String,
    window_minutes: i32,
    threshold: i64,
    enabled: bool,
    last_fired_at: Option<DateTimeUtc>,
    created_at: DateTimeUtc,
    updated_at: DateTimeUtc,
});

tenant_table!(alert, "alerts", {
    rule_id: Uuid,
    brand_id: Uuid,
    kind: String,
    window_start: DateTimeUtc,
    window_end: DateTimeUtc,
    count: i64,
    baseline: f64,
    threshold: i64,
    fired_at: DateTimeUtc,
});

pub mod sentiment_correction {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sentiment_corrections")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub post_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub brand_id: Uuid,
        pub label: String,
        #[sea_orm(column_type = "Text")]
        pub text: String,
        pub language: Option<String>,
        pub created_at: DateTimeUtc,
        /// The words the brand matched, as a JSON array.
        pub targets: Json,
    }
    no_relations!();
}

pub mod sentiment_model {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "sentiment_models")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        pub corrections_version: i64,
        pub trained_version: i64,
        pub trained_on: i64,
        pub trained_at: Option<DateTimeUtc>,
        pub claimed_at: Option<DateTimeUtc>,
        pub adaptation: Option<Vec<u8>>,
        pub endpoint_url: Option<String>,
        pub endpoint_timeout_ms: Option<i32>,
    }
    no_relations!();
}
