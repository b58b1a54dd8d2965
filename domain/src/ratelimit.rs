//! Rate limits: a token bucket per caller that holds a minute's quota and
//! refills continuously, so a caller may burst up to the whole quota and
//! then gets one request per `60 / limit` seconds.

/// The answer for one request, and what the `RateLimit-*` headers say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateDecision {
    pub allowed: bool,
    /// Requests per minute.
    pub limit: u32,
    /// Requests that could be made right now.
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_seconds: u64,
    /// When refused: seconds until one request is allowed.
    pub retry_after_seconds: u64,
}

/// A bucket's state: tokens left, at a time in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub tokens: f64,
    pub at_ms: i64,
}

impl Bucket {
    pub fn full(limit: u32, now_ms: i64) -> Self {
        Self { tokens: f64::from(limit), at_ms: now_ms }
    }

    /// Refills for the time since the last request, then takes a token if
    /// there is one.
    pub fn take(&mut self, limit: u32, now_ms: i64) -> RateDecision {
        let capacity = f64::from(limit.max(1));
        let per_ms = capacity / 60_000.0;
        let elapsed = (now_ms - self.at_ms).max(0) as f64;
        self.tokens = (self.tokens + elapsed * per_ms).min(capacity);
        self.at_ms = now_ms.max(self.at_ms);
        let allowed = self.tokens >= 1.0;
        if allowed {
            self.tokens -= 1.0;
        }
        decision(allowed, limit, self.tokens)
    }
}

/// The decision for a bucket left with `tokens` (also used with the tokens a
/// Redis script computed).
pub fn decision(allowed: bool, limit: u32, tokens: f64) -> RateDecision {
    let capacity = f64::from(limit.max(1));
    let per_second = capacity / 60.0;
    RateDecision {
        allowed,
        limit,
        remaining: tokens.max(0.0).floor() as u32,
        reset_seconds: ((capacity - tokens) / per_second).max(0.0).ceil() as u64,
        retry_after_seconds: if allowed { 0 } else { ((1.0 - tokens) / per_second).max(0.0).ceil().max(1.0) as u64 },
    }
}

/// A replica's share of a bucket kept in a shared store (Redis): a block of
/// tokens taken from the bucket in one round trip and spent locally, so a
/// busy caller costs a round trip per block instead of per request.
///
/// The shared bucket never admits more than its limit (every admitted request
/// spent a token taken from it). What a block costs is a little early
/// refusal: tokens one replica holds cannot be spent on another, and tokens
/// unspent after `LEASE_MS` are dropped. Both are bounded by the block size,
/// which grows with the caller's rate on this replica (about 200 ms of it,
/// doubling at most per block) up to 1/64 of the limit; a caller that is not
/// busy takes one token at a time and its limit is exact.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Lease {
    /// Tokens taken and not yet spent.
    pub tokens: u32,
    /// The size of the last block.
    pub granted: u32,
    /// When the last block was taken (a monotonic clock, in milliseconds).
    pub at_ms: u64,
    /// Tokens the shared bucket had left after the last block.
    pub shared_left: f64,
}

/// How long leased tokens may be spent.
pub const LEASE_MS: u64 = 1_000;
/// A block aims at this much of the caller's recent rate.
const BLOCK_MS: u64 = 200;

impl Lease {
    fn fresh(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.at_ms) < LEASE_MS
    }

    /// Spends a leased token, if a fresh one is left.
    pub fn spend(&mut self, limit: u32, now_ms: u64) -> Option<RateDecision> {
        if self.tokens == 0 || !self.fresh(now_ms) {
            return None;
        }
        self.tokens -= 1;
        Some(decision(true, limit, self.shared_left + f64::from(self.tokens)))
    }

    /// How many tokens the next block should take.
    pub fn next_block(&self, limit: u32, now_ms: u64) -> u32 {
        let cap = (limit / 64).max(1);
        // The last block went unspent, or the caller was idle: start small.
        if self.granted == 0 || self.tokens > 0 || !self.fresh(now_ms) {
            return 1;
        }
        let elapsed = now_ms.saturating_sub(self.at_ms).max(1);
        let at_rate = (u64::from(self.granted) * BLOCK_MS).div_ceil(elapsed);
        let grown = u64::from(self.granted).saturating_mul(2);
        u32::try_from(at_rate.min(grown)).unwrap_or(u32::MAX).clamp(1, cap)
    }

    /// Records a block of `granted` tokens, one of which the current request
    /// spends, and answers for that request.
    pub fn take_block(&mut self, limit: u32, granted: u32, shared_left: f64, now_ms: u64) -> RateDecision {
        if granted == 0 {
            return decision(false, limit, shared_left);
        }
        let kept = if self.fresh(now_ms) { self.tokens } else { 0 };
        *self = Self { tokens: kept + granted - 1, granted, at_ms: now_ms, shared_left };
        decision(true, limit, shared_left + f64::from(self.tokens))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_to_the_quota_then_refills_over_the_minute() {
        let mut b = Bucket::full(60, 0);
        for i in 0..60 {
            let d = b.take(60, 0);
            assert!(d.allowed, "request {i} of the burst");
            assert_eq!(d.remaining, 59 - i);
        }
        let refused = b.take(60, 0);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_seconds, 1);
        assert_eq!(refused.reset_seconds, 60);
        assert!(b.take(60, 1_000).allowed, "one token a second comes back");
        assert!(!b.take(60, 1_000).allowed);
        assert_eq!(b.take(60, 61_000).remaining, 59, "full again after a minute");
    }
    #[test]
    fn a_lease_starts_with_one_token_and_grows_with_a_busy_caller() {
        let limit = 6_400; // blocks of at most 100
        let mut lease = Lease::default();
        assert_eq!(lease.spend(limit, 0), None, "nothing leased yet");
        assert_eq!(lease.next_block(limit, 0), 1);
        let d = lease.take_block(limit, 1, 5_000.0, 0);
        assert!(d.allowed);
        assert_eq!(d.remaining, 5_000);
        // The token went at once: the next block doubles, and keeps doubling
        // while the blocks go fast, up to 1/64 of the limit.
        let mut now = 0;
        let mut sizes = vec![];
        for _ in 0..10 {
            now += 1;
            let want = lease.next_block(limit, now);
            sizes.push(want);
            lease.take_block(limit, want, 4_000.0, now);
            for _ in 1..want {
                assert!(lease.spend(limit, now).is_some_and(|d| d.allowed));
            }
            assert_eq!(lease.spend(limit, now), None, "the block is spent");
        }
        assert_eq!(sizes, [2, 4, 8, 16, 32, 64, 100, 100, 100, 100]);
    }

    #[test]
    fn a_slow_caller_takes_one_token_at_a_time_and_old_tokens_lapse() {
        let limit = 6_400;
        let mut lease = Lease::default();
        lease.take_block(limit, 1, 100.0, 0);
        // One request a second: a block of 1 would last 1 s, longer than a lease.
        assert_eq!(lease.next_block(limit, 1_000), 1);
        // A block of 4 spent at 10 requests a second: 200 ms is 2 requests.
        lease.take_block(limit, 4, 100.0, 2_000);
        for t in [2_100, 2_200, 2_300] {
            assert!(lease.spend(limit, t).is_some());
        }
        assert_eq!(lease.next_block(limit, 2_400), 2);
        // Tokens left unspent past the lease are not spent, and the next
        // block starts small again.
        lease.take_block(limit, 8, 100.0, 3_000);
        assert_eq!(lease.spend(limit, 3_000 + LEASE_MS), None);
        assert_eq!(lease.next_block(limit, 3_000 + LEASE_MS), 1);
    }

    #[test]
    fn an_empty_shared_bucket_refuses_and_the_remaining_count_adds_the_lease() {
        let mut lease = Lease::default();
        let refused = lease.take_block(60, 0, 0.4, 0);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_seconds, 1);
        let d = lease.take_block(6_400, 10, 50.0, 0);
        assert_eq!(d.remaining, 59, "50 in the shared bucket, 9 held here");
        assert_eq!(lease.spend(6_400, 1).map(|d| d.remaining), Some(58));
    }
}
