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
}
