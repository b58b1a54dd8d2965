//! What the domain needs from the outside world. `infra` implements these;
//! every repository method takes the tenant first, so no row can be reached
//! without naming whose it is.
//!
//! One file per area; everything is re-exported here, so a port is named
//! `smrm_domain::ports::X` whichever file it lives in.

mod access;
mod alerts;
mod brands;
mod communication;
mod idempotency;
mod matching;
mod mentions;
mod reports;
mod sentiment;
mod sources;
mod system;
mod webhooks;

pub use access::*;
pub use alerts::*;
pub use brands::*;
pub use communication::*;
pub use idempotency::*;
pub use matching::*;
pub use mentions::*;
pub use reports::*;
pub use sentiment::*;
pub use sources::*;
pub use system::*;
pub use webhooks::*;
