pub mod access;
pub mod alerts;
pub mod brands;
pub mod communication;
pub mod competitor_sets;
pub mod mentions;
pub mod reports;
pub mod webhooks;
