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
    migrate    apply pending database migrations and exit
    openapi    print the OpenAPI document (openapi/openapi.json)
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
        other => {
            eprintln!("unknown command `{other}`\n\n{USAGE}");
            std::process::exit(2);
        }
    }
}

fn load_config() -> Config {
    let json = std::env::var("SMRM_LOG_FORMAT").is_ok_and(|v| v == "json");
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if json {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
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

async fn serve(config: Config) -> Result<(), String> {
    let addr = config.addr;
    let app = Application::build(config).await?;
    tracing::info!(%addr, port = app.port(), "SMRM is listening; API reference at /docs");
    app.run().await.map_err(|e| e.to_string())
}
