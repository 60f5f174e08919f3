//! Filters on paper metadata (`--year`, `--venue`, `--section`, `--author`).
//! Filtering happens on the candidates of both legs, and the engine widens
//! the legs when a filter is on, so a filtered query still fills `--limit`
//! whenever that many papers match.

use crate::error::{Error, Result};
use crate::paper::Paper;

/// Every condition must hold; text conditions are case-insensitive substrings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Years.
    pub years: Option<(u16, u16)>,
    /// The venue.
    pub venue: Option<String>,
    /// Section.
    pub section: Option<String>,
    /// Author.
    pub author: Option<String>,
}

impl Filter {
    /// Is empty.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// Matches.
    pub fn matches(&self, paper: &Paper) -> bool {
        let contains =
            |haystack: &str, needle: &str| haystack.to_lowercase().contains(&needle.to_lowercase());
        if let Some((from, to)) = self.years
            && !paper.year.is_some_and(|y| from <= y && y <= to)
        {
            return false;
        }
        if let Some(v) = &self.venue
            && !paper
                .venue
                .as_deref()
                .is_some_and(|venue| contains(venue, v))
        {
            return false;
        }
        if let Some(s) = &self.section
            && !paper.sections.iter().any(|section| contains(section, s))
        {
            return false;
        }
        if let Some(a) = &self.author
            && !paper.authors.iter().any(|author| contains(author, a))
        {
            return false;
        }
        true
    }
}

/// Parses `2023` or `2023..2024` (either end may be left open: `..2022`, `2023..`).
pub fn parse_years(text: &str) -> Result<(u16, u16)> {
    let bad = || {
        Error::Usage(format!(
            "--year `{text}`: give a year (2023) or a range (2023..2024)"
        ))
    };
    let year = |s: &str| s.trim().parse::<u16>().map_err(|_| bad());
    match text.split_once("..") {
        None => {
            let y = year(text)?;
            Ok((y, y))
        }
        Some((from, to)) => {
            let from = if from.trim().is_empty() {
                0
            } else {
                year(from)?
            };
            let to = if to.trim().is_empty() {
                u16::MAX
            } else {
                year(to.trim_start_matches('='))?
            };
            if from > to {
                return Err(bad());
            }
            Ok((from, to))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_ranges() {
        assert_eq!(parse_years("2023").ok(), Some((2023, 2023)));
        assert_eq!(parse_years("2023..2024").ok(), Some((2023, 2024)));
        assert_eq!(parse_years("..2022").ok(), Some((0, 2022)));
        assert_eq!(parse_years("2023..").ok(), Some((2023, u16::MAX)));
        assert!(parse_years("2024..2023").is_err());
        assert!(parse_years("last year").is_err());
    }

    #[test]
    fn text_conditions_are_case_insensitive_substrings() {
        let paper = Paper {
            id: "x".into(),
            tags: vec![],
            title: "T".into(),
            authors: vec!["Xinlong Wang".into()],
            venue: Some("CVPR".into()),
            year: Some(2024),
            sections: vec!["Large Video Multimodal Model".into()],
            arxiv_id: None,
            links: vec![],
            abstract_text: None,
            ..Paper::default()
        };
        let f = Filter {
            section: Some("video".into()),
            venue: Some("cvpr".into()),
            author: Some("xinlong".into()),
            years: Some((2023, 2024)),
        };
        assert!(f.matches(&paper));
        assert!(
            !Filter {
                years: Some((2020, 2023)),
                ..Filter::default()
            }
            .matches(&paper)
        );
        assert!(
            !Filter {
                author: Some("Kaiming".into()),
                ..Filter::default()
            }
            .matches(&paper)
        );
    }
}
