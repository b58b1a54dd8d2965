//! Telegram's public channel previews (`/s/<channel>`), with the markup
//! t.me serves: the channel header with its subscribers, ~20 messages a
//! page oldest first, `?before=<id>` for older ones with a
//! `tme_messages_more` link while there are any, forwards, replies, view
//! counts as "12.3K". A name without a public preview is answered as t.me
//! does: a 302 to its card page.

use std::sync::{Arc, Mutex};

use actix_web::HttpResponse;

use super::StandIn;

#[derive(Debug, Clone)]
pub struct Message {
    pub id: u64,
    pub date: i64,
    /// HTML, as t.me writes it.
    pub html: String,
    pub views: &'static str,
    pub forwarded_from: Option<&'static str>,
    pub reply_to: Option<&'static str>,
}

impl Message {
    pub fn new(id: u64, date: i64, html: &str) -> Message {
        Message { id, date, html: html.into(), views: "1.2K", forwarded_from: None, reply_to: None }
    }

    fn html(&self, channel: &str) -> String {
        let date = chrono::DateTime::from_timestamp(self.date, 0).unwrap().to_rfc3339();
        let forwarded = self.forwarded_from.map_or(String::new(), |f| {
            format!(r#"<div class="tgme_widget_message_forwarded_from accent_color">Forwarded from <a class="tgme_widget_message_forwarded_from_name" href="https://t.me/{f}"><span dir="auto">Orig</span></a></div>"#)
        });
        let reply = self.reply_to.map_or(String::new(), |r| {
            format!(r#"<a class="tgme_widget_message_reply" href="https://t.me/{r}"><div class="tgme_widget_message_author">Chan</div><div class="tgme_widget_message_text js-message_reply_text">quoted text</div></a>"#)
        });
        format!(
            r#"<div class="tgme_widget_message_wrap js-widget_message_wrap"><div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{channel}/{id}" data-view="eyJ9">
<div class="tgme_widget_message_user"><a href="https://t.me/{channel}"><i class="tgme_widget_message_user_photo"></i></a></div>
<div class="tgme_widget_message_bubble">
<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" href="https://t.me/{channel}"><span dir="auto">Дейнет News</span></a></div>
{forwarded}{reply}<div class="tgme_widget_message_text js-message_text" dir="auto">{html}</div>
<div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info short js-message_info">
<span class="tgme_widget_message_views">{views}</span><span class="copyonly"> views</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/{channel}/{id}"><time datetime="{date}" class="time">10:00</time></a></span>
</div></div></div></div></div>"#,
            id = self.id,
            html = self.html,
            views = self.views,
        )
    }
}

#[derive(Default)]
pub struct State {
    /// The channel's username as t.me spells it, and its messages.
    pub channels: Vec<(String, Vec<Message>)>,
}

pub struct Telegram {
    pub server: StandIn,
    pub state: Arc<Mutex<State>>,
}

const PER_PAGE: usize = 20;

impl Telegram {
    pub async fn start(channels: Vec<(String, Vec<Message>)>) -> Telegram {
        let state = Arc::new(Mutex::new(State { channels }));
        let s = state.clone();
        let server = StandIn::start(move |a| {
            let st = s.lock().unwrap();
            let Some(name) = a.path.strip_prefix("/s/") else {
                // The card page of a name.
                return HttpResponse::Ok().content_type("text/html; charset=utf-8").body(
                    r#"<html><body><div class="tgme_page_wrap"><div class="tgme_page"><div class="tgme_page_title"><span dir="auto">Someone</span></div><div class="tgme_page_extra">10 subscribers</div></div></div></body></html>"#,
                );
            };
            let Some((channel, messages)) = st.channels.iter().find(|(c, _)| c.eq_ignore_ascii_case(name)) else {
                return HttpResponse::Found().insert_header(("location", format!("https://t.me/{name}"))).finish();
            };
            let before: u64 = a.param("before").and_then(|b| b.parse().ok()).unwrap_or(u64::MAX);
            let mut older: Vec<&Message> = messages.iter().filter(|m| m.id < before).collect();
            older.sort_by_key(|m| m.id);
            let page = &older[older.len().saturating_sub(PER_PAGE)..];
            let more = match (page.first(), older.len() > page.len()) {
                (Some(first), true) => format!(
                    r#"<a href="/s/{channel}?before={id}" class="tme_messages_more js-messages_more" data-before="{id}"></a>"#,
                    id = first.id
                ),
                _ => String::new(),
            };
            let body: String = page.iter().map(|m| m.html(channel)).collect();
            HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
                r#"<!DOCTYPE html><html><head><meta property="og:title" content="Дейнет News"></head><body class="widget_frame_base tgme_widget">
<header class="tgme_header"><div class="tgme_channel_info"><div class="tgme_channel_info_header_title"><span dir="auto">Дейнет News</span></div>
<div class="tgme_channel_info_header_username"><a href="https://t.me/{channel}">@{channel}</a></div>
<div class="tgme_channel_info_counters"><div class="tgme_channel_info_counter"><span class="counter_value">60.5K</span> <span class="counter_type">subscribers</span></div></div></div></header>
<main class="tgme_main"><div class="tgme_container"><section class="tgme_channel_history js-message_history">{more}{body}</section></div></main></body></html>"#
            ))
        })
        .await;
        Telegram { server, state }
    }
}
