pub mod access;
pub mod brand;
pub mod communication;
pub mod competitor_set;
pub mod integrations;
pub mod mention;
pub mod sources;
pub mod tenant;
