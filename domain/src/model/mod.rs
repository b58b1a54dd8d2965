pub mod access;
pub mod brand;
pub mod competitor_set;
pub mod tenant;
