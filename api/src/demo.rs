//! `smrm demo`: fills a demo tenant over the API itself — a telecom brand,
//! three competitors, a competitor set, ~5,000 Russian and English mentions
//! over 90 days (with authors, engagement, sentiment, a recent negative
//! spike), answer templates and some official answers — then prints a
//! login, an API key and curl lines for the reports.
//!
//! It starts the server in process on a free loopback port, on the
//! configured database, and drives it over HTTP like any client would, so
//! everything goes through validation, matching, rollups and webhooks.

use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::config::Config;
use crate::startup::Application;

const POSTS: usize = 5_000;
const BATCH: usize = 1_000;

/// A small deterministic generator (xorshift): the same demo every time,
/// without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

struct DemoBrand {
    name: &'static str,
    keywords: [&'static str; 2],
    /// Inflected Russian forms and the English name, as people write them.
    forms_ru: [&'static str; 4],
    form_en: &'static str,
    /// Share of the mentions, and of negative / positive ones, in percent.
    weight: u64,
    negative: u64,
    positive: u64,
}

const BRANDS: [DemoBrand; 4] = [
    DemoBrand {
        name: "Дейнет",
        keywords: ["Дейнет", "Daynet"],
        forms_ru: ["Дейнет", "Дейнета", "Дейнетом", "Дейнету"],
        form_en: "Daynet",
        weight: 35,
        negative: 30,
        positive: 30,
    },
    DemoBrand {
        name: "Мегасвязь",
        keywords: ["Мегасвязь", "Megasvyaz"],
        forms_ru: ["Мегасвязь", "Мегасвязи", "Мегасвязью", "Мегасвязи"],
        form_en: "Megasvyaz",
        weight: 30,
        negative: 20,
        positive: 35,
    },
    DemoBrand {
        name: "Телелайн",
        keywords: ["Телелайн", "Teleline"],
        forms_ru: ["Телелайн", "Телелайна", "Телелайном", "Телелайну"],
        form_en: "Teleline",
        weight: 20,
        negative: 25,
        positive: 25,
    },
    DemoBrand {
        name: "Связьком",
        keywords: ["Связьком", "Svyazcom"],
        forms_ru: ["Связьком", "Связькома", "Связькомом", "Связькому"],
        form_en: "Svyazcom",
        weight: 15,
        negative: 15,
        positive: 40,
    },
];

const NEGATIVE_RU: &[&str] = &[
    "{b} опять без связи второй день, поддержка не отвечает",
    "Ужасный сервис у {b}: списали деньги за услугу, которую я не подключал",
    "Третий раз пишу в {b}, а интернет всё так же падает каждый вечер",
    "Не советую {b}: обещали 500 Мбит, по факту еле 20",
    "Час ждал оператора {b}, так и не дождался. Очень плохо",
];
const POSITIVE_RU: &[&str] = &[
    "Перешёл на {b} — интернет летает, очень доволен",
    "Спасибо {b}: мастер пришёл в тот же день и всё быстро починил",
    "У {b} отличный тариф для семьи, рекомендую",
    "Поддержка {b} решила вопрос за пять минут, приятно удивлён",
];
const NEUTRAL_RU: &[&str] = &[
    "Кто-нибудь пользуется {b}? Как у них с покрытием в Подмосковье?",
    "{b} объявил о новых тарифах с первого числа",
    "Сравниваю тарифы {b} и соседей, пока не решил",
    "Подключил {b} на даче, посмотрим как будет работать",
];
const NEGATIVE_EN: &[&str] = &[
    "{b} has been down all evening again, and support is silent",
    "Terrible experience with {b}: charged twice this month",
    "Do not recommend {b}, the speed is nowhere near what they promised",
];
const POSITIVE_EN: &[&str] = &[
    "Switched to {b} last month and the connection is great",
    "{b} support fixed my issue in minutes, impressed",
    "Really happy with the new {b} family plan",
];
const NEUTRAL_EN: &[&str] = &[
    "Anyone using {b} in Moscow? How is the coverage?",
    "{b} announced new plans starting next month",
    "Comparing {b} with the others before I move",
];

/// Platforms with their source type, and how often each appears.
const PLATFORMS: &[(&str, &str, u64)] = &[
    ("vk", "social", 30),
    ("telegram", "messenger", 20),
    ("x", "social", 10),
    ("youtube", "video", 8),
    ("otzovik", "review", 12),
    ("irecommend", "review", 6),
    ("pikabu", "forum", 6),
    ("ria", "news", 5),
    ("rbc", "news", 3),
];

fn weighted<'a, T>(rng: &mut Rng, items: &'a [T], weight: impl Fn(&T) -> u64) -> &'a T {
    let total: u64 = items.iter().map(&weight).sum();
    let mut roll = rng.below(total);
    for item in items {
        let w = weight(item);
        if roll < w {
            return item;
        }
        roll -= w;
    }
    &items[items.len() - 1]
}

/// One demo post: a brand, a text in its voice, an author, engagement.
fn post(rng: &mut Rng, i: usize, now: DateTime<Utc>) -> Value {
    // The last two days: a negative spike about the first brand.
    let spike = i.is_multiple_of(12);
    let brand = if spike { &BRANDS[0] } else { weighted(rng, &BRANDS, |b| b.weight) };
    let russian = rng.chance(70);
    let roll = rng.below(100);
    let (label, texts) = if spike || roll < brand.negative {
        ("negative", if russian { NEGATIVE_RU } else { NEGATIVE_EN })
    } else if roll < brand.negative + brand.positive {
        ("positive", if russian { POSITIVE_RU } else { POSITIVE_EN })
    } else {
        ("neutral", if russian { NEUTRAL_RU } else { NEUTRAL_EN })
    };
    let name = if russian { *rng.pick(&brand.forms_ru) } else { brand.form_en };
    let text = rng.pick(texts).replace("{b}", name);
    let (platform, source_type, _) = *weighted(rng, PLATFORMS, |p| p.2);
    let minutes_ago = if spike { rng.below(2 * 24 * 60) } else { rng.below(90 * 24 * 60) };
    let published = now - chrono::Duration::minutes(minutes_ago as i64);
    let author = rng.below(400);
    let followers = (rng.below(1000) * rng.below(1000)) / 10;
    let views = followers / 3 + rng.below(5000);
    let mut p = json!({
        "external_id": format!("demo-{i}"),
        "platform": platform,
        "source_type": source_type,
        "url": format!("https://{platform}.example/post/{i}"),
        "text": text,
        "language": if russian { "ru" } else { "en" },
        "published_at": published.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "author": {
            "external_id": format!("u{author}"),
            "handle": format!("@{}{author}", if russian { "user_ru_" } else { "user_" }),
            "name": format!("{} {author}", if russian { "Пользователь" } else { "User" }),
            "followers": followers,
        },
        "likes": rng.below(200), "comments": rng.below(40), "reposts": rng.below(25),
        "views": views, "reach": views + rng.below(2000),
    });
    // Most collectors send no label: SMRM's analyzer scores those.
    if rng.chance(60) {
        p["sentiment"] = json!(label);
    }
    p
}

/// What the demo made, to print.
pub struct DemoSummary {
    pub email: String,
    pub password: String,
    pub api_key: String,
    pub brand_id: String,
    pub set_id: String,
    pub mentions: u64,
}

struct Api {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut req = self.client.request(method.clone(), format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        let res = req.send().await.map_err(|e| format!("{method} {path}: {e}"))?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(|e| format!("{method} {path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{method} {path} answered {status}: {}", String::from_utf8_lossy(&bytes)));
        }
        Ok(serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Result<Value, String> {
        self.call(reqwest::Method::GET, path, None).await
    }
}

/// Progress on stderr: one line rewritten in a terminal, lines otherwise.
fn progress(line: &str) {
    use std::io::IsTerminal;
    let mut err = std::io::stderr();
    if err.is_terminal() {
        let _ = write!(err, "\r{line:<60}");
        let _ = err.flush();
    } else {
        let _ = writeln!(err, "{line}");
    }
}

fn id(v: &Value) -> Result<String, String> {
    v["id"].as_str().map(str::to_owned).ok_or_else(|| format!("no id in {v}"))
}

/// Builds the demo tenant on the configured database.
pub async fn run(mut config: Config) -> Result<DemoSummary, String> {
    config.addr = "127.0.0.1:0".parse().expect("a literal address");
    config.rate_limit_per_minute = 1_000_000;
    config.auth_rate_limit_per_minute = 1_000;
    config.signup_enabled = true;
    let app = Application::build(config).await?;
    let port = app.port();
    let handle = app.handle();
    let served = actix_web::rt::spawn(app.run());
    let filled = fill(port).await;
    // Stopped and awaited whatever the outcome, so its background workers
    // finish inside the runtime before the command exits.
    handle.stop(true).await;
    match served.await {
        Ok(Ok(())) => filled,
        Ok(Err(e)) => Err(format!("the demo's server did not stop cleanly: {e}")),
        Err(e) => Err(format!("the demo's server panicked: {e}")),
    }
}

/// Drives the demo's server at `port`: the tenant, its brands and posts.
async fn fill(port: u16) -> Result<DemoSummary, String> {
    let mut api = Api {
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .no_proxy()
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?,
        base: format!("http://127.0.0.1:{port}"),
        token: None,
    };

    let now = Utc::now();
    let mut rng = Rng(0x5eed_5a1e_d00d_f00d);
    let suffix: String = uuid::Uuid::now_v7().simple().to_string()[24..].to_owned();
    let email = format!("demo-{suffix}@smrm.example");
    let password = format!("demo-{}", &uuid::Uuid::new_v4().simple().to_string()[..16]);
    progress("signing up the demo tenant…");
    let signup =
        api.post("/v1/signup", json!({"tenant_name": "Demo Agency", "email": email, "password": password})).await?;
    api.token = signup["access_token"].as_str().map(str::to_owned);
    api.call(reqwest::Method::PATCH, "/v1/tenant", Some(json!({"timezone": "Europe/Moscow"}))).await?;

    progress("brands and the competitor set…");
    let mut brand_ids = Vec::new();
    for b in &BRANDS {
        let created = api.post("/v1/brands", json!({"name": b.name, "keywords": b.keywords})).await?;
        brand_ids.push(id(&created)?);
    }
    let set = api
        .post(
            "/v1/competitor-sets",
            json!({"name": "Телеком, Москва", "brand_id": brand_ids[0], "competitor_ids": &brand_ids[1..]}),
        )
        .await?;
    let set_id = id(&set)?;

    let mut mentions = 0;
    for start in (0..POSTS).step_by(BATCH) {
        let items: Vec<Value> = (start..(start + BATCH).min(POSTS)).map(|i| post(&mut rng, i, now)).collect();
        let r = api.post("/v1/mentions/batch", json!({ "items": items })).await?;
        mentions += r["created"].as_u64().unwrap_or(0);
        progress(&format!("posts {} / {POSTS} ingested, {mentions} mentions", (start + BATCH).min(POSTS)));
    }

    progress("answer templates and official answers…");
    for t in [
        json!({"name": "Извинение, VK", "sentiment": "negative", "platform": "vk", "language": "ru",
               "body": "{author}, простите за неудобства! Команда {brand} уже разбирается, напишите нам в личные сообщения."}),
        json!({"name": "Извинение", "sentiment": "negative",
               "body": "{author}, нам очень жаль. {brand} свяжется с вами сегодня: {url}"}),
        json!({"name": "Спасибо", "sentiment": "positive", "body": "{author}, спасибо за тёплые слова о {brand}!"}),
        json!({"name": "Apology", "sentiment": "negative", "language": "en",
               "body": "{author}, we are sorry about this. The {brand} team is on it."}),
    ] {
        api.post("/v1/response-templates", t).await?;
    }
    let negatives = api.get(&format!("/v1/mentions?brand_id={}&sentiment=negative&limit=60", brand_ids[0])).await?;
    for (k, m) in negatives["data"].as_array().cloned().unwrap_or_default().iter().enumerate() {
        if k % 2 == 1 {
            continue;
        }
        let published: DateTime<Utc> = m["published_at"].as_str().and_then(|s| s.parse().ok()).unwrap_or(now);
        let at = (published + chrono::Duration::minutes(10 + rng.below(300) as i64)).min(now);
        let mid = m["id"].as_str().unwrap_or_default();
        api.post(
            &format!("/v1/mentions/{mid}/responses"),
            json!({"body": "Простите за неудобства! Уже разбираемся.", "responded_at": at.to_rfc3339()}),
        )
        .await?;
    }
    let key = api.post("/v1/api-keys", json!({"name": "Demo CRM", "role": "analyst"})).await?;
    let api_key = key["key"].as_str().map(str::to_owned).ok_or("no API key in the answer")?;
    progress("done");
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let _ = writeln!(std::io::stderr());
    }
    Ok(DemoSummary { email, password, api_key, brand_id: brand_ids[0].clone(), set_id, mentions })
}
