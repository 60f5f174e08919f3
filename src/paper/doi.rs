//! The one DOI normaliser. A DOI is written many ways (`doi:10.1109/X`,
//! `https://doi.org/10.1109/X`, `https://dx.doi.org/...`) and is
//! case-insensitive; every reader keeps it as written (minus the prefix) for
//! display and compares it through [`key`].

/// The DOI without a resolver prefix or `doi:`, in the case it was written;
/// `None` unless it looks like a DOI (`10.` followed by a registrant code
/// and a `/`).
pub fn parse(text: &str) -> Option<String> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let prefix = [
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
        "doi.org/",
        "dx.doi.org/",
        "doi:",
    ]
    .iter()
    .find(|p| lower.starts_with(*p))
    .map_or(0, |p| p.len());
    let doi = text[prefix..].trim();
    let looks_like = doi.starts_with("10.") && doi.contains('/');
    looks_like.then(|| doi.to_string())
}

/// What two DOIs are compared by: lower-cased, as DOIs are case-insensitive.
pub fn key(doi: &str) -> String {
    doi.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_go_and_case_stays() {
        for text in [
            "10.1109/CVPR.2016.90",
            "doi:10.1109/CVPR.2016.90",
            "https://doi.org/10.1109/CVPR.2016.90",
            "HTTPS://DX.DOI.ORG/10.1109/CVPR.2016.90",
            "  doi.org/10.1109/CVPR.2016.90 ",
        ] {
            assert_eq!(
                parse(text).as_deref(),
                Some("10.1109/CVPR.2016.90"),
                "{text}"
            );
        }
    }

    #[test]
    fn comparison_ignores_case() {
        let a = parse("https://doi.org/10.1109/CVPR.2016.90").map(|d| key(&d));
        let b = parse("doi:10.1109/cvpr.2016.90").map(|d| key(&d));
        assert_eq!(a, b);
    }

    #[test]
    fn not_a_doi() {
        for text in [
            "",
            "10.",
            "doi:",
            "2304.08485",
            "https://example.org/10.1/x",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
