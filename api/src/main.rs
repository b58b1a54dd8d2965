//! `smrm`: the SMRM server and its maintenance commands.

use std::io::Write;

use smrm_api::config::Config;
use smrm_api::startup::{Application, connect_and_migrate};
use tracing_subscriber::EnvFilter;

/// mimalloc: ingest and reports allocate many small short-lived values (rows,
/// query parameters, JSON), where it is measurably faster than glibc's malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
smrm — Social Media Relationship Management API

USAGE:
    smrm [COMMAND]

COMMANDS:
    serve      migrate the database, then serve HTTP (default)
    demo       fill a demo tenant (brands, ~5,000 mentions, answers) and
               print a login, an API key and curl lines to try
    migrate    apply pending database migrations and exit
    citus setup
               on a Citus coordinator (DATABASE_URL): apply pending
               migrations, then distribute every tenant table by tenant
               and make the global ones reference tables; idempotent
               (README.md, \"Scale-out\")
    openapi    print the OpenAPI document (openapi/openapi.json)
    rate-limit <tenant-id> <per-minute|default>
               set a tenant's requests per minute per API key or user
               (its plan), or return it to SMRM_RATE_LIMIT_PER_MINUTE
    quota <tenant-id> [<name> <limit|default>]
               print a tenant's quotas, or first set one (brands,
               keywords_per_brand, users, api_keys, webhooks, sources,
               alert_rules) or return it to its default
    sentiment <train|eval|adapt-experiment> [--data DIR] [--weights FILE]
               train the built-in sentiment model, score it, or run the
               adaptation experiment (see README.md, \"Sentiment\")
    help       print this text

Configuration is read from the environment; see README.md.";

#[actix_web::main]
async fn main() {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    match command.as_str() {
        // Written without println!, so a closed pipe (`smrm openapi | head`) is not a panic.
        "openapi" => {
            let doc = smrm_api::openapi::document().to_pretty_json().expect("the document serialises");
            let _ = writeln!(std::io::stdout(), "{doc}");
        }
        "help" | "--help" | "-h" => {
            let _ = writeln!(std::io::stdout(), "{USAGE}");
        }
        "serve" | "migrate" => {
            let config = load_config();
            let result = if command == "migrate" { migrate(&config).await } else { serve(config).await };
            if let Err(e) = result {
                tracing::error!("{e}");
                std::process::exit(1);
            }
        }
        "citus" => {
            let config = load_config();
            let args: Vec<String> = std::env::args().skip(2).collect();
            match citus(&config, &args).await {
                Ok(text) => {
                    let _ = writeln!(std::io::stdout(), "{text}");
                }
                Err(e) => {
                    tracing::error!("{e}");
                    std::process::exit(1);
                }
            }
        }
        "demo" => {
            let config = load_config();
            let addr = config.addr;
            match smrm_api::demo::run(config).await {
                Ok(s) => print_demo(&s, addr),
                Err(e) => {
                    tracing::error!("{e}");
                    std::process::exit(1);
                }
            }
        }
        "sentiment" => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            if let Err(e) = smrm_api::sentiment_cli::run(&args) {
                eprintln!("{e}");
                std::process::exit(2);
            }
        }
        "rate-limit" => {
            let config = load_config();
            let args: Vec<String> = std::env::args().skip(2).collect();
            if let Err(e) = set_rate_limit(&config, &args).await {
                tracing::error!("{e}");
                std::process::exit(1);
            }
        }
        "quota" => {
            let config = load_config();
            let args: Vec<String> = std::env::args().skip(2).collect();
            match smrm_api::admin::quota(&config, &args).await {
                Ok(text) => {
                    let _ = write!(std::io::stdout(), "{text}");
                }
                Err(e) => {
                    tracing::error!("{e}");
                    std::process::exit(1);
                }
            }
        }
        other => {
            eprintln!("unknown command `{other}`\n\n{USAGE}");
            std::process::exit(2);
        }
    }
}

fn load_config() -> Config {
    let json = std::env::var("SMRM_LOG_FORMAT").is_ok_and(|v| v == "json");
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to stderr: stdout is for what a command prints (the OpenAPI
    // document, the demo's login and curl lines).
    if json {
        tracing_subscriber::fmt().json().with_env_filter(filter).with_writer(std::io::stderr).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    }
    for name in Config::unknown_variables() {
        tracing::warn!(variable = %name, "unknown SMRM_* variable ignored (a typo?)");
    }
    match Config::from_env() {
        Ok(config) => {
            tracing::info!(?config, "configuration");
            config
        }
        Err(errors) => {
            for e in &errors {
                tracing::error!("invalid configuration: {e}");
            }
            std::process::exit(2);
        }
    }
}

async fn migrate(config: &Config) -> Result<(), String> {
    connect_and_migrate(config).await?;
    tracing::info!("database is up to date");
    Ok(())
}

/// `smrm citus setup`: what `serve` and `migrate` do on a Citus
/// coordinator anyway, run by hand and reported.
async fn citus(config: &Config, args: &[String]) -> Result<String, String> {
    if args.first().map(String::as_str) != Some("setup") || args.len() > 1 {
        return Err("usage: smrm citus setup".into());
    }
    let store = smrm_api::startup::connect(config).await?;
    if !store.on_citus() {
        return Err("the database is not a Citus coordinator (no `citus` extension): nothing done".into());
    }
    let setup = store
        .migrate()
        .await
        .map_err(|e| format!("cannot migrate the database: {e}"))?
        .ok_or("the `citus` extension went away during the migration")?;
    let placed = setup.distributed.len() + setup.reference.len();
    Ok(format!(
        "Citus: {placed} tables placed now ({} distributed by tenant, {} reference), {} placed already",
        setup.distributed.len(),
        setup.reference.len(),
        setup.already,
    ))
}

fn print_demo(s: &smrm_api::demo::DemoSummary, addr: std::net::SocketAddr) {
    let base = format!("http://{addr}");
    let key = &s.api_key;
    let period = "from=$(date -u -d '-90 days' +%Y-%m-%dT00:00:00Z)&to=$(date -u -d '+1 day' +%Y-%m-%dT00:00:00Z)";
    let text = format!(
        "\nThe demo tenant is ready: {mentions} mentions of 4 brands over 90 days.\n\
         \n  login:    {email}\n  password: {password}\n  API key:  {key}\n\
         \nStart the server (`cargo run`), then try:\n\
         \n  curl -s -H 'Authorization: Bearer {key}' '{base}/v1/mentions?limit=5&sentiment=negative'\
         \n  curl -s -H 'Authorization: Bearer {key}' \"{base}/v1/competitor-sets/{set}/share-of-voice?{period}&granularity=week\"\
         \n  curl -s -H 'Authorization: Bearer {key}' \"{base}/v1/brands/{brand}/sentiment?{period}&granularity=week\"\
         \n  curl -s -H 'Authorization: Bearer {key}' \"{base}/v1/brands/{brand}/responses/stats?{period}\"\
         \n  curl -s -H 'Authorization: Bearer {key}' -H 'Accept: text/html' \"{base}/v1/brands/{brand}/audit?competitor_set_id={set}&{period}\" > audit.html\
         \n\nTo collect by itself, point a source at a real platform. Hacker News needs no key:\
         \n  curl -s -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' {base}/v1/sources -d '{{\"kind\": \"hn_search\", \"brand_ids\": [\"{brand}\"]}}'\
         \nVK, YouTube and Reddit need the tenant's key first (POST /v1/credentials as the owner, {email});\
         \nTelegram channels and RSS feeds need none. README: \"Sources and connectors\".\
         \n\nThe API reference is at {base}/docs.",
        mentions = s.mentions,
        email = s.email,
        password = s.password,
        set = s.set_id,
        brand = s.brand_id,
    );
    let _ = writeln!(std::io::stdout(), "{text}");
}

async fn set_rate_limit(config: &Config, args: &[String]) -> Result<(), String> {
    use smrm_domain::ports::TenantLimits;
    let [tenant, limit] = args else {
        return Err("usage: smrm rate-limit <tenant-id> <per-minute|default>".into());
    };
    let tenant = uuid::Uuid::parse_str(tenant).map_err(|_| format!("`{tenant}` is not a tenant id"))?;
    let limit = match limit.as_str() {
        "default" => None,
        n => Some(n.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| format!("`{n}` is not a positive number"))?),
    };
    let store = connect_and_migrate(config).await?;
    store.set_rate_limit(smrm_domain::ids::TenantId(tenant), limit).await.map_err(|e| e.to_string())?;
    tracing::info!(%tenant, ?limit, "rate limit set; replicas apply it within a minute");
    Ok(())
}

async fn serve(config: Config) -> Result<(), String> {
    let addr = config.addr;
    let app = Application::build(config).await?;
    tracing::info!(%addr, port = app.port(), "SMRM is listening; API reference at /docs");
    app.run().await.map_err(|e| e.to_string())
}
