//! The audit as a self-contained HTML page an agency can send to its client:
//! inline CSS and SVG charts, no scripts, fonts or images from elsewhere.

use std::fmt::Write;

use crate::routes::reports::dto::{AuditDto, SentimentSummaryDto};

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const W: f64 = 640.0;
const GREEN: &str = "#2e9e5b";
const GREY: &str = "#a3a9b3";
const RED: &str = "#d64545";
const BLUE: &str = "#3566d6";

/// Horizontal bars of Share of Voice by mentions; the audited brand in blue.
fn sov_bars(a: &AuditDto) -> String {
    let rows = &a.share_of_voice.mentions.brands;
    let h = 28.0 * rows.len() as f64 + 10.0;
    let mut svg = format!(r#"<svg viewBox="0 0 {W} {h}" width="100%" role="img" aria-label="Share of Voice">"#);
    for (i, e) in rows.iter().enumerate() {
        let y = 5.0 + 28.0 * i as f64;
        let width = (W - 260.0) * e.share / 100.0;
        let colour = if e.brand_id == a.brand_id { BLUE } else { GREY };
        let _ = write!(
            svg,
            r#"<text x="0" y="{ty}" font-size="13">{name}</text><rect x="170" y="{y}" width="{width:.1}" height="20" fill="{colour}" rx="3"/><text x="{tx:.1}" y="{ty}" font-size="13">{share:.1} % ({value})</text>"#,
            ty = y + 15.0,
            name = esc(&truncate(&e.name, 22)),
            tx = 176.0 + width,
            share = e.share,
            value = e.value,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Columns per bucket: stacked sentiment, or one series of values.
fn columns(labels: &[String], stacks: &[Vec<(f64, &str)>], title: &str) -> String {
    let h = 200.0;
    let n = stacks.len().max(1) as f64;
    let max = stacks.iter().map(|s| s.iter().map(|(v, _)| v).sum::<f64>()).fold(0.0, f64::max).max(1.0);
    let slot = (W - 40.0) / n;
    let bar = (slot * 0.7).max(1.0);
    let mut svg =
        format!(r#"<svg viewBox="0 0 {W} {}" width="100%" role="img" aria-label="{}">"#, h + 40.0, esc(title));
    let _ = write!(svg, r##"<text x="0" y="12" font-size="11" fill="#666">max {max}</text>"##);
    for (i, stack) in stacks.iter().enumerate() {
        let x = 30.0 + slot * i as f64;
        let mut top = h + 10.0;
        for (v, colour) in stack {
            let height = h * v / max;
            top -= height;
            let _ =
                write!(svg, r#"<rect x="{x:.1}" y="{top:.1}" width="{bar:.1}" height="{height:.1}" fill="{colour}"/>"#);
        }
    }
    // A label on the first, middle and last buckets keeps the axis readable.
    for i in [0, stacks.len() / 2, stacks.len().saturating_sub(1)] {
        if let Some(label) = labels.get(i) {
            let x = 30.0 + slot * i as f64;
            let _ = write!(
                svg,
                r##"<text x="{x:.1}" y="{}" font-size="11" fill="#444">{}</text>"##,
                h + 30.0,
                esc(&label[..10.min(label.len())])
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}

fn sentiment_row(label: &str, s: &SentimentSummaryDto) -> String {
    format!(
        "<tr><td>{label}</td><td>{}</td><td>{:.1} %</td><td>{:.1} %</td><td>{:.1} %</td><td>{:+.1}</td><td>{:+.1}</td></tr>",
        s.total, s.positive_share, s.neutral_share, s.negative_share, s.net_sentiment, s.net_sentiment_polar
    )
}

pub fn render(a: &AuditDto) -> String {
    let labels: Vec<String> = a.sentiment.series.iter().map(|p| p.start.clone()).collect();
    let sentiment_stacks: Vec<Vec<(f64, &str)>> = a
        .sentiment
        .series
        .iter()
        .map(|p| vec![(p.all.negative as f64, RED), (p.all.neutral as f64, GREY), (p.all.positive as f64, GREEN)])
        .collect();
    let engagement_stacks: Vec<Vec<(f64, &str)>> =
        a.engagement.series.iter().map(|p| vec![(p.sums.engagement as f64, BLUE)]).collect();
    let mut html = String::with_capacity(32 * 1024);
    let _ = write!(
        html,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reputation audit: {brand}</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1d2330;max-width:760px;margin:32px auto;padding:0 16px;line-height:1.45}}
h1{{font-size:26px;margin-bottom:4px}} h2{{font-size:18px;margin-top:32px;border-bottom:1px solid #e3e6eb;padding-bottom:4px}}
.muted{{color:#667085;font-size:13px}} table{{border-collapse:collapse;width:100%;font-size:13px}}
td,th{{text-align:left;padding:6px 8px;border-bottom:1px solid #eef0f3}} th{{color:#667085;font-weight:600}}
.findings li{{margin:6px 0}} .kpis{{display:flex;gap:12px;flex-wrap:wrap}} .kpi{{background:#f5f7fa;border-radius:8px;padding:10px 14px;min-width:120px}}
.kpi b{{display:block;font-size:20px}} .legend span{{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;border-radius:2px}}
</style></head><body>
<h1>Reputation audit: {brand}</h1>
<div class="muted">Against “{set}” · {from} – {to} ({tz}, by {granularity})</div>
<h2>Findings</h2><ul class="findings">"#,
        brand = esc(&a.brand_name),
        set = esc(&a.competitor_set_name),
        from = a.period.from.format("%Y-%m-%d %H:%M UTC"),
        to = a.period.to.format("%Y-%m-%d %H:%M UTC"),
        tz = esc(&a.period.tz),
        granularity = serde_json::to_value(a.period.granularity)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
    );
    for f in &a.findings {
        let _ = write!(html, "<li>{}</li>", esc(f));
    }
    let e = &a.engagement.totals;
    let _ = write!(
        html,
        r#"</ul><div class="kpis"><div class="kpi"><b>{}</b>mentions</div><div class="kpi"><b>{:+.1}</b>net sentiment</div><div class="kpi"><b>{}</b>engagement</div><div class="kpi"><b>{}</b>reach</div><div class="kpi"><b>{:.1} %</b>response rate</div></div>"#,
        e.mentions, a.sentiment.all.net_sentiment, e.engagement, e.reach, a.response_stats.response_rate
    );
    let _ = write!(html, "<h2>Share of Voice (mentions)</h2>{}", sov_bars(a));
    html.push_str("<table><tr><th>Brand</th><th>Mentions</th><th>By reach</th><th>By engagement</th></tr>");
    for (i, m) in a.share_of_voice.mentions.brands.iter().enumerate() {
        let reach = a.share_of_voice.reach.brands.get(i).map(|x| x.share).unwrap_or_default();
        let engagement = a.share_of_voice.engagement.brands.get(i).map(|x| x.share).unwrap_or_default();
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{:.1} %</td><td>{reach:.1} %</td><td>{engagement:.1} %</td></tr>",
            esc(&m.name),
            m.share
        );
    }
    html.push_str("</table>");
    let _ = write!(
        html,
        r#"<h2>Sentiment over time</h2><div class="legend muted"><span style="background:{GREEN}"></span>positive<span style="background:{GREY}"></span>neutral<span style="background:{RED}"></span>negative</div>{}"#,
        columns(&labels, &sentiment_stacks, "Sentiment over time")
    );
    html.push_str("<table><tr><th>Sources</th><th>Mentions</th><th>Positive</th><th>Neutral</th><th>Negative</th><th>Net</th><th>Net (polar)</th></tr>");
    html.push_str(&sentiment_row("All", &a.sentiment.all));
    html.push_str(&sentiment_row("Reviews and social (user-generated)", &a.sentiment.user_generated));
    html.push_str(&sentiment_row("Media", &a.sentiment.media));
    html.push_str("</table>");
    let _ =
        write!(html, "<h2>Engagement over time</h2>{}", columns(&labels, &engagement_stacks, "Engagement over time"));
    html.push_str("<table><tr><th>Platform</th><th>Mentions</th><th>Likes</th><th>Comments</th><th>Reposts</th><th>Per mention</th></tr>");
    for p in &a.engagement.by_platform {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.2}</td></tr>",
            esc(&p.platform),
            p.sums.mentions,
            p.sums.likes,
            p.sums.comments,
            p.sums.reposts,
            p.sums.per_mention
        );
    }
    html.push_str("</table><h2>Top authors</h2><table><tr><th>Author</th><th>Platform</th><th>Followers</th><th>Mentions</th><th>Negative</th><th>Engagement</th></tr>");
    for au in &a.top_authors {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&au.name.clone().map(|n| format!("{n} ({})", au.handle)).unwrap_or_else(|| au.handle.clone())),
            esc(&au.platform),
            au.followers,
            au.mentions,
            au.negative,
            au.engagement
        );
    }
    html.push_str("</table><h2>Most-engaged negative mentions</h2><table><tr><th>When</th><th>Where</th><th>Text</th><th>Engagement</th></tr>");
    for m in &a.top_negative_mentions {
        let engagement = m.likes.unwrap_or(0) + m.comments.unwrap_or(0) + m.reposts.unwrap_or(0);
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{engagement}</td></tr>",
            m.published_at.format("%Y-%m-%d"),
            esc(&m.platform),
            esc(&truncate(m.text.as_deref().unwrap_or("(restricted)"), 160))
        );
    }
    let _ = write!(
        html,
        r#"</table><p class="muted">Negative mentions with an official answer: {} of {}. Generated by SMRM.</p></body></html>"#,
        a.response_stats.negative_answered, a.response_stats.negative_total
    );
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(esc(r#"<script>"a"&'b'</script>"#), "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;&lt;/script&gt;");
        assert_eq!(truncate("абвгд", 3), "аб…");
    }
}
