//! YouTube's Data API v3 as documented: `key` on every call; `/search`
//! (`q` with `|` as OR and quoted phrases, `type=video`, `order=date`,
//! `publishedAfter`/`publishedBefore`, `maxResults` ≤ 50, `pageToken`),
//! `/videos` (statistics as strings, `likeCount` left out when hidden),
//! `/commentThreads` (`allThreadsRelatedToChannelId`, `maxResults` ≤ 100,
//! newest first), and its errors: `400 API_KEY_INVALID`, `403
//! quotaExceeded`, `404 channelNotFound`. It counts the units spent.

use std::sync::{Arc, Mutex};

use actix_web::HttpResponse;
use serde_json::{Value, json};

use super::{Asked, StandIn};

#[derive(Debug, Clone)]
pub struct Video {
    pub id: String,
    pub published: i64,
    pub title: String,
    pub description: String,
    pub views: u64,
    pub likes: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Thread {
    pub id: String,
    pub video_id: String,
    pub published: i64,
    pub author: String,
    pub text: String,
    pub likes: u64,
    pub replies: u64,
}

#[derive(Default)]
pub struct State {
    pub key: String,
    pub channel_id: String,
    pub videos: Vec<Video>,
    pub threads: Vec<Thread>,
    pub quota_exceeded: bool,
    pub units: u32,
}

pub struct Youtube {
    pub server: StandIn,
    pub state: Arc<Mutex<State>>,
}

fn error(status: u16, reason: &str, message: &str, domain: &str) -> HttpResponse {
    let mut body = json!({"error": {"code": status, "message": message,
        "errors": [{"message": message, "domain": domain, "reason": reason}]}});
    if reason == "badRequest" {
        body["error"]["status"] = "INVALID_ARGUMENT".into();
        body["error"]["details"] = json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com"}]);
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).json(body)
}

fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn time(s: Option<&str>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s?).ok().map(|t| t.timestamp())
}

fn answer(st: &mut State, a: &Asked) -> HttpResponse {
    if a.param("key") != Some(st.key.as_str()) {
        return error(400, "badRequest", "API key not valid. Please pass a valid API key.", "global");
    }
    if st.quota_exceeded {
        return error(
            403,
            "quotaExceeded",
            "The request cannot be completed because you have exceeded your quota.",
            "youtube.quota",
        );
    }
    let offset: usize = a.param("pageToken").map_or(0, |t| t.trim_start_matches("CD").parse().unwrap());
    match a.path.as_str() {
        "/search" => {
            st.units += 100;
            let per_page: usize = a.param("maxResults").map_or(5, |n| n.parse().unwrap());
            if per_page > 50 {
                return error(400, "invalidParameter", "maxResults", "youtube.parameter");
            }
            let terms: Vec<String> = a
                .param("q")
                .unwrap_or_default()
                .split('|')
                .map(|t| t.trim().trim_matches('"').to_lowercase())
                .collect();
            let (after, before) =
                (time(a.param("publishedAfter")).unwrap_or(0), time(a.param("publishedBefore")).unwrap_or(i64::MAX));
            let mut found: Vec<&Video> = st
                .videos
                .iter()
                .filter(|v| {
                    let text = format!("{} {}", v.title, v.description).to_lowercase();
                    terms.iter().any(|t| text.contains(t.as_str())) && v.published >= after && v.published <= before
                })
                .collect();
            found.sort_by_key(|v| std::cmp::Reverse(v.published));
            let items: Vec<Value> = found
                .iter()
                .skip(offset)
                .take(per_page)
                .map(|v| {
                    json!({
                        "kind": "youtube#searchResult", "etag": "e", "id": {"kind": "youtube#video", "videoId": v.id},
                        "snippet": {"publishedAt": rfc3339(v.published), "channelId": st.channel_id, "title": v.title,
                            "description": v.description, "channelTitle": "Дейнет TV", "liveBroadcastContent": "none"}
                    })
                })
                .collect();
            let mut body = json!({"kind": "youtube#searchListResponse", "etag": "e", "regionCode": "RU",
                "pageInfo": {"totalResults": found.len(), "resultsPerPage": per_page}, "items": items});
            if offset + per_page < found.len() {
                body["nextPageToken"] = format!("CD{}", offset + per_page).into();
            }
            HttpResponse::Ok().json(body)
        }
        "/videos" => {
            st.units += 1;
            let ids: Vec<&str> = a.param("id").unwrap_or_default().split(',').collect();
            let items: Vec<Value> = st
                .videos
                .iter()
                .filter(|v| ids.contains(&v.id.as_str()))
                .map(|v| {
                    let mut stats =
                        json!({"viewCount": v.views.to_string(), "favoriteCount": "0", "commentCount": "4"});
                    if let Some(l) = v.likes {
                        stats["likeCount"] = l.to_string().into();
                    }
                    json!({"kind": "youtube#video", "etag": "e", "id": v.id, "statistics": stats})
                })
                .collect();
            HttpResponse::Ok().json(json!({"kind": "youtube#videoListResponse", "items": items, "pageInfo": {"totalResults": ids.len(), "resultsPerPage": ids.len()}}))
        }
        "/commentThreads" => {
            st.units += 1;
            if a.param("allThreadsRelatedToChannelId") != Some(st.channel_id.as_str()) {
                return error(404, "channelNotFound", "The channel could not be found.", "youtube.commentThread");
            }
            let per_page: usize = a.param("maxResults").map_or(20, |n| n.parse().unwrap());
            let mut threads: Vec<&Thread> = st.threads.iter().collect();
            threads.sort_by_key(|t| std::cmp::Reverse(t.published));
            let items: Vec<Value> = threads.iter().skip(offset).take(per_page).map(|t| json!({
                "kind": "youtube#commentThread", "etag": "e", "id": t.id,
                "snippet": {"channelId": st.channel_id, "videoId": t.video_id, "canReply": true, "totalReplyCount": t.replies, "isPublic": true,
                    "topLevelComment": {"kind": "youtube#comment", "etag": "e", "id": t.id, "snippet": {
                        "channelId": st.channel_id, "videoId": t.video_id, "textDisplay": t.text, "textOriginal": t.text,
                        "authorDisplayName": t.author, "authorChannelId": {"value": format!("UC{}", t.author)},
                        "likeCount": t.likes, "publishedAt": rfc3339(t.published), "updatedAt": rfc3339(t.published)}}}
            })).collect();
            let mut body = json!({"kind": "youtube#commentThreadListResponse", "items": items, "pageInfo": {"totalResults": threads.len(), "resultsPerPage": per_page}});
            if offset + per_page < threads.len() {
                body["nextPageToken"] = format!("CD{}", offset + per_page).into();
            }
            HttpResponse::Ok().json(body)
        }
        _ => error(404, "notFound", "Not Found", "global"),
    }
}

impl Youtube {
    pub async fn start(key: &str, channel_id: &str) -> Youtube {
        let state =
            Arc::new(Mutex::new(State { key: key.into(), channel_id: channel_id.into(), ..Default::default() }));
        let s = state.clone();
        let server = StandIn::start(move |a| answer(&mut s.lock().unwrap(), a)).await;
        Youtube { server, state }
    }

    pub fn with(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap());
    }
}
