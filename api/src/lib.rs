//! SMRM's HTTP API: actix-web handlers, DTOs with OpenAPI schemas, auth,
//! problem+json errors, configuration, and the composition root (`startup`).

pub mod audit_html;
pub mod auth;
pub mod communication_dto;
pub mod config;
pub mod demo;
pub mod dto;
pub mod events;
pub mod extract;
pub mod idempotency;
pub mod integrations_dto;
pub mod lookups;
pub mod mention_dto;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod ratelimit;
pub mod report_dto;
pub mod request_id;
pub mod routes;
pub mod sentiment_cli;
pub mod sentiment_dto;
pub mod startup;
pub mod state;
