//! Pseudo-relevance feedback on words (RM3 from the fused results): the
//! first papers of the fused ranking say, in the words papers use, what the
//! query is about; their most frequent words that the query lacks are
//! searched as a second, weighted keyword query, and its BM25 (over its own
//! bound) takes a small share of the keyword part. A paraphrase that shares
//! few words with its paper reaches it through the words of the papers it
//! did find. Measured on every judged set: README, "Word feedback".

use std::collections::{HashMap, HashSet};

use serde::Serialize;

/// The word feedback search uses unless told otherwise (`eval
/// --word-feedback` measures others, `off` turns it off).
pub(crate) const DEFAULT_WORD_FEEDBACK: Option<WordFeedback> = Some(WordFeedback {
    papers: 5,
    words: 10,
    keep: 0.9,
});

/// How the fused results feed words back into the keyword leg.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WordFeedback {
    /// How many of the first fused papers give words.
    pub papers: usize,
    /// How many of their words (absent from the query) are searched.
    pub words: usize,
    /// The share of the keyword part kept for the query's own BM25; the
    /// rest goes to the feedback words' BM25.
    pub keep: f64,
}

impl std::fmt::Display for WordFeedback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.papers, self.words, self.keep)
    }
}

impl std::str::FromStr for WordFeedback {
    type Err = String;

    /// `PAPERS:WORDS:KEEP`, e.g. `5:10:0.9` (PAPERS 1..100, WORDS 1..100,
    /// KEEP 0..1).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wrong = || {
            format!(
                "'{s}' is not PAPERS:WORDS:KEEP (e.g. 5:10:0.9, PAPERS and WORDS 1..100, KEEP 0..1)"
            )
        };
        let parts: Vec<&str> = s.split(':').map(str::trim).collect();
        let [papers, words, keep] = parts[..] else {
            return Err(wrong());
        };
        let papers: usize = papers.parse().map_err(|_| wrong())?;
        let words: usize = words.parse().map_err(|_| wrong())?;
        let keep: f64 = keep.parse().map_err(|_| wrong())?;
        if !(1..=100).contains(&papers)
            || !(1..=100).contains(&words)
            || !(0.0..=1.0).contains(&keep)
        {
            return Err(wrong());
        }
        Ok(WordFeedback {
            papers,
            words,
            keep,
        })
    }
}

/// What word feedback searched for one query, as an explanation shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WordsUsed {
    /// The feedback words (as the index analyses them) with their weights,
    /// which sum to 1.
    pub words: Vec<(String, f32)>,
    /// The highest BM25 they could give a paper: their search's scores are
    /// divided by it.
    pub bound: f32,
    /// The share of the keyword part the query's own BM25 kept.
    pub keep: f64,
    /// How many first fused papers gave the words.
    pub from_papers: usize,
}

/// The `count` words that best describe `first` (each paper's analysed
/// title and abstract words, repeats kept, in fused order), leaving out
/// `query_words`: a paper at fused rank r weighs 1/r, and each of its words
/// counts by its share of the paper's words (RM1's document model), so a
/// long abstract does not outvote a short one. Ties go to the word that
/// sorts first. The weights returned sum to 1; empty when nothing is left.
pub(crate) fn expansion_words(
    first: &[Vec<String>],
    query_words: &HashSet<String>,
    count: usize,
) -> Vec<(String, f32)> {
    let total: f64 = (1..=first.len()).map(|r| 1.0 / r as f64).sum();
    let mut weight: HashMap<&str, f64> = HashMap::new();
    for (i, words) in first.iter().enumerate() {
        if words.is_empty() {
            continue;
        }
        let share = (1.0 / (i + 1) as f64) / total / words.len() as f64;
        for word in words {
            *weight.entry(word.as_str()).or_insert(0.0) += share;
        }
    }
    let mut chosen: Vec<(&str, f64)> = weight
        .into_iter()
        .filter(|(word, _)| !query_words.contains(*word))
        .collect();
    chosen.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    chosen.truncate(count);
    let sum: f64 = chosen.iter().map(|(_, w)| w).sum();
    if sum <= 0.0 {
        return Vec::new();
    }
    chosen
        .into_iter()
        .map(|(word, w)| (word.to_string(), (w / sum) as f32))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn words_are_weighted_by_rank_and_share_and_the_query_is_left_out() {
        // Paper 1 (weight 1/1.5 = 2/3): token ×2, merg ×1, video ×1 → shares of 1/4.
        // Paper 2 (weight 1/3): token ×1, prune ×1 → shares of 1/2.
        // token = 2/3·2/4 + 1/3·1/2 = .5; merg = video = 2/3·1/4 = 1/6; prune = 1/6.
        let first = [words("token token merg video"), words("token prune")];
        let query: HashSet<String> = ["video".to_string()].into();
        let got = expansion_words(&first, &query, 3);
        let names: Vec<&str> = got.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(names, ["token", "merg", "prune"], "{got:?}");
        // Renormalised over the three kept: .5, 1/6, 1/6 over 5/6.
        assert!((got[0].1 - 0.6).abs() < 1e-6, "{got:?}");
        assert!((got[1].1 - 0.2).abs() < 1e-6, "{got:?}");
        assert!((got.iter().map(|(_, w)| w).sum::<f32>() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_paper_without_words_still_counts_in_the_rank_weights_and_nothing_left_is_empty() {
        let first = [Vec::new(), words("prune")];
        assert_eq!(
            expansion_words(&first, &HashSet::new(), 10),
            vec![("prune".to_string(), 1.0)]
        );
        let query: HashSet<String> = ["prune".to_string()].into();
        assert!(expansion_words(&first, &query, 10).is_empty());
        assert!(expansion_words(&[], &HashSet::new(), 10).is_empty());
    }

    #[test]
    fn settings_parse_and_bad_ones_say_what_is_expected() {
        let fb: WordFeedback = "5:10:0.9".parse().expect("parses");
        assert_eq!(
            fb,
            WordFeedback {
                papers: 5,
                words: 10,
                keep: 0.9
            }
        );
        assert_eq!(fb.to_string(), "5:10:0.9");
        for bad in ["5:10", "0:10:0.9", "5:10:1.5", "a:b:c", "5:10:0.9:1"] {
            let err = bad.parse::<WordFeedback>().expect_err(bad);
            assert!(err.contains("PAPERS:WORDS:KEEP"), "{err}");
        }
    }
}
