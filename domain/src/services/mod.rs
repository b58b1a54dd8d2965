pub mod access;
pub mod brands;
pub mod competitor_sets;
pub mod mentions;
pub mod reports;
