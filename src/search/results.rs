//! What a search hands back, shared by every printer and (later) the HTTP
//! server: each hit with its paper, how it was ranked, its snippet and, on
//! request, why it ranks where it does. Serialises to the `--json` shape.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use super::Mode;
use super::feedback::Feedback;
use super::fusion::{Fused, Fusion};
use super::word_feedback::WordsUsed;
use crate::paper::{Paper, PaperView};

/// One result: the paper and how it was ranked (final score, each leg's
/// rank and score, and what each leg contributed). Borrows the engine only.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    /// The paper.
    pub paper: &'a Paper,
    /// How it was ranked.
    pub ranking: Fused,
    /// The query equals this paper's title, tag, arXiv id or id.
    pub exact: bool,
    /// The query is the name of one of this paper's authors (hybrid mode).
    pub author: bool,
    /// How many papers the semantic leg itself returned, when fusion also
    /// scored papers past them (bounded fusion gives every keyword
    /// candidate its cosine); a semantic rank beyond it is such a paper's.
    pub semantic_depth: Option<usize>,
    /// The words word feedback added to the query (shared by every hit of
    /// the query), when it ran.
    pub word_feedback: Option<std::sync::Arc<WordsUsed>>,
}

/// A passage with the byte ranges of highlighted words.
#[derive(Debug, Clone, Serialize)]
pub struct Snippet {
    /// Text.
    pub text: String,
    /// Highlights.
    pub highlights: Vec<Range<usize>>,
}

/// Why a hit ranks where it does: each leg's rank and own score, and the
/// fused score with the formula and parameters, so it can be recomputed.
#[derive(Debug, Clone, Serialize)]
pub struct Explain {
    /// Keyword.
    pub keyword: Option<LegExplain>,
    /// Semantic.
    pub semantic: Option<LegExplain>,
    /// The pseudo-relevance feedback the semantic leg searched with (its
    /// query vector moved toward its first hits), when it used any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic_feedback: Option<Feedback>,
    /// The words the fused results fed back into the keyword part, and
    /// where their search had this paper, when word feedback ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub word_feedback: Option<WordFeedbackExplain>,
    /// Fusion.
    pub fusion: FusionExplain,
}

/// Word feedback as one hit's explanation shows it: the query's words and
/// this paper's place in their search.
#[derive(Debug, Clone, Serialize)]
pub struct WordFeedbackExplain {
    /// What was searched: the words, their weights, bound and share.
    #[serde(flatten)]
    pub used: WordsUsed,
    /// Where their search had this paper and what it added, if it had it.
    pub leg: Option<LegExplain>,
}

/// Where one leg had the paper and what it added.
#[derive(Debug, Clone, Serialize)]
pub struct LegExplain {
    /// 1-based rank in the leg.
    pub rank: usize,
    /// BM25 for the keyword leg, cosine similarity for the semantic leg.
    pub score: f32,
    /// What this leg added to the fused score.
    pub contribution: f64,
    /// Set when the leg did not return the paper in its first `past_top`
    /// and its score was computed for fusion: `rank` then orders only such
    /// papers after the leg's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub past_top: Option<usize>,
}

/// FusionExplain.
#[derive(Debug, Clone, Serialize)]
pub struct FusionExplain {
    /// Str.
    pub method: &'static str,
    /// The RRF rank offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<f64>,
    /// The weight of the semantic leg.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// Formula.
    pub formula: String,
    /// The fused score.
    pub score: f64,
    /// Exact match first.
    pub exact_match_first: bool,
    /// Ranked first (after exact matches) as a paper of the author the query names.
    pub author_match_first: bool,
}

/// How `hit` got its score, in parts that add up to it.
pub fn explain(hit: &Hit<'_>, mode: Mode, fusion: Fusion, feedback: Option<Feedback>) -> Explain {
    let leg = |rank: Option<usize>, score: Option<f32>, contribution: f64, depth: Option<usize>| {
        rank.zip(score).map(|(rank, score)| LegExplain {
            rank,
            score,
            contribution,
            past_top: depth.filter(|&depth| rank > depth),
        })
    };
    let keyword = leg(
        hit.ranking.keyword_rank,
        hit.ranking.keyword_score,
        hit.ranking.keyword_part,
        None,
    );
    let semantic = leg(
        hit.ranking.semantic_rank,
        hit.ranking.semantic_score,
        hit.ranking.semantic_part,
        hit.semantic_depth,
    );
    let word_feedback = hit
        .word_feedback
        .as_deref()
        .filter(|_| mode == Mode::Hybrid)
        .map(|used| WordFeedbackExplain {
            used: used.clone(),
            leg: leg(
                hit.ranking.feedback_rank,
                hit.ranking.feedback_score,
                hit.ranking.feedback_part,
                None,
            ),
        });
    let (method, k, alpha, formula) = match (mode, fusion) {
        (Mode::Keyword, _) => (
            "keyword",
            None,
            None,
            "BM25 score of the keyword leg".to_string(),
        ),
        (Mode::Semantic, _) => (
            "semantic",
            None,
            None,
            "cosine similarity of the semantic leg".to_string(),
        ),
        (Mode::Hybrid, Fusion::Rrf { k }) => {
            let terms: Vec<String> = [hit.ranking.keyword_rank, hit.ranking.semantic_rank]
                .iter()
                .flatten()
                .map(|r| format!("1/({k}+{r})"))
                .collect();
            let formula = if terms.is_empty() {
                "0".to_string()
            } else {
                terms.join(" + ")
            };
            (
                "rrf",
                Some(k),
                None,
                format!("{formula} = {:.6}", hit.ranking.score),
            )
        }
        (Mode::Hybrid, Fusion::Linear { alpha }) => (
            "linear",
            None,
            Some(alpha),
            weighted_formula(
                hit,
                alpha,
                "min-max-normalised cosine",
                "min-max-normalised BM25",
            ),
        ),
        (Mode::Hybrid, Fusion::Bounded { alpha }) => (
            "bounded",
            None,
            Some(alpha),
            match &word_feedback {
                Some(words) => with_words_formula(hit, alpha, words.used.keep),
                None => weighted_formula(
                    hit,
                    alpha,
                    "cosine",
                    "BM25 / the best BM25 the query could give",
                ),
            },
        ),
    };
    Explain {
        keyword,
        semantic,
        semantic_feedback: feedback.filter(|_| mode != Mode::Keyword),
        word_feedback,
        fusion: FusionExplain {
            method,
            k,
            alpha,
            formula,
            score: hit.ranking.score,
            exact_match_first: hit.exact,
            author_match_first: hit.author,
        },
    }
}

/// One hit as every printer and the JSON output see it.
#[derive(Debug, Clone, Serialize)]
pub struct ResultHit<'a> {
    /// The hit itself (not serialised: its fields are, below).
    #[serde(skip)]
    pub hit: Hit<'a>,
    /// 1-based position in the list.
    pub rank: usize,
    /// The paper's fields, as every JSON output shows them.
    #[serde(flatten)]
    pub paper: PaperView<'a>,
    /// The final score.
    pub score: f64,
    /// Rank in the keyword leg.
    pub keyword_rank: Option<usize>,
    /// Rank in the semantic leg.
    pub semantic_rank: Option<usize>,
    /// The query names this paper exactly.
    pub exact_match: bool,
    /// A highlighted passage of the abstract, when the query's words occur in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<Snippet>,
    /// Why it ranks here, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explain>,
}

/// A whole result list: the query, how it was run, and the hits.
#[derive(Debug, Clone, Serialize)]
pub struct Results<'a> {
    /// The query text, or for `similar` a description of what was asked.
    pub query: String,
    /// Which legs answered.
    pub mode: Mode,
    /// How hybrid mode fused them.
    #[serde(skip)]
    pub fusion: Fusion,
    /// The hits, best first.
    pub hits: Vec<ResultHit<'a>>,
}

impl<'a> ResultHit<'a> {
    /// A hit at `rank` with its snippet and (optionally) explanation.
    pub fn new(
        rank: usize,
        hit: Hit<'a>,
        snippet: Option<Snippet>,
        explain_with: Option<(Mode, Fusion, Option<Feedback>)>,
    ) -> Self {
        ResultHit {
            rank,
            paper: PaperView::from(hit.paper),
            score: hit.ranking.score,
            keyword_rank: hit.ranking.keyword_rank,
            semantic_rank: hit.ranking.semantic_rank,
            exact_match: hit.exact,
            snippet,
            explain: explain_with
                .map(|(mode, fusion, feedback)| explain(&hit, mode, fusion, feedback)),
            hit,
        }
    }
}

/// Abstract text as a reader wants it in a snippet: links and LaTeX
/// markup from the arXiv source dropped (`\textit{X}` → `X`, `$\times$` → `×`).
pub fn readable_abstract(text: &str) -> String {
    static LINK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\\(?:url|href)\{[^}]*\}(?:\{[^}]*\})?|https?://\S+").expect("valid regex")
    });
    static MARKUP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\\(?:textit|textbf|texttt|emph|textsc)\{([^}]*)\}").expect("valid regex")
    });
    let text = LINK.replace_all(text, "");
    let text = MARKUP.replace_all(&text, "$1");
    text.replace("$\\times$", "×").replace("$\\sim$", "~")
}

/// `alpha × semantic + (1 − alpha) × keyword = score`, each part shown
/// before its weight, as linear and bounded fusion explain themselves.
fn weighted_formula(hit: &Hit<'_>, alpha: f64, semantic: &str, keyword: &str) -> String {
    let unweighted = |part: f64, weight: f64| if weight > 0.0 { part / weight } else { 0.0 };
    format!(
        "{:.2} × {:.4} ({semantic}) + {:.2} × {:.4} ({keyword}) = {:.6}",
        alpha,
        unweighted(hit.ranking.semantic_part, alpha),
        1.0 - alpha,
        unweighted(hit.ranking.keyword_part, 1.0 - alpha),
        hit.ranking.score
    )
}

/// Bounded fusion with word feedback: `alpha × cosine + (1 − alpha) ×
/// (keep × BM25 / bound + (1 − keep) × words' BM25 / their bound) = score`,
/// each part before its weight.
fn with_words_formula(hit: &Hit<'_>, alpha: f64, keep: f64) -> String {
    let unweighted = |part: f64, weight: f64| if weight > 0.0 { part / weight } else { 0.0 };
    let keyword = 1.0 - alpha;
    format!(
        "{:.2} × {:.4} (cosine) + {:.2} × ({:.2} × {:.4} (BM25 / the best BM25 the query could give) + {:.2} × {:.4} (feedback words' BM25 / the best they could give)) = {:.6}",
        alpha,
        unweighted(hit.ranking.semantic_part, alpha),
        keyword,
        keep,
        unweighted(hit.ranking.keyword_part, keyword * keep),
        1.0 - keep,
        unweighted(hit.ranking.feedback_part, keyword * (1.0 - keep)),
        hit.ranking.score
    )
}
