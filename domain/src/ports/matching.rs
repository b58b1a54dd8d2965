//! Matching texts against brand queries.

use crate::ids::BrandId;

/// One brand's query, as the matcher needs it.
#[derive(Debug, Clone)]
pub struct BrandQuery {
    pub brand_id: BrandId,
    pub keywords: Vec<String>,
    pub excluded_keywords: Vec<String>,
    /// ISO 639-1 codes; empty: every language.
    pub languages: Vec<String>,
}

/// At most this many distinct matched forms are kept per brand and text: a
/// text repeating a brand's name a thousand times (or fifty overlapping
/// phrases) costs what a few mentions do, in answers and in storage.
pub const MAX_MATCHED_FORMS: usize = 32;

/// A brand a text is about, with the words of the text that matched: each
/// distinct form once, in the order they first occur, at most
/// [`MAX_MATCHED_FORMS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandMatch {
    pub brand_id: BrandId,
    pub matched: Vec<String>,
}

/// A compiled set of brand queries (one tenant's, or a preview's).
pub trait BrandMatcher: Send + Sync {
    /// The brands a text is about, given the text already folded with
    /// [`crate::text::fold`] (the pipeline folds each post once). `language`
    /// (ISO 639-1), when known, must be one of a brand's languages if the
    /// brand lists any.
    fn find_folded(&self, folded: &str, language: Option<&str>) -> Vec<BrandMatch>;

    /// The same for raw text.
    fn find(&self, text: &str, language: Option<&str>) -> Vec<BrandMatch> {
        self.find_folded(&crate::text::fold(text), language)
    }
}

/// Compiles brand queries into a matcher (Snowball stems + Aho-Corasick in infra).
pub trait MatcherFactory: Send + Sync {
    fn compile(&self, queries: Vec<BrandQuery>) -> Box<dyn BrandMatcher>;
}
