//! Time windows for search connectors, kept per search phrase in the
//! source's cursor: the first run reads the last day; each later run reads
//! from a few hours before the last one's end (for posts the platform
//! indexed late and counters that changed) up to now. Platforms cap how
//! many results one query gives (VK and Hacker News at about 1,000), so a
//! window is walked newest first by moving its upper bound down to the
//! oldest post seen: a busy window is read whole, in as many queries as it
//! takes. A walk cut short (too many pages for one run) goes on from where
//! it stopped at the next run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The first run reads this far back.
pub const FIRST_WINDOW_SECONDS: i64 = 24 * 3600;
/// Later runs re-read this much before the last one's end.
pub const OVERLAP_SECONDS: i64 = 3 * 3600;

/// Per phrase, in Unix seconds.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Windows {
    /// The end of the window its last run finished.
    #[serde(default)]
    done_until: BTreeMap<String, i64>,
    /// A walk cut short: the window's start, the upper bound it reached,
    /// and the end the window had.
    #[serde(default)]
    pending: BTreeMap<String, (i64, i64, i64)>,
}

/// One phrase's window for this run: posts with `from < t <= upper`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub upper: i64,
    /// Where a finished walk leaves the phrase.
    end: i64,
}

impl Window {
    /// After a page whose oldest post is at `oldest`: the rest of the
    /// window, or `None` when it is done. The oldest second may hold more
    /// posts than the page gave, so it is asked again (seen ones are
    /// skipped), unless the page was all that one second.
    pub fn after_page(mut self, oldest: i64) -> Option<Window> {
        self.upper = if oldest < self.upper { oldest } else { oldest - 1 };
        (self.upper > self.from).then_some(self)
    }
}

impl Windows {
    pub fn read(cursor: Option<&str>) -> Self {
        cursor.and_then(|c| serde_json::from_str(c).ok()).unwrap_or_default()
    }

    pub fn window(&self, phrase: &str, now: i64) -> Window {
        if let Some(&(from, upper, end)) = self.pending.get(phrase) {
            return Window { from, upper, end };
        }
        let from = match self.done_until.get(phrase) {
            Some(&until) => until - OVERLAP_SECONDS,
            None => now - FIRST_WINDOW_SECONDS,
        };
        Window { from, upper: now, end: now }
    }

    pub fn finished(&mut self, phrase: &str, w: Window) {
        self.pending.remove(phrase);
        self.done_until.insert(phrase.to_owned(), w.end);
    }

    pub fn unfinished(&mut self, phrase: &str, w: Window) {
        self.pending.insert(phrase.to_owned(), (w.from, w.upper, w.end));
    }

    /// Forgets phrases no longer searched, and serialises.
    pub fn write(mut self, phrases: &[String]) -> String {
        self.done_until.retain(|p, _| phrases.contains(p));
        self.pending.retain(|p, _| phrases.contains(p));
        serde_json::to_string(&self).expect("windows serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_start_a_day_back_then_overlap_and_resume() {
        let mut w = Windows::read(None);
        let first = w.window("дейнет", 100_000);
        assert_eq!((first.from, first.upper), (100_000 - FIRST_WINDOW_SECONDS, 100_000));
        let rest = first.after_page(90_000).unwrap();
        assert_eq!(rest.upper, 90_000);
        assert_eq!(rest.after_page(90_000).unwrap().upper, 89_999, "a page of one second moves past it");
        assert!(rest.after_page(first.from).is_none());
        w.unfinished("дейнет", rest);
        let again = Windows::read(Some(&w.write(&["дейнет".into()])));
        let resumed = again.window("дейнет", 200_000);
        assert_eq!((resumed.from, resumed.upper), (rest.from, 90_000), "a cut walk goes on where it stopped");
        let mut again = again;
        again.finished("дейнет", resumed);
        let next = again.window("дейнет", 200_000);
        assert_eq!(next.from, 100_000 - OVERLAP_SECONDS, "from the end of the window it began, less the overlap");
        assert_eq!(Windows::read(Some(&again.write(&[]))).window("дейнет", 5).from, 5 - FIRST_WINDOW_SECONDS);
    }
}
