pub mod access;
pub mod brand;
pub mod communication;
pub mod competitor_set;
pub mod mention;
pub mod tenant;
