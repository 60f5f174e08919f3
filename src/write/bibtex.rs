//! BibTeX out, for citing. An entry a BibTeX source gave is written back as
//! the user had it: the citation key verbatim (`Ba.Kiros.Hinton.2016`), the
//! entry type, every field as written (volume, number, pages, publisher,
//! editor, the DOI in its case); only what another source added (a DOI, an
//! arXiv id) or changed is written from the paper. Other papers get an
//! entry by their venue: `@article` + `journal` for journals,
//! `@inproceedings` + `booktitle` for conferences, `@misc` + `eprint` /
//! `archivePrefix` for arXiv-only papers.

use crate::paper::{BibEntry, Paper, doi};
use crate::read::bibtex::paper_of_entry;

/// Fields written first, in this order; the rest follow alphabetically.
const ORDER: &[&str] = &[
    "ids",
    "author",
    "title",
    "journal",
    "journaltitle",
    "booktitle",
    "editor",
    "volume",
    "number",
    "pages",
    "year",
    "month",
    "publisher",
    "address",
];

/// The entry for one paper, ending with a newline.
pub fn entry(p: &Paper) -> String {
    let (kind, key, mut fields) = match &p.bibtex {
        Some(bib) => as_written(p, bib),
        None => inferred(p),
    };
    if let Some(abs) = &p.abstract_text {
        fields.push(("abstract".into(), escape(abs)));
    }
    // The other names the paper answers to (the keys and list tags of
    // entries merged into it), as biblatex's `ids`, so `\cite{}` of any of
    // them still works and the reader takes them back as tags.
    let aliases: Vec<&str> = p
        .tags
        .iter()
        .map(|t| t.trim())
        .filter(|t| *t != key && !t.is_empty() && !t.contains([',', '{', '}']))
        .collect();
    if !aliases.is_empty() {
        fields.push(("ids".into(), aliases.join(", ")));
    }
    let rank = |name: &str| ORDER.iter().position(|f| *f == name).unwrap_or(ORDER.len());
    fields.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then_with(|| a.0.cmp(&b.0)));
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("  {k} = {{{v}}}"))
        .collect();
    format!("@{kind}{{{key},\n{}\n}}\n", body.join(",\n"))
}

/// The entry as its BibTeX source wrote it, with what the paper knows
/// beyond it (from other sources or enrichment) written in.
fn as_written(p: &Paper, bib: &BibEntry) -> (String, String, Vec<(String, String)>) {
    let mut fields: Vec<(String, String)> = bib
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut set = |name: &str, value: String| match fields.iter_mut().find(|(k, _)| k == name) {
        Some(field) => field.1 = value,
        None => fields.push((name.to_string(), value)),
    };
    let read = paper_of_entry(bib).unwrap_or_default();
    if read.title != p.title {
        set("title", format!("{{{}}}", escape(&p.title)));
    }
    if read.authors != p.authors && !p.authors.is_empty() {
        set("author", authors(p));
    }
    if read.year != p.year
        && let Some(year) = p.year
    {
        set("year", year.to_string());
    }
    let doi_key = |d: &Option<String>| d.as_deref().map(doi::key);
    if doi_key(&read.doi) != doi_key(&p.doi)
        && let Some(d) = &p.doi
    {
        set("doi", d.clone());
    }
    if read.keywords != p.keywords && !p.keywords.is_empty() {
        set("keywords", escape(&p.keywords.join(", ")));
    }
    if read.arxiv_id != p.arxiv_id
        && let Some(id) = &p.arxiv_id
    {
        set("eprint", id.clone());
        set("archiveprefix", "arXiv".into());
    }
    (bib.kind.clone(), bib.key.clone(), fields)
}

/// An entry for a paper no BibTeX source gave, typed by its venue.
fn inferred(p: &Paper) -> (String, String, Vec<(String, String)>) {
    let mut fields = vec![("title".to_string(), format!("{{{}}}", escape(&p.title)))];
    if !p.authors.is_empty() {
        fields.push(("author".into(), authors(p)));
    }
    if let Some(y) = p.year {
        fields.push(("year".into(), y.to_string()));
    }
    let venue = p.venue.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let arxiv_venue = venue.is_none_or(|v| v.eq_ignore_ascii_case("arxiv"));
    let kind = match venue {
        Some(v) if !arxiv_venue && is_journal(v) => {
            fields.push(("journal".into(), escape(v)));
            "article"
        }
        Some(v) if !arxiv_venue && !v.eq_ignore_ascii_case("blog") => {
            fields.push(("booktitle".into(), escape(v)));
            "inproceedings"
        }
        Some(v) if !arxiv_venue => {
            fields.push(("howpublished".into(), escape(v)));
            "misc"
        }
        _ => "misc",
    };
    if let Some(id) = &p.arxiv_id {
        fields.push(("eprint".into(), id.clone()));
        fields.push(("archiveprefix".into(), "arXiv".into()));
    }
    if let Some(doi) = &p.doi {
        fields.push(("doi".into(), doi.clone()));
    }
    if let Some(url) = p.main_link() {
        fields.push(("url".into(), url.replace(['{', '}'], "")));
    }
    if !p.keywords.is_empty() {
        fields.push(("keywords".into(), escape(&p.keywords.join(", "))));
    }
    (kind.to_string(), p.id.clone(), fields)
}

fn authors(p: &Paper) -> String {
    let names: Vec<String> = p.authors.iter().map(|a| escape(a)).collect();
    names.join(" and ")
}

/// A venue that is a journal rather than a conference: named so
/// (`Journal of …`, `… Transactions on …`, `… Letters`) or one of the
/// journals lists cite by short name.
pub(crate) fn is_journal(venue: &str) -> bool {
    let lower = venue.to_lowercase();
    const WORDS: &[&str] = &[
        "journal",
        "transactions",
        "letters",
        "magazine",
        "review",
        "proceedings of the national academy",
    ];
    const NAMES: &[&str] = &[
        "nature",
        "science",
        "cell",
        "pnas",
        "tpami",
        "jmlr",
        "tmlr",
        "tacl",
        "ijcv",
        "tip",
        "tog",
        "plos one",
        "neurocomputing",
        "bioinformatics",
    ];
    WORDS.iter().any(|w| lower.contains(w))
        || NAMES.iter().any(|n| lower == *n)
        || lower.starts_with("nature ")
}

/// Plain text as a BibTeX value: LaTeX's special characters escaped, braces
/// (which would unbalance the value) dropped.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' | '%' | '$' | '#' | '_' => {
                out.push('\\');
                out.push(ch);
            }
            '{' | '}' => {}
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '\\' => out.push_str("\\textbackslash{}"),
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::bibtex::parse_bibtex;

    fn one(text: &str) -> Paper {
        let mut warnings = Vec::new();
        let mut papers = parse_bibtex(text, "t.bib", &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(papers.len(), 1);
        papers.remove(0)
    }

    #[test]
    fn a_journal_article_is_written_back_as_it_was() {
        let p = one(
            "@article{Ba.Kiros.Hinton.2016,\n  title = {Layer Normalization},\n  \
             author = {Ba, Jimmy Lei and Kiros, Jamie Ryan and Hinton, Geoffrey E.},\n  \
             journal = {Journal of Machine Learning Research},\n  volume = {17},\n  \
             number = {1},\n  pages = {1--12},\n  year = {2016},\n  doi = {10.5555/ABC.123},\n  \
             publisher = {JMLR.org}\n}\n",
        );
        let text = entry(&p);
        assert!(
            text.starts_with("@article{Ba.Kiros.Hinton.2016,\n"),
            "{text}"
        );
        for field in [
            "journal = {Journal of Machine Learning Research}",
            "volume = {17}",
            "number = {1}",
            "pages = {1--12}",
            "publisher = {JMLR.org}",
            "doi = {10.5555/ABC.123}",
            "author = {Ba, Jimmy Lei and Kiros, Jamie Ryan and Hinton, Geoffrey E.}",
        ] {
            assert!(text.contains(field), "{field} in {text}");
        }
        assert!(!text.contains("booktitle"), "{text}");
        assert_eq!(one(&text), p);
    }

    #[test]
    fn latex_special_characters_are_escaped() {
        assert_eq!(
            escape("R&D 100% $x$ a_b {c}"),
            "R\\&D 100\\% \\$x\\$ a\\_b c"
        );
    }

    #[test]
    fn papers_without_a_bibtex_source_are_typed_by_venue() {
        let mut p = Paper {
            id: "x".into(),
            title: "A & B".into(),
            venue: Some("CVPR".into()),
            year: Some(2023),
            ..Default::default()
        };
        assert!(entry(&p).starts_with("@inproceedings{x,"));
        assert!(entry(&p).contains("booktitle = {CVPR}"));
        assert!(entry(&p).contains("title = {{A \\& B}}"));
        p.venue = Some("IEEE Transactions on Pattern Analysis and Machine Intelligence".into());
        assert!(entry(&p).starts_with("@article{x,"));
        p.venue = Some("arXiv".into());
        p.arxiv_id = Some("2301.00001".into());
        let text = entry(&p);
        assert!(text.starts_with("@misc{x,"), "{text}");
        assert!(text.contains("eprint = {2301.00001}"), "{text}");
        assert!(text.contains("archiveprefix = {arXiv}"), "{text}");
    }
}
