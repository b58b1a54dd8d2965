//! One integration-test binary (one link step) with a module per area.

mod access;
mod alerts;
mod api_keys;
mod brands;
mod cache;
mod communication;
mod competitor_sets;
mod connectors;
mod conventions;
mod credentials;
mod hostile;
mod idempotency;
mod lifecycle;
mod mentions;
mod quotas;
mod ratelimits;
mod reports;
mod roles;
mod sentiment;
mod service;
mod sources;
mod telegram;
mod tenancy;
mod vk;
mod webhooks;
mod youtube_reddit;
