//! What every request passes through before its handler: its id and
//! access log, the rate limits, and idempotent replays.

pub mod idempotency;
pub mod rate_limit;
pub mod request_id;
