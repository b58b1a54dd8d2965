//! Reddit's API as documented: app-only OAuth at `/api/v1/access_token`
//! (HTTP Basic `client_id:client_secret`, `grant_type=client_credentials`;
//! 401 with a bad app), then `GET /search` and `/r/<sub>/search`
//! (`restrict_sr`) with `Authorization: bearer`, `q` with quoted phrases
//! joined by `OR`, `sort=new`, `limit` ≤ 100, `after` a fullname; Listings
//! of `t3` children, and `X-Ratelimit-Used/Remaining/Reset` on every answer.

use std::sync::{Arc, Mutex};

use actix_web::HttpResponse;
use base64::Engine as _;
use serde_json::{Value, json};

use super::{Asked, Failure, StandIn};

#[derive(Debug, Clone)]
pub struct Link {
    pub id: String,
    pub subreddit: String,
    pub created: i64,
    pub title: String,
    pub selftext: String,
    pub author: String,
    pub score: i64,
    pub crosspost_parent: Option<String>,
}

#[derive(Default)]
pub struct State {
    pub client: String,
    pub links: Vec<Link>,
    /// The rate-limit headers' `Remaining` and `Reset`.
    pub remaining: f64,
    pub reset: u64,
    pub failure: Option<Failure>,
    pub tokens_minted: usize,
}

pub struct Reddit {
    pub server: StandIn,
    pub state: Arc<Mutex<State>>,
}

const TOKEN: &str = "eyJhbGciOi.reddit-stand-in";

fn answer(st: &mut State, a: &Asked) -> HttpResponse {
    if a.path == "/api/v1/access_token" {
        let expected = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(&st.client));
        if a.header("authorization") != Some(expected.as_str()) {
            return HttpResponse::Unauthorized()
                .insert_header(("www-authenticate", "Basic realm=\"reddit\""))
                .json(json!({"message": "Unauthorized", "error": 401}));
        }
        if !a.form().iter().any(|(k, v)| k == "grant_type" && v == "client_credentials") {
            return HttpResponse::Ok().json(json!({"error": "unsupported_grant_type"}));
        }
        st.tokens_minted += 1;
        return HttpResponse::Ok()
            .json(json!({"access_token": TOKEN, "token_type": "bearer", "expires_in": 86400, "scope": "*"}));
    }
    if a.header("authorization") != Some(&format!("Bearer {TOKEN}"))
        && a.header("authorization") != Some(&format!("bearer {TOKEN}"))
    {
        return HttpResponse::Unauthorized()
            .insert_header(("www-authenticate", "Bearer realm=\"reddit\", error=\"invalid_token\""))
            .json(json!({"message": "Unauthorized", "error": 401}));
    }
    if let Some(f) = &st.failure {
        return f.respond();
    }
    let sub = a.path.strip_prefix("/r/").and_then(|p| p.strip_suffix("/search"));
    if sub.is_none() && a.path != "/search" {
        return HttpResponse::NotFound().json(json!({"message": "Not Found", "error": 404}));
    }
    let restrict = a.param("restrict_sr") == Some("1");
    let terms: Vec<String> =
        a.param("q").unwrap_or_default().split(" OR ").map(|t| t.trim().trim_matches('"').to_lowercase()).collect();
    let limit: usize = a.param("limit").map_or(25, |n| n.parse().unwrap()).min(100);
    let mut found: Vec<&Link> = st
        .links
        .iter()
        .filter(|l| !(restrict && Some(l.subreddit.as_str()) != sub))
        .filter(|l| {
            let text = format!("{} {}", l.title, l.selftext).to_lowercase();
            terms.iter().any(|t| text.contains(t.as_str()))
        })
        .collect();
    found.sort_by_key(|l| std::cmp::Reverse(l.created));
    let start = match a.param("after") {
        Some(after) => found.iter().position(|l| format!("t3_{}", l.id) == after).map_or(found.len(), |i| i + 1),
        None => 0,
    };
    let page: Vec<&&Link> = found.iter().skip(start).take(limit).collect();
    let children: Vec<Value> = page
        .iter()
        .map(|l| {
            let mut data = json!({"id": l.id, "name": format!("t3_{}", l.id), "title": l.title, "selftext": l.selftext,
            "author": l.author, "author_fullname": format!("t2_{}", l.author), "subreddit": l.subreddit,
            "created_utc": l.created as f64, "permalink": format!("/r/{}/comments/{}/x/", l.subreddit, l.id),
            "url": "https://example.com", "score": l.score, "ups": l.score, "num_comments": 3, "over_18": false});
            if let Some(p) = &l.crosspost_parent {
                data["crosspost_parent"] = p.clone().into();
            }
            json!({"kind": "t3", "data": data})
        })
        .collect();
    let after = (start + limit < found.len()).then(|| format!("t3_{}", page.last().unwrap().id));
    HttpResponse::Ok()
        .insert_header(("x-ratelimit-used", "4"))
        .insert_header(("x-ratelimit-remaining", format!("{:.1}", st.remaining)))
        .insert_header(("x-ratelimit-reset", st.reset.to_string()))
        .json(json!({"kind": "Listing", "data": {"after": after, "before": null, "dist": children.len(), "modhash": "", "children": children}}))
}

impl Reddit {
    pub async fn start(client: &str) -> Reddit {
        let state =
            Arc::new(Mutex::new(State { client: client.into(), remaining: 596.0, reset: 300, ..Default::default() }));
        let s = state.clone();
        let server = StandIn::start(move |a| answer(&mut s.lock().unwrap(), a)).await;
        Reddit { server, state }
    }

    pub fn with(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap());
    }
}
