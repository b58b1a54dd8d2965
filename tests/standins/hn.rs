//! Hacker News's Algolia search API (`/search_by_date`), as documented:
//! `query` (a quoted phrase matches as a phrase), `tags=(story,comment)`,
//! `numericFilters` on `created_at_i`, `hitsPerPage` up to 1,000, newest
//! first, and never more than 1,000 hits for one query however it is
//! paged (past that: no hits and a `message`).

use std::sync::{Arc, Mutex};

use actix_web::HttpResponse;
use serde_json::{Value, json};

use super::{Failure, StandIn};

/// An item the index holds.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: u64,
    pub created_at: i64,
    pub author: String,
    /// A story's title (a comment has none).
    pub title: Option<String>,
    /// A comment's text (HTML).
    pub comment_text: Option<String>,
    pub points: Option<u64>,
    pub num_comments: Option<u64>,
    pub parent_id: Option<u64>,
}

impl Item {
    pub fn story(id: u64, created_at: i64, title: &str) -> Item {
        Item {
            id,
            created_at,
            author: format!("user{}", id % 7),
            title: Some(title.into()),
            comment_text: None,
            points: Some(id % 50),
            num_comments: Some(id % 5),
            parent_id: None,
        }
    }

    pub fn comment(id: u64, created_at: i64, parent: u64, html: &str) -> Item {
        Item {
            id,
            created_at,
            author: "commenter".into(),
            title: None,
            comment_text: Some(html.into()),
            points: None,
            num_comments: None,
            parent_id: Some(parent),
        }
    }

    fn text(&self) -> String {
        format!("{} {}", self.title.as_deref().unwrap_or(""), self.comment_text.as_deref().unwrap_or("")).to_lowercase()
    }

    fn hit(&self) -> Value {
        let kind = if self.title.is_some() { "story" } else { "comment" };
        json!({
            "objectID": self.id.to_string(),
            "created_at": chrono::DateTime::from_timestamp(self.created_at, 0).unwrap().to_rfc3339(),
            "created_at_i": self.created_at,
            "title": self.title,
            "url": null,
            "author": self.author,
            "points": self.points,
            "story_text": null,
            "comment_text": self.comment_text,
            "num_comments": self.num_comments,
            "story_id": self.parent_id.unwrap_or(self.id),
            "story_title": if kind == "comment" { Some("A story") } else { None },
            "parent_id": self.parent_id,
            "_tags": [kind, format!("author_{}", self.author)],
        })
    }
}

#[derive(Default)]
pub struct State {
    pub items: Vec<Item>,
    pub failure: Option<Failure>,
}

pub struct Hn {
    pub server: StandIn,
    pub state: Arc<Mutex<State>>,
}

/// `created_at_i>X,created_at_i<=Y` and the like.
fn in_range(filters: &str, t: i64) -> bool {
    filters.split(',').filter(|f| !f.is_empty()).all(|f| {
        let f = f.trim().trim_start_matches("created_at_i");
        let (op, n) = ["<=", ">=", "<", ">", "="]
            .iter()
            .find_map(|op| f.strip_prefix(op).map(|n| (*op, n.parse::<i64>().unwrap())))
            .expect("a numeric filter on created_at_i");
        match op {
            "<=" => t <= n,
            ">=" => t >= n,
            "<" => t < n,
            ">" => t > n,
            _ => t == n,
        }
    })
}

impl Hn {
    pub async fn start(items: Vec<Item>) -> Hn {
        let state = Arc::new(Mutex::new(State { items, failure: None }));
        let s = state.clone();
        let server = StandIn::start(move |a| {
            let st = s.lock().unwrap();
            if let Some(f) = &st.failure {
                return f.respond();
            }
            if a.path != "/search_by_date" {
                return HttpResponse::NotFound().json(json!({"message": "Not Found", "status": 404}));
            }
            let query = a.param("query").unwrap_or_default().trim_matches('"').to_lowercase();
            let filters = a.param("numericFilters").unwrap_or_default();
            let per_page: usize = a.param("hitsPerPage").map_or(20, |n| n.parse().unwrap());
            let page: usize = a.param("page").map_or(0, |n| n.parse().unwrap());
            if per_page > 1000 {
                return HttpResponse::BadRequest()
                    .json(json!({"message": "hitsPerPage must be <= 1000", "status": 400}));
            }
            let mut found: Vec<&Item> =
                st.items.iter().filter(|i| i.text().contains(&query) && in_range(filters, i.created_at)).collect();
            found.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
            let total = found.len();
            let reachable = &found[..total.min(1000)];
            let start = (page * per_page).min(reachable.len());
            let hits: Vec<Value> =
                reachable[start..(start + per_page).min(reachable.len())].iter().map(|i| i.hit()).collect();
            let mut body = json!({
                "hits": hits, "nbHits": total, "page": page, "hitsPerPage": per_page,
                "nbPages": reachable.len().div_ceil(per_page), "exhaustiveNbHits": true, "query": query,
            });
            if start >= 1000 {
                body["message"] = "you can only fetch the 1000 hits for this query".into();
            }
            HttpResponse::Ok().json(body)
        })
        .await;
        Hn { server, state }
    }

    pub fn fail(&self, failure: Option<Failure>) {
        self.state.lock().unwrap().failure = failure;
    }

    pub fn add(&self, items: impl IntoIterator<Item = Item>) {
        self.state.lock().unwrap().items.extend(items);
    }
}
