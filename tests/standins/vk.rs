//! VK's API (v5.199) as documented: POSTed forms with `access_token` and
//! `v`, answers `{"response": …}` or, with HTTP 200 still, `{"error":
//! {error_code, error_msg, request_params}}`. It serves `newsfeed.search`
//! (`q`, `start_time`, `end_time`, `count` ≤ 200, `start_from`/`next_from`,
//! no more than 1,000 results per query), `wall.get` (`owner_id` or
//! `domain`, `offset`, `count` ≤ 100, the pinned post first) and
//! `wall.getComments` (`count` ≤ 100, inline `thread.items`), with
//! `profiles` and `groups` when `extended=1`. It answers error 6 to a token
//! that calls more than three times a second, and counts those.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::HttpResponse;
use serde_json::{Value, json};

use super::{Asked, StandIn};

#[derive(Debug, Clone)]
pub struct Post {
    pub owner_id: i64,
    pub id: i64,
    pub from_id: i64,
    pub date: i64,
    pub text: String,
    pub likes: u64,
    pub reposts: u64,
    pub views: Option<u64>,
    pub comments: Vec<Comment>,
    /// A repost of this original (`owner_id`, `id`, text).
    pub copy_of: Option<(i64, i64, String)>,
    pub pinned: bool,
    /// `wall.getComments` answers error 212 for it.
    pub comments_closed: bool,
}

impl Post {
    pub fn new(owner_id: i64, id: i64, from_id: i64, date: i64, text: &str) -> Post {
        Post {
            owner_id,
            id,
            from_id,
            date,
            text: text.into(),
            likes: id as u64 % 10,
            reposts: 1,
            views: Some(100 + id as u64),
            comments: vec![],
            copy_of: None,
            pinned: false,
            comments_closed: false,
        }
    }

    fn json(&self) -> Value {
        let mut v = json!({
            "id": self.id, "owner_id": self.owner_id, "from_id": self.from_id, "date": self.date,
            "text": self.text, "post_type": "post", "inner_type": "wall_wallpost",
            "likes": {"count": self.likes, "user_likes": 0, "can_like": 1},
            "reposts": {"count": self.reposts, "user_reposted": 0},
            "comments": {"count": self.comments.len(), "can_post": 1},
            "attachments": [], "post_source": {"type": "vk"},
        });
        if let Some(views) = self.views {
            v["views"] = json!({"count": views});
        }
        if self.pinned {
            v["is_pinned"] = 1.into();
        }
        if let Some((owner, id, text)) = &self.copy_of {
            v["copy_history"] = json!([{"id": id, "owner_id": owner, "from_id": owner, "date": self.date - 100,
                "post_type": "post", "text": text, "attachments": []}]);
        }
        v
    }
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: i64,
    pub from_id: i64,
    pub date: i64,
    pub text: String,
    pub replies: Vec<Comment>,
}

impl Comment {
    fn json(&self, owner: i64, post: i64) -> Value {
        json!({
            "id": self.id, "from_id": self.from_id, "date": self.date, "text": self.text,
            "post_id": post, "owner_id": owner, "parents_stack": [],
            "likes": {"count": 2, "user_likes": 0, "can_like": 1},
            "thread": {"count": self.replies.len(), "items": self.replies.iter().map(|r| r.json(owner, post)).collect::<Vec<_>>()},
        })
    }
}

#[derive(Default)]
pub struct State {
    pub token: String,
    /// Any token is valid (many credentials, as in the benchmark).
    pub any_token: bool,
    pub posts: Vec<Post>,
    /// `profiles` of extended answers.
    pub profiles: Vec<Value>,
    /// `groups` of extended answers (their `screen_name` is also a `domain`).
    pub groups: Vec<Value>,
    /// Answered instead of data by a method, until cleared.
    pub errors: HashMap<String, i64>,
    calls: HashMap<String, Vec<Instant>>,
    /// Calls answered with error 6 (too many per second).
    pub too_fast: usize,
}

pub struct Vk {
    pub server: StandIn,
    pub state: Arc<Mutex<State>>,
}

fn error(code: i64, msg: &str, method: &str) -> HttpResponse {
    let mut e = json!({"error_code": code, "error_msg": msg,
        "request_params": [{"key": "method", "value": method}, {"key": "v", "value": "5.199"}]});
    if code == 14 {
        e["captcha_sid"] = "548730".into();
        e["captcha_img"] = "https://api.vk.com/captcha.php?sid=548730".into();
    }
    HttpResponse::Ok().json(json!({ "error": e }))
}

fn message(code: i64) -> &'static str {
    match code {
        5 => "User authorization failed: invalid access_token (4).",
        6 => "Too many requests per second",
        9 => "Flood control",
        14 => "Captcha needed",
        15 => "Access denied",
        29 => "Rate limit reached",
        30 => "This profile is private",
        212 => "Access to post comments denied",
        _ => "Unknown error occurred",
    }
}

impl Vk {
    pub async fn start(token: &str) -> Vk {
        let state = Arc::new(Mutex::new(State { token: token.into(), ..Default::default() }));
        let s = state.clone();
        let server = StandIn::start(move |a| answer(&mut s.lock().unwrap(), a)).await;
        Vk { server, state }
    }

    pub fn with(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap());
    }

    pub fn too_fast(&self) -> usize {
        self.state.lock().unwrap().too_fast
    }
}

fn answer(st: &mut State, a: &Asked) -> HttpResponse {
    let method = a.path.trim_start_matches('/').to_owned();
    let form = a.form();
    let get =
        |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).or_else(|| a.param(k).map(str::to_owned));
    if get("v").as_deref() != Some("5.199") {
        return error(8, "Invalid request: v (version) is required", &method);
    }
    let token = get("access_token")
        .or_else(|| a.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).map(str::to_owned));
    let Some(token) = token.filter(|t| st.any_token || *t == st.token) else {
        return error(5, message(5), &method);
    };
    // Three calls a second per token.
    let now = Instant::now();
    let calls = st.calls.entry(token).or_default();
    calls.retain(|t| now.duration_since(*t).as_millis() < 1000);
    if calls.len() >= 3 {
        st.too_fast += 1;
        return error(6, message(6), &method);
    }
    calls.push(now);
    if let Some(&code) = st.errors.get(&method) {
        return error(code, message(code), &method);
    }
    let num = |k: &str, default: i64| get(k).map_or(default, |v| v.parse().unwrap());
    let extended = get("extended").as_deref() == Some("1");
    let mut response = match method.as_str() {
        "newsfeed.search" => {
            let count = num("count", 30);
            if count > 200 {
                return error(100, "One of the parameters specified was missing or invalid: count", &method);
            }
            let q = get("q").unwrap_or_default().trim_matches('"').to_lowercase();
            let (start, end) = (num("start_time", 0), num("end_time", i64::MAX));
            let mut found: Vec<&Post> = st
                .posts
                .iter()
                .filter(|p| {
                    let text = format!("{} {}", p.text, p.copy_of.as_ref().map_or("", |c| c.2.as_str())).to_lowercase();
                    text.contains(&q) && p.date >= start && p.date <= end
                })
                .collect();
            found.sort_by(|a, b| b.date.cmp(&a.date).then(b.id.cmp(&a.id)));
            let reachable = &found[..found.len().min(1000)];
            let offset = num("start_from", 0) as usize;
            let page: Vec<Value> = reachable.iter().skip(offset).take(count as usize).map(|p| p.json()).collect();
            let mut r = json!({"items": page, "count": page.len(), "total_count": found.len()});
            if offset + (count as usize) < reachable.len() {
                r["next_from"] = (offset + count as usize).to_string().into();
            }
            r
        }
        "wall.get" => {
            let count = num("count", 20);
            if count > 100 {
                return error(100, "One of the parameters specified was missing or invalid: count", &method);
            }
            let owner = match get("domain") {
                Some(domain) => match st.groups.iter().find(|g| g["screen_name"] == domain.as_str()) {
                    Some(g) => -g["id"].as_i64().unwrap(),
                    None => {
                        return error(100, "One of the parameters specified was missing or invalid: domain", &method);
                    }
                },
                None => num("owner_id", 0),
            };
            let mut wall: Vec<&Post> = st.posts.iter().filter(|p| p.owner_id == owner).collect();
            wall.sort_by(|a, b| b.pinned.cmp(&a.pinned).then(b.date.cmp(&a.date)));
            let offset = num("offset", 0) as usize;
            let page: Vec<Value> = wall.iter().skip(offset).take(count as usize).map(|p| p.json()).collect();
            json!({"count": wall.len(), "items": page})
        }
        "wall.getComments" => {
            let (owner, id) = (num("owner_id", 0), num("post_id", 0));
            let Some(post) = st.posts.iter().find(|p| p.owner_id == owner && p.id == id) else {
                return error(100, "One of the parameters specified was missing or invalid: post_id", &method);
            };
            if post.comments_closed {
                return error(212, message(212), &method);
            }
            let count = num("count", 10).min(100) as usize;
            let mut comments = post.comments.clone();
            comments.sort_by_key(|c| std::cmp::Reverse(c.date));
            let page: Vec<Value> = comments.iter().take(count).map(|c| c.json(owner, id)).collect();
            json!({"count": post.comments.len(), "items": page, "current_level_count": post.comments.len(), "can_post": true})
        }
        _ => return error(3, "Unknown method passed", &method),
    };
    if extended {
        response["profiles"] = st.profiles.clone().into();
        response["groups"] = st.groups.clone().into();
    }
    HttpResponse::Ok().json(json!({ "response": response }))
}
