//! Engagement that stays current: a post collected (or pushed) again with
//! other counts updates the stored post and moves every rollup of its
//! mentions by the difference, in the batch's transaction.

use std::collections::HashMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use smrm_domain::DomainResult;
use smrm_domain::ids::{BrandId, TenantId};
use smrm_domain::model::mention::{NewPost, Post, PostInput, SentimentLabel};

use super::db_err;
use super::entities::{mention, post};
use super::mentions::{to_i64, to_post};
use super::rollups::Deltas;

/// Rows looked up per query.
const CHUNK: usize = 500;

/// The counts a re-sent post carries, over the stored ones: a count it
/// does not carry stays as stored.
fn merged(stored: &PostInput, again: &PostInput) -> PostInput {
    PostInput {
        likes: again.likes.or(stored.likes),
        comments: again.comments.or(stored.comments),
        reposts: again.reposts.or(stored.reposts),
        views: again.views.or(stored.views),
        reach: again.reach.or(stored.reach),
        ..stored.clone()
    }
}

fn same_counts(a: &PostInput, b: &PostInput) -> bool {
    (a.likes, a.comments, a.reposts, a.views, a.reach) == (b.likes, b.comments, b.reposts, b.views, b.reach)
}

/// Updates the stored posts among `again` whose counts changed, and adds
/// the difference to `deltas` for each of their mentions. Returns how many
/// posts changed.
pub(super) async fn refresh(
    txn: &DatabaseTransaction,
    tenant: TenantId,
    again: &[NewPost],
    deltas: &mut Deltas,
) -> DomainResult<usize> {
    let carrying: Vec<&PostInput> = again
        .iter()
        .map(|p| &p.post.input)
        .filter(|i| {
            i.likes.is_some() || i.comments.is_some() || i.reposts.is_some() || i.views.is_some() || i.reach.is_some()
        })
        .collect();
    let mut by_platform: HashMap<&str, Vec<&PostInput>> = HashMap::new();
    for i in carrying {
        by_platform.entry(i.platform.as_str()).or_default().push(i);
    }
    // Stored post, with the counts it is to have.
    let mut changed: Vec<(Post, PostInput)> = Vec::new();
    for (platform, inputs) in by_platform {
        for chunk in inputs.chunks(CHUNK) {
            let wanted: HashMap<&str, &PostInput> = chunk.iter().map(|i| (i.external_id.as_str(), *i)).collect();
            let rows = post::Entity::find()
                .filter(post::Column::TenantId.eq(tenant.0))
                .filter(post::Column::Platform.eq(platform))
                .filter(post::Column::ExternalId.is_in(wanted.keys().copied()))
                .order_by_asc(post::Column::Id)
                .all(txn)
                .await
                .map_err(db_err)?;
            for row in rows {
                let stored = to_post(row)?;
                let Some(again) = wanted.get(stored.input.external_id.as_str()) else { continue };
                let now = merged(&stored.input, again);
                if !same_counts(&now, &stored.input) {
                    changed.push((stored, now));
                }
            }
        }
    }
    if changed.is_empty() {
        return Ok(0);
    }
    // In key order, as every writer takes row locks.
    changed.sort_by_key(|(p, _)| p.id.0);
    for (stored, now) in &changed {
        post::Entity::update_many()
            .col_expr(post::Column::Likes, Expr::value(to_i64(now.likes)))
            .col_expr(post::Column::Comments, Expr::value(to_i64(now.comments)))
            .col_expr(post::Column::Reposts, Expr::value(to_i64(now.reposts)))
            .col_expr(post::Column::Views, Expr::value(to_i64(now.views)))
            .col_expr(post::Column::Reach, Expr::value(to_i64(now.reach)))
            .filter(post::Column::TenantId.eq(tenant.0))
            .filter(post::Column::Id.eq(stored.id.0))
            .exec(txn)
            .await
            .map_err(db_err)?;
    }
    let posts: HashMap<uuid::Uuid, &(Post, PostInput)> = changed.iter().map(|c| (c.0.id.0, c)).collect();
    let ids: Vec<uuid::Uuid> = posts.keys().copied().collect();
    for chunk in ids.chunks(CHUNK) {
        let mentions = mention::Entity::find()
            .filter(mention::Column::TenantId.eq(tenant.0))
            .filter(mention::Column::PostId.is_in(chunk.iter().copied()))
            .all(txn)
            .await
            .map_err(db_err)?;
        for m in mentions {
            let Some((stored, now)) = posts.get(&m.post_id) else { continue };
            let label = SentimentLabel::parse(&m.sentiment_label).unwrap_or(SentimentLabel::Neutral);
            let brand = BrandId(m.brand_id);
            deltas.add(brand, stored, label, -1);
            deltas.add(brand, &Post { input: now.clone(), ..stored.clone() }, label, 1);
        }
    }
    Ok(changed.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_not_sent_again_stays() {
        let base = PostInput {
            external_id: "x".into(),
            platform: "vk".into(),
            source_type: smrm_domain::model::mention::SourceType::Social,
            url: None,
            title: None,
            text: Some("t".into()),
            parent_external_id: None,
            repost_of_external_id: None,
            language: None,
            published_at: chrono::Utc::now(),
            author: smrm_domain::model::mention::Author {
                external_id: None,
                handle: "a".into(),
                name: None,
                followers: None,
            },
            likes: Some(3),
            comments: Some(1),
            reposts: None,
            views: Some(100),
            reach: None,
            sentiment: None,
            brand_id: None,
        };
        let again = PostInput { likes: Some(5), comments: None, views: Some(100), ..base.clone() };
        let now = merged(&base, &again);
        assert_eq!((now.likes, now.comments, now.views), (Some(5), Some(1), Some(100)));
        assert!(!same_counts(&now, &base));
        assert!(same_counts(&merged(&base, &PostInput { likes: None, ..base.clone() }), &base));
    }
}
