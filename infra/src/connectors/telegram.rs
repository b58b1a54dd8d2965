//! Public Telegram channels from their web preview (`<SMRM_TELEGRAM_URL>/s/<channel>`,
//! no key): the page lists a channel's latest ~20 posts, and `?before=<id>`
//! the ones before. A run reads pages back until the window's start (the
//! last day on the first run, then from a few hours before the last run,
//! so changed view counts are seen) or `PAGES_MAX` pages.
//!
//! Each post: its text (links and formatting reduced to text, a line break
//! a space), date, views ("12.3K" → 12,300), a forward's original as
//! `repost_of_external_id` and a reply's as `parent_external_id`. External
//! ids are `<channel>/<id>` with the username in lower case (Telegram's
//! usernames are case-insensitive, and pages spell them either way). A
//! channel without a public preview (a private channel, a user, a bot, a
//! group, a name nobody has) is redirected by Telegram to its card page:
//! that is a clear failure, not an empty channel.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use scraper::{ElementRef, Html, Node, Selector};
use serde::{Deserialize, Serialize};
use smrm_domain::model::mention::{Author, PostInput, TEXT_MAX_CHARS};
use smrm_domain::model::sources::{ConnectorError, Cursor, Fetched, Source, SourceConfig, SourceKind};
use smrm_domain::ports::{Connector, FetchRequest};

use super::windows::{FIRST_WINDOW_SECONDS, OVERLAP_SECONDS};
use super::{Upstream, status_error};

/// The public address.
pub const DEFAULT_URL: &str = "https://t.me";
/// Pages one run reads at most (about 20 posts each).
const PAGES_MAX: usize = 10;

pub struct TelegramConnector {
    site: Upstream,
}

impl TelegramConnector {
    pub fn new(site: Upstream) -> Self {
        Self { site }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ChannelCursor {
    /// When the last run ended (Unix seconds).
    done_until: Option<i64>,
}

/// One page of a channel's preview, read.
#[derive(Debug, Default, PartialEq)]
pub struct Page {
    pub posts: Vec<Message>,
    /// Items that made no post (no id, no date, no text).
    pub skipped: u64,
    /// `?before=` for the older page; `None` at the start of the history.
    pub before: Option<u64>,
    /// Subscribers, from the channel's header.
    pub subscribers: Option<u64>,
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: u64,
    pub published_at: DateTime<Utc>,
    pub text: String,
    pub views: Option<u64>,
    /// `<channel>/<id>` of the forwarded original.
    pub forwarded_from: Option<String>,
    /// `<channel>/<id>` of the post it answers.
    pub reply_to: Option<String>,
    pub signed_by: Option<String>,
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("a valid selector")
}

/// `https://t.me/chan/7` → `chan/7` (lower-cased channel); `None` when it
/// names no post (a user, a hidden sender).
fn post_ref(href: &str) -> Option<String> {
    let path = href.split("://").nth(1).map_or(href, |rest| rest.split_once('/').map_or("", |(_, p)| p));
    let path = path.trim_start_matches("s/").split(['?', '#']).next()?;
    let (channel, id) = path.trim_matches('/').split_once('/')?;
    id.parse::<u64>().ok()?;
    (!channel.is_empty()).then(|| format!("{}/{id}", channel.to_lowercase()))
}

/// "882", "4.4K", "6.74K", "1.2M" → a count.
pub fn parse_count(s: &str) -> Option<u64> {
    let s = s.trim().replace([' ', '\u{a0}', ','], "");
    let (number, scale) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1_000.0),
        'M' | 'm' => (&s[..s.len() - 1], 1_000_000.0),
        'B' | 'b' => (&s[..s.len() - 1], 1_000_000_000.0),
        _ => (s.as_str(), 1.0),
    };
    let value: f64 = number.parse().ok()?;
    (value >= 0.0).then(|| (value * scale).round() as u64)
}

/// The text of an element: text nodes in order, `<br>` and block ends as
/// spaces, whitespace collapsed.
fn text_of(element: ElementRef<'_>) -> String {
    fn walk(element: ElementRef<'_>, out: &mut String) {
        for child in element.children() {
            match child.value() {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) if e.name() == "br" => out.push(' '),
                Node::Element(e) if matches!(e.name(), "script" | "style") => {}
                Node::Element(e) => {
                    if let Some(inner) = ElementRef::wrap(child) {
                        walk(inner, out);
                    }
                    if matches!(e.name(), "div" | "p" | "li" | "blockquote" | "pre") {
                        out.push(' ');
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = String::new();
    walk(element, &mut out);
    smrm_domain::text::tidy(&out)
}

/// Reads one page of a channel's preview; `None` when it is not one (the
/// card page Telegram shows for what has no public preview).
pub fn parse_page(html: &str) -> Option<Page> {
    let doc = Html::parse_document(html);
    doc.select(&selector("section.tgme_channel_history")).next()?;
    let mut page = Page {
        title: doc.select(&selector(".tgme_channel_info_header_title")).next().map(text_of).filter(|t| !t.is_empty()),
        ..Page::default()
    };
    for counter in doc.select(&selector(".tgme_channel_info_counter")) {
        let kind = counter.select(&selector(".counter_type")).next().map(text_of).unwrap_or_default();
        if kind.starts_with("subscriber") || kind.starts_with("member") {
            page.subscribers =
                counter.select(&selector(".counter_value")).next().and_then(|v| parse_count(&text_of(v)));
        }
    }
    page.before = doc
        .select(&selector("a.tme_messages_more[data-before]"))
        .next()
        .and_then(|a| a.value().attr("data-before"))
        .and_then(|b| b.parse().ok());
    let text_sel = selector(".tgme_widget_message_bubble > .tgme_widget_message_text");
    for m in doc.select(&selector("div.tgme_widget_message[data-post]")) {
        let id = m.value().attr("data-post").and_then(|p| p.rsplit_once('/')).and_then(|(_, id)| id.parse().ok());
        let published_at = m
            .select(&selector("a.tgme_widget_message_date time[datetime]"))
            .next()
            .and_then(|t| t.value().attr("datetime"))
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&Utc));
        let text = m.select(&text_sel).next().map(text_of).filter(|t| !t.is_empty());
        let (Some(id), Some(published_at), Some(text)) = (id, published_at, text) else {
            page.skipped += 1;
            continue;
        };
        let href = |css: &str| m.select(&selector(css)).next().and_then(|a| a.value().attr("href")).and_then(post_ref);
        page.posts.push(Message {
            id,
            published_at,
            text: text.chars().take(TEXT_MAX_CHARS).collect(),
            views: m.select(&selector(".tgme_widget_message_views")).next().and_then(|v| parse_count(&text_of(v))),
            forwarded_from: href("a.tgme_widget_message_forwarded_from_name"),
            reply_to: href("a.tgme_widget_message_reply"),
            signed_by: m.select(&selector(".tgme_widget_message_from_author")).next().map(text_of),
        });
    }
    Some(page)
}

fn to_post(source: &Source, channel: &str, page: &Page, m: &Message) -> PostInput {
    PostInput {
        external_id: format!("{channel}/{}", m.id),
        platform: source.platform.clone(),
        source_type: source.source_type,
        url: Some(format!("https://t.me/{channel}/{}", m.id)),
        title: None,
        text: Some(m.text.clone()),
        parent_external_id: m.reply_to.clone(),
        repost_of_external_id: m.forwarded_from.clone(),
        language: None,
        published_at: m.published_at,
        author: Author {
            external_id: None,
            handle: format!("@{channel}"),
            name: m.signed_by.clone().or_else(|| page.title.clone()),
            followers: page.subscribers,
        },
        likes: None,
        comments: None,
        reposts: None,
        views: m.views,
        reach: None,
        sentiment: None,
        brand_id: None,
    }
}

#[async_trait]
impl Connector for TelegramConnector {
    fn kind(&self) -> SourceKind {
        SourceKind::TelegramChannel
    }

    async fn fetch(&self, req: FetchRequest<'_>) -> Result<Fetched, ConnectorError> {
        let SourceConfig::TelegramChannel { channel } = &req.source.config else {
            return Err(ConnectorError::Transient("not a Telegram channel source".into()));
        };
        let channel = channel.to_lowercase();
        let cursor: ChannelCursor = req.cursor.and_then(|c| serde_json::from_str(&c.0).ok()).unwrap_or_default();
        let now = req.now.timestamp();
        let from = match cursor.done_until {
            Some(until) => until - OVERLAP_SECONDS,
            None => now - FIRST_WINDOW_SECONDS,
        };
        let (mut posts, mut skipped, mut before) = (Vec::new(), 0, None::<u64>);
        for _ in 0..PAGES_MAX {
            let path = format!("/s/{channel}");
            let answer = self
                .site
                .call(SourceKind::TelegramChannel, reqwest::Method::GET, &path, "", |r| match before {
                    Some(b) => r.query(&[("before", b)]),
                    None => r,
                })
                .await?;
            if answer.status.is_redirection() {
                return Err(no_preview(&channel));
            }
            if !answer.status.is_success() {
                return Err(status_error(answer.status, &answer.headers, "the channel's web preview"));
            }
            let html = String::from_utf8_lossy(&answer.body);
            let page = parse_page(&html).ok_or_else(|| no_preview(&channel))?;
            skipped += page.skipped;
            let oldest = page.posts.iter().map(|m| m.published_at.timestamp()).min();
            posts.extend(
                page.posts
                    .iter()
                    .filter(|m| m.published_at.timestamp() > from)
                    .map(|m| to_post(req.source, &channel, &page, m)),
            );
            match (page.before, oldest) {
                (Some(b), Some(oldest)) if oldest > from && Some(b) != before => before = Some(b),
                _ => break,
            }
        }
        let next = serde_json::to_string(&ChannelCursor { done_until: Some(now) }).expect("cursor serialises");
        Ok(Fetched { posts, skipped, next: Some(Cursor(next)), unchanged: false })
    }
}

fn no_preview(channel: &str) -> ConnectorError {
    ConnectorError::NotFound(format!(
        "@{channel} has no public web preview: it is private, not a channel (a user, bot or group), or does not exist"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_telegram_writes_them() {
        assert_eq!(parse_count("882"), Some(882));
        assert_eq!(parse_count("12.3K"), Some(12_300));
        assert_eq!(parse_count("6.74K"), Some(6_740));
        assert_eq!(parse_count("1.2M"), Some(1_200_000));
        assert_eq!(parse_count("views"), None);
    }

    #[test]
    fn a_page_reads_into_messages() {
        let html = r#"<html><head><link rel="prev" href="/s/Chan?before=100"></head><body>
<header><div class="tgme_channel_info_header_title"><span dir="auto">Дейнет News</span></div>
<div class="tgme_channel_info_counters"><div class="tgme_channel_info_counter"><span class="counter_value">60K</span> <span class="counter_type">subscribers</span></div></div></header>
<section class="tgme_channel_history js-message_history">
<a href="/s/Chan?before=100" class="tme_messages_more js-messages_more" data-before="100"></a>
<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message" data-post="Chan/100">
 <div class="tgme_widget_message_bubble">
  <div class="tgme_widget_message_forwarded_from accent_color">Forwarded from <a class="tgme_widget_message_forwarded_from_name" href="https://t.me/Orig/7"><span dir="auto">Orig</span></a></div>
  <a class="tgme_widget_message_reply" href="https://t.me/Chan/90"><div class="tgme_widget_message_text js-message_reply_text">quoted</div></a>
  <div class="tgme_widget_message_text js-message_text" dir="auto">Hello &amp; <b>world</b><br/>line 2 <a href="?q=%23tag">#tag</a> <i class="emoji"><b>🔥</b></i></div>
  <div class="tgme_widget_message_footer"><div class="tgme_widget_message_info">
   <span class="tgme_widget_message_views">12.3K</span><span class="tgme_widget_message_meta"><a class="tgme_widget_message_date" href="https://t.me/Chan/100"><time datetime="2026-01-01T10:00:00+00:00" class="time">10:00</time></a></span>
  </div></div></div></div></div>
<div class="tgme_widget_message_wrap"><div class="tgme_widget_message service_message" data-post="Chan/101"><div class="tgme_widget_message_bubble"></div></div></div>
</section></body></html>"#;
        let page = parse_page(html).unwrap();
        assert_eq!(page.before, Some(100));
        assert_eq!(page.subscribers, Some(60_000));
        assert_eq!(page.title.as_deref(), Some("Дейнет News"));
        assert_eq!(page.skipped, 1);
        let m = &page.posts[0];
        assert_eq!(m.id, 100);
        assert_eq!(m.text, "Hello & world line 2 #tag 🔥", "not the quoted reply");
        assert_eq!(m.views, Some(12_300));
        assert_eq!(m.forwarded_from.as_deref(), Some("orig/7"));
        assert_eq!(m.reply_to.as_deref(), Some("chan/90"));
        assert_eq!(m.published_at.to_rfc3339(), "2026-01-01T10:00:00+00:00");
        let card =
            r#"<html><body><div class="tgme_page"><div class="tgme_page_title">Pavel Durov</div></div></body></html>"#;
        assert_eq!(parse_page(card), None);
    }
}
