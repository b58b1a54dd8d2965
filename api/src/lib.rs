//! SMRM's HTTP API: actix-web handlers, DTOs with OpenAPI schemas, auth,
//! problem+json errors, configuration, and the composition root (`startup`).

pub mod admin;
pub mod auth;
pub mod config;
pub mod demo;
pub mod events;
pub mod extract;
pub mod limits;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod sentiment_cli;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod workers;
