//! Finds the paper a user means by `PAPER` in `similar` and `show`: an id, a
//! tag (`LLaVA-PruMerge`), an arXiv id (`2403.15388`, `arXiv:2403.15388v2`)
//! or a title, pasted or slightly misspelt. When nothing fits, the error
//! lists the closest titles so the user can copy one.

use crate::error::{Error, Result};
use crate::paper::{Paper, arxiv_id, normalize_key, slug};

/// A title this similar (normalised Levenshtein) counts as the same title.
const TITLE_SIMILARITY: f64 = 0.85;
/// How many suggestions an unknown-paper error lists.
const SUGGESTIONS: usize = 3;

/// The position of the paper `reference` names, or a one-line error.
pub fn resolve(papers: &[Paper], reference: &str) -> Result<usize> {
    let reference = reference.trim();
    if reference.is_empty() {
        return Err(Error::Usage("empty paper reference".into()));
    }
    let wanted_slug = slug(reference);
    let by_id: Vec<usize> = positions(papers, |p| p.aliases().contains(&wanted_slug));
    if let Some(found) = single(papers, reference, by_id)? {
        return Ok(found);
    }
    // `arXiv:2403.15388v2` or an arXiv URL names the paper with that id.
    let key = normalize_key(&arxiv_id::parse(reference).unwrap_or_else(|| reference.to_string()));
    let by_key = positions(papers, |p| p.lookup_keys().contains(&key));
    if let Some(found) = single(papers, reference, by_key)? {
        return Ok(found);
    }
    // A pasted title: allow small differences (punctuation, a typo, a
    // missing subtitle) but only when one paper is clearly closest.
    let mut scored: Vec<(f64, usize)> = papers
        .iter()
        .enumerate()
        .map(|(i, p)| (title_similarity(&key, &normalize_key(&p.title)), i))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    match scored.as_slice() {
        [(best, i), rest @ ..]
            if *best >= TITLE_SIMILARITY && rest.first().is_none_or(|r| r.0 < *best) =>
        {
            Ok(*i)
        }
        _ => {
            let closest: Vec<String> = scored
                .iter()
                .take(SUGGESTIONS)
                .map(|&(_, i)| format!("\"{}\" ({})", papers[i].title, papers[i].id))
                .collect();
            Err(Error::Usage(format!(
                "no paper matches `{reference}`; closest: {}",
                closest.join(", ")
            )))
        }
    }
}

fn positions(papers: &[Paper], pred: impl Fn(&Paper) -> bool) -> Vec<usize> {
    papers
        .iter()
        .enumerate()
        .filter(|(_, p)| pred(p))
        .map(|(i, _)| i)
        .collect()
}

fn single(papers: &[Paper], reference: &str, found: Vec<usize>) -> Result<Option<usize>> {
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        many => {
            let ids: Vec<&str> = many.iter().map(|&i| papers[i].id.as_str()).collect();
            Err(Error::Usage(format!(
                "`{reference}` names several papers: {}; give one of these ids",
                ids.join(", ")
            )))
        }
    }
}

/// Similarity of a normalised reference to a normalised title; matching the
/// part after a name (`SegGPT: Segmenting Everything In Context`) or the
/// title's beginning also counts.
fn title_similarity(reference: &str, title: &str) -> f64 {
    let whole = std::iter::once(title.to_string())
        .chain(title_parts(title))
        .map(|part| strsim::normalized_levenshtein(reference, &part))
        .fold(0.0, f64::max);
    let prefix = if reference.len() >= 12 && title.starts_with(reference) {
        0.9
    } else {
        0.0
    };
    whole.max(prefix)
}

/// The title without its leading name: in normalised form the colon is gone,
/// so this drops the first word (`seggpt segmenting ...` → `segmenting ...`).
fn title_parts(title: &str) -> Option<String> {
    title.split_once(' ').map(|(_, rest)| rest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collection::{Collection, Sources};

    fn papers() -> Vec<Paper> {
        Collection::from_sources(&Sources::shipped())
            .expect("shipped list")
            .papers
    }

    fn id_of(papers: &[Paper], reference: &str) -> String {
        let i = resolve(papers, reference).unwrap_or_else(|e| panic!("{reference}: {e}"));
        papers[i].id.clone()
    }

    #[test]
    fn ids_tags_arxiv_ids_and_titles() {
        let p = papers();
        assert_eq!(
            id_of(&p, "arxiv2024-llava-prumerge"),
            "arxiv2024-llava-prumerge"
        );
        assert_eq!(id_of(&p, "LLaVA-PruMerge"), "arxiv2024-llava-prumerge");
        assert_eq!(
            id_of(&p, "arXiv2024_LLaVA-PruMerge"),
            "arxiv2024-llava-prumerge"
        );
        assert_eq!(id_of(&p, "2403.15388"), "arxiv2024-llava-prumerge");
        assert_eq!(id_of(&p, "arXiv:2403.15388v2"), "arxiv2024-llava-prumerge");
        assert_eq!(id_of(&p, "arxiv2023-mvbench"), "arxiv2023-videochat2");
        assert_eq!(
            id_of(&p, "Token Merging: Your ViT But Faster."),
            "iclr2023-tome"
        );
        assert_eq!(
            id_of(&p, "token merging your vit but fastr"),
            "iclr2023-tome"
        );
        assert_eq!(
            id_of(&p, "Vision Mamba: Efficient Visual Representation Learning"),
            "arxiv2024-vim"
        );
    }

    #[test]
    fn unknown_and_ambiguous_references_explain_themselves() {
        let p = papers();
        let err = resolve(&p, "Attention Is All You Need")
            .expect_err("not in the list")
            .to_string();
        assert!(err.starts_with("no paper matches"), "{err}");
        assert!(err.contains("closest:"), "{err}");
        let err = resolve(&p, "Survey").expect_err("two surveys").to_string();
        assert!(
            err.contains("arxiv2020-survey") && err.contains("arxiv2023-survey"),
            "{err}"
        );
    }
}
