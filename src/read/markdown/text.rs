//! Text rules: which links are papers, which labels are generic, dates,
//! years, venues, clean titles and author lists.

use super::*;

// Layout rules.

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    Item,
    Block,
}

/// One contiguous run of text with the same style.
#[derive(Debug, Clone)]
pub(super) struct Seg {
    pub(super) text: String,
    pub(super) bold: bool,
    pub(super) ital: bool,
    pub(super) link: Option<usize>,
    /// A line break comes before this segment.
    pub(super) newline: bool,
}

pub(super) fn segments(unit: &Unit) -> Vec<Seg> {
    let mut out: Vec<Seg> = Vec::new();
    let mut newline = false;
    for p in &unit.pieces {
        match p {
            Piece::Break => newline = true,
            Piece::Text {
                text,
                bold,
                ital,
                link,
            } => {
                if text.trim().is_empty() && !newline {
                    // Keep spacing in the previous segment.
                    if let Some(last) = out.last_mut() {
                        last.text.push_str(text);
                    }
                    continue;
                }
                if text.trim().is_empty() {
                    continue;
                }
                out.push(Seg {
                    text: text.clone(),
                    bold: *bold,
                    ital: *ital,
                    link: *link,
                    newline,
                });
                newline = false;
            }
        }
    }
    out
}

/// Cuts a block into parts at each line that starts with bold text.
pub(super) fn split_block(unit: Unit) -> Vec<Unit> {
    let mut parts: Vec<Unit> = Vec::new();
    let mut current = Unit {
        line: unit.line,
        first_raw_line: unit.first_raw_line.clone(),
        abstract_text: String::new(),
        ..Unit::default()
    };
    let mut at_line_start = true;
    let mut line_offset = 0usize;
    let mut link_map: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for p in &unit.pieces {
        match p {
            Piece::Break => {
                at_line_start = true;
                line_offset += 1;
                current.pieces.push(Piece::Break);
            }
            Piece::Text {
                text,
                bold,
                ital,
                link,
            } => {
                if at_line_start && *bold && text.trim().chars().any(char::is_alphabetic) {
                    let has_content = current
                        .pieces
                        .iter()
                        .any(|p| matches!(p, Piece::Text { text, .. } if !text.trim().is_empty()));
                    if has_content {
                        parts.push(std::mem::take(&mut current));
                        link_map.clear();
                        current.line = unit.line + line_offset;
                    }
                }
                if !text.trim().is_empty() {
                    at_line_start = false;
                }
                let link = link.map(|l| {
                    *link_map.entry(l).or_insert_with(|| {
                        current.links.push(unit.links[l].clone());
                        current.links.len() - 1
                    })
                });
                current.pieces.push(Piece::Text {
                    text: text.clone(),
                    bold: *bold,
                    ital: *ital,
                    link,
                });
            }
        }
    }
    current.abstract_text = unit.abstract_text;
    parts.push(current);
    // Links that carry no text (badges) stay with the part they were in; a
    // link only in `unit.links` (no text) goes to the last part.
    parts.retain(|p| !p.is_empty());
    if let Some(first) = parts.first_mut() {
        first.first_raw_line = unit.first_raw_line;
    }
    parts
}

pub(super) fn part_starts_entry(unit: &Unit) -> bool {
    let segs = segments(unit);
    segs.first()
        .is_some_and(|s| s.bold && s.link.is_none_or(|_| true))
        && segs
            .first()
            .is_some_and(|s| s.text.chars().filter(|c| c.is_alphabetic()).count() >= 3)
}

/// A part with no title of its own (links, an author line, a `<details>`)
/// that belongs to the entry before it.
pub(super) fn continuation(unit: &Unit) -> bool {
    let segs = segments(unit);
    let text_outside_links: String = segs
        .iter()
        .filter(|s| s.link.is_none())
        .map(|s| s.text.as_str())
        .collect();
    let words = text_outside_links
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count();
    let generic_links = unit
        .links
        .iter()
        .all(|l| l.bare || generic_label(&link_label(l)));
    (words <= 3 && generic_links) || (segs.is_empty() && !unit.abstract_text.trim().is_empty())
}

pub(super) fn unit_has_text(unit: &Unit) -> bool {
    unit.plain_text().split_whitespace().count() >= 3
}

/// A link's label as shown: `[[paper]](url)` is labelled `paper`; a badge
/// link is named by its image's alt text.
pub(super) fn link_label(l: &RawLink) -> String {
    let mut label = squash(&l.label);
    while let Some(inner) = label.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        label = inner.trim().to_string();
    }
    if label.is_empty() {
        squash(&l.alt)
    } else {
        label
    }
}

pub(super) fn is_anchor(url: &str) -> bool {
    url.starts_with('#')
}

/// Every link goes to an anchor in the page: a table of contents.
pub(super) fn is_toc(unit: &Unit) -> bool {
    !unit.links.is_empty() && unit.links.iter().all(|l| is_anchor(&l.url)) && {
        let segs = segments(unit);
        let outside: usize = segs
            .iter()
            .filter(|s| s.link.is_none())
            .map(|s| {
                s.text
                    .split_whitespace()
                    .filter(|w| w.chars().any(char::is_alphabetic))
                    .count()
            })
            .sum();
        outside <= 3
    }
}

pub(super) fn has_paper_link(unit: &Unit) -> bool {
    unit.links
        .iter()
        .any(|l| paper_link(&link_label(l), &l.url))
}

/// A link to a paper: on a host that serves papers, or labelled as the
/// paper itself (`[[pdf]](https://library.example.edu/view.cgi?article=12)`)
/// wherever it points.
pub(super) fn paper_link(label: &str, url: &str) -> bool {
    if paper_host(url) {
        return true;
    }
    let label = label
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    let u = url.to_ascii_lowercase();
    let absolute = u.starts_with("http://") || u.starts_with("https://");
    absolute
        && !is_code_or_video_host(&u)
        && matches!(
            label.as_str(),
            "pdf" | "paper" | "full paper" | "full text" | "article"
        )
}

/// Code hosting and video sites: a link there labelled `paper` is a mistake
/// of the list, not the paper.
fn is_code_or_video_host(url: &str) -> bool {
    video_host(url) || code_host(url)
}

/// A talk's site.
pub(super) fn video_host(url: &str) -> bool {
    ["youtube.com", "youtu.be", "vimeo.com", "bilibili.com"]
        .iter()
        .any(|h| url.contains(h))
}

/// Where code and packages live.
pub(super) fn code_host(url: &str) -> bool {
    [
        "github.com",
        "gitlab.com",
        "huggingface.co",
        "pypi.org",
        "npmjs.com",
        "crates.io",
    ]
    .iter()
    .any(|h| url.contains(h))
}

pub(super) fn looks_like_entry(unit: &Unit) -> bool {
    unit.plain_text().split_whitespace().count() >= 2
}

pub(super) static DOI_IN_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)/doi/(?:abs/|full/|pdf/|epdf/)?(?P<doi>10\.\d{4,9}/[^\s?#]+)").expect("regex")
});

/// The arXiv id a link points to (the one normaliser, `paper::arxiv_id`).
pub(super) fn arxiv_id_of_url(url: &str) -> Option<String> {
    arxiv_id::find(url)
}

/// An arXiv id written in the text, `arXiv:1409.1556`.
pub(super) fn arxiv_id_in_text(text: &str) -> Option<String> {
    arxiv_id::find(text)
}

/// The DOI of a doi.org link or of a publisher's `/doi/10.…` page, as written.
pub(super) fn doi_of_url(url: &str) -> Option<String> {
    doi::parse(url).or_else(|| {
        DOI_IN_URL.captures(url).and_then(|c| {
            doi::parse(
                c["doi"]
                    .trim_end_matches(['.', ',', ')'])
                    .trim_end_matches(".pdf"),
            )
        })
    })
}

/// Hosts that serve papers (not tools, videos or project pages).
pub(super) fn paper_host(url: &str) -> bool {
    let u = url.to_ascii_lowercase();
    // A site's front page is not a paper.
    let after_scheme = u.split_once("://").map(|(_, r)| r).unwrap_or(&u);
    let path = after_scheme.split_once('/').map(|(_, p)| p).unwrap_or("");
    if path.trim_matches('/').is_empty() {
        return false;
    }
    const HOSTS: &[&str] = &[
        "arxiv.org/",
        "doi.org/",
        "aclweb.org/anthology",
        "aclanthology.org",
        "aclanthology.info",
        "openreview.net/",
        "papers.nips.cc",
        "proceedings.neurips.cc",
        "neurips.cc/paper",
        "proceedings.mlr.press",
        "jmlr.org/papers",
        "openaccess.thecvf.com",
        "ecva.net/papers",
        "dl.acm.org/",
        "ieeexplore.ieee.org",
        "link.springer.com",
        "sciencedirect.com",
        "semanticscholar.org/paper",
        "biorxiv.org",
        "medrxiv.org",
        "chemrxiv.org",
        "nature.com/articles",
        "science.org/doi",
        "sciencemag.org",
        "pnas.org",
        "ojs.aaai.org",
        "aaai.org/papers",
        "aaai.org/ocs",
        "ijcai.org/proceedings",
        "usenix.org/conference",
        "usenix.org/system/files",
        "citeseerx",
        "researchgate.net/publication",
        "academic.oup.com",
        "onlinelibrary.wiley.com",
        "tandfonline.com",
        "mdpi.com",
        "frontiersin.org",
        "journals.plos.org",
        "ncbi.nlm.nih.gov/pmc",
        "pubmed.ncbi",
        "cell.com",
        "iopscience",
        "aps.org/doi",
        "cv-foundation.org/openaccess",
        "bmva.org/bmvc",
        "roboticsproceedings.org",
        "isca-speech.org/archive",
        "isca-archive.org",
        "eccv2018.org/openaccess",
        "huggingface.co/papers",
        "paperswithcode.com/paper",
        "scholar.archive.org",
        "hal.science",
        "hal.archives-ouvertes.fr",
        "ssrn.com",
        "vldb.org/pvldb",
        "computer.org/csdl",
        "iclr.cc/virtual",
        "icml.cc/virtual",
        "nips.cc/virtual",
        "microsoft.com/en-us/research/publication",
        "research.google/pubs",
        "sigmodrecord.org/",
    ];
    if HOSTS.iter().any(|h| u.contains(h)) {
        return true;
    }
    let path = u.split(['?', '#']).next().unwrap_or("");
    path.ends_with(".pdf")
}

pub(super) fn generic_label(label: &str) -> bool {
    let l = label
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    if l.is_empty() {
        return true;
    }
    if url_like(&l) || date_like(&l) || doi_like(&l) {
        return true;
    }
    const GENERIC: &[&str] = &[
        "paper",
        "papers",
        "pdf",
        "code",
        "codes",
        "project",
        "project page",
        "projectpage",
        "page",
        "website",
        "web",
        "site",
        "homepage",
        "home",
        "link",
        "links",
        "arxiv",
        "github",
        "git",
        "demo",
        "demos",
        "video",
        "videos",
        "slides",
        "slide",
        "poster",
        "blog",
        "blogpost",
        "blog post",
        "bibtex",
        "bib",
        "citation",
        "cite",
        "data",
        "dataset",
        "datasets",
        "model",
        "models",
        "weights",
        "checkpoint",
        "checkpoints",
        "huggingface",
        "hf",
        "hugging face",
        "talk",
        "supp",
        "supplementary",
        "supplement",
        "doi",
        "openreview",
        "acl",
        "html",
        "abs",
        "abstract",
        "url",
        "here",
        "this",
        "official",
        "unofficial",
        "pytorch",
        "tensorflow",
        "tf",
        "jax",
        "colab",
        "notebook",
        "repo",
        "repository",
        "source",
        "leaderboard",
        "review",
        "reviews",
        "youtube",
        "twitter",
        "tweet",
        "x",
        "medium",
        "zhihu",
        "report",
        "tech report",
        "technical report",
        "preprint",
        "full paper",
        "paper link",
        "paper list",
        "arxiv paper",
        "official code",
        "github repo",
        "code link",
        "project website",
        "dataset link",
        "model link",
        "api",
        "docs",
        "documentation",
        "benchmark",
        "download",
        "kaggle",
        "zenodo",
        "springer",
        "ieee",
        "acm",
        "nature",
        "science",
        "pmc",
        "pubmed",
        "biorxiv",
        "medrxiv",
        "scholar",
        "google scholar",
        "semantic scholar",
        "ss",
        "pwc",
        "papers with code",
        "openaccess",
        "cvf",
        "thecvf",
        "aaai",
        "ijcai",
        "proceedings",
        "pdf link",
        "code]",
        "star",
        "stars",
        "issue",
        "issues",
        "wechat",
        "bilibili",
        "news",
        "press",
        "open review",
        "arxiv link",
        "online",
        "app",
        "space",
        "spaces",
        "hf space",
        "project link",
        "webpage",
        "web page",
        "more",
        "details",
        "info",
        "note",
        "notes",
        "translation",
        "chinese",
        "english",
        "example",
        "examples",
        "tutorial",
    ];
    GENERIC.contains(&l.as_str())
        || l.starts_with("arxiv") && l.chars().filter(|c| c.is_alphabetic()).count() <= 5
        || l.starts_with("code") && l.split_whitespace().count() <= 2
        || l.starts_with("paper") && l.split_whitespace().count() <= 2
        || l.starts_with("pdf") && l.split_whitespace().count() <= 2
        || l.starts_with("citation")
}

pub(super) fn url_like(s: &str) -> bool {
    let s = s.trim().to_ascii_lowercase();
    s.starts_with("http://")
        || s.starts_with("https://")
        || s.starts_with("www.")
        || (!s.contains(' ')
            && (s.ends_with(".com")
                || s.ends_with(".org")
                || s.ends_with(".io")
                || s.contains(".com/")
                || s.contains(".org/")
                || s.contains(".io/")))
}

pub(super) fn doi_like(s: &str) -> bool {
    static DOI: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^(doi:\s*)?10\.\d{4,9}/\S+$").expect("regex"));
    DOI.is_match(s.trim())
}

pub(super) static DATE_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?ix)^[\s\[\(]*(
        (?:19|20)\d{2}(?:\s*[-/.]\s*\d{1,2}(?:\s*[-/.]\s*\d{1,2})?)?
      | \d{1,2}\s*[-/.]\s*(?:19|20)\d{2}
      | (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s*(?:\d{1,2},?\s*)?(?:19|20)\d{2}
      | \d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s*(?:19|20)\d{2}
      | [-–—]
    )[\s\]\)\.,:]*$").expect("regex")
});

pub(super) fn date_like(s: &str) -> bool {
    DATE_ONLY.is_match(s)
}

pub(super) static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\d])((?:19|20)\d{2})(?:$|[^\d])").expect("regex"));
pub(super) static SHORT_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?:[a-z])\s?['’‘](\d{2})\b").expect("regex"));

pub(super) fn find_year(s: &str) -> Option<u16> {
    YEAR.captures(s)
        .and_then(|c| c[1].parse().ok())
        .or_else(|| {
            SHORT_YEAR
                .captures(s)
                .and_then(|c| c[1].parse::<u16>().ok())
                .map(|y| if y > 50 { 1900 + y } else { 2000 + y })
        })
}

pub(super) fn year_heading(text: &str) -> Option<u16> {
    static YH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\W*(?:year\s*)?((?:19|20)\d{2})(?:\s*(?:papers?|publications?|and (?:before|earlier)|&\s*before)?)?\W*$")
            .expect("regex")
    });
    YH.captures(text.trim()).and_then(|c| c[1].parse().ok())
}

pub(super) fn excluded_section(heading: &str) -> bool {
    let h = heading.to_lowercase();
    const NOT_PAPERS: &[&str] = &[
        "contribut",
        "licen",
        "acknowledg",
        "star history",
        "stargazer",
        "contact",
        "sponsor",
        "code of conduct",
        "changelog",
        "change log",
        "table of contents",
        "how to add",
        "how to submit",
        "maintainer",
        "backers",
        "donat",
    ];
    NOT_PAPERS.iter().any(|w| h.contains(w))
}

pub(super) fn toc_heading(heading: &str) -> bool {
    let h = heading.to_lowercase();
    matches!(
        h.trim(),
        "contents"
            | "toc"
            | "catalogue"
            | "catalog"
            | "index"
            | "outline"
            | "table of contents"
            | "overview"
            | "news"
            | "updates"
            | "latest news"
    )
}

pub(super) fn clean_heading(text: &str) -> String {
    let text = strip_emoji(text);
    squash(&text)
        .trim_matches(|c: char| {
            c == '`' || c == '*' || c == '#' || c == ':' || c == '_' || c.is_whitespace()
        })
        .to_string()
}

pub(super) fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE00..=0xFE0F | 0x200D
        | 0x2190..=0x21FF | 0x2300..=0x23FF | 0x25A0..=0x25FF | 0xE0000..=0xE007F | 0x3030 | 0x303D | 0x3297 | 0x3299)
}

pub(super) fn strip_emoji(s: &str) -> String {
    static SHORTCODE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r":[a-z0-9_+-]{2,30}:").expect("regex"));
    let s: String = s.chars().filter(|&c| !is_emoji(c)).collect();
    if s.contains(':') {
        SHORTCODE.replace_all(&s, "").into_owned()
    } else {
        s
    }
}

/// A title as shown: no list punctuation, emoji, markup or wrapping quotes.
pub(super) fn clean_title(raw: &str) -> String {
    // A list's own number glued to the title: `05.Generative Adversarial Networks`.
    static NUMBERED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\s*\d{1,3}\.\s*(\p{Lu})").expect("regex"));
    let raw = NUMBERED.replace(raw, "$1");
    let t = strip_emoji(&raw);
    let t = squash(&t.replace("**", " ").replace("__", " "));
    let mut t = t.as_str().trim();
    loop {
        let before = t;
        t = t.trim();
        t = t.trim_end_matches([',', ';', ':', '.', '|', '-', '–', '—', '/', '\\', '*', '_']);
        t = t.trim_start_matches(['-', '–', '—', '|', ':', ',', ';', '.', '*', '_', '>', '•']);
        t = t.trim();
        // Wrapping quotes or brackets.
        for (open, close) in [
            ("\"", "\""),
            ("“", "”"),
            ("'", "'"),
            ("‘", "’"),
            ("[", "]"),
            ("「", "」"),
        ] {
            if let Some(inner) = t.strip_prefix(open).and_then(|x| x.strip_suffix(close))
                && !inner.contains(open)
            {
                t = inner;
            }
        }
        if let Some(inner) = t.strip_prefix('"')
            && !inner.contains('"')
        {
            t = inner;
        }
        if let Some(inner) = t.strip_suffix('"')
            && !inner.contains('"')
        {
            t = inner;
        }
        if let Some(inner) = t.strip_prefix('“')
            && !inner.contains('”')
        {
            t = inner;
        }
        if let Some(inner) = t.strip_suffix('”')
            && !inner.contains('“')
        {
            t = inner;
        }
        if t == before {
            break;
        }
    }
    t.to_string()
}

/// A title that is no title: a link label, a URL, a date, a DOI, or empty.
pub(super) fn junk_title(title: &str) -> bool {
    let letters = title.chars().filter(|c| c.is_alphabetic()).count();
    let alnum = title.chars().filter(|c| c.is_alphanumeric()).count();
    let lower = title.to_lowercase();
    letters < 1
        || alnum < 2
        || lower.starts_with("sponsored by")
        || lower.starts_with("back to top")
        || generic_label(title)
        || url_like(title)
        || date_like(title)
        || doi_like(title)
}

pub(super) static MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?")
        .expect("regex")
});

/// The venue a text names once its year, month and filler are taken out:
/// `CVPR 2023` → `CVPR`, `[NeurIPS'23]` → `NeurIPS`, `ICLR2024` → `ICLR`.
/// The year of an arXiv id standing for the venue (`arxiv:1309.4168`,
/// `arXiv preprint arXiv:2001.01115`: 2020), before its digits are taken for
/// a year of their own.
pub(super) fn arxiv_id_year(text: &str) -> Option<u16> {
    static ARXIV: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)^arxiv(?:\s+preprint)?\s*(?:arxiv)?\s*:?\s*(?P<yy>\d{2})\d{2}\.\d{4,5}(?:v\d+)?$",
        )
        .expect("regex")
    });
    let c = ARXIV.captures(text.trim_matches(|c: char| !c.is_alphanumeric()))?;
    c["yy"].parse::<u16>().ok().map(|yy| 2000 + yy)
}

pub(super) fn venue_of(text: &str) -> Option<String> {
    static YEARS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:19|20)\d{2}(?:\s*[-/.]\s*\d{1,2}){0,2}|\s?['’‘]\d{2}\b|\b\d{1,2}(?:st|nd|rd|th)\b").expect("regex")
    });
    // A labelled line (`Publisher: ICLR 2024`, `Venue: NeurIPS`) names the
    // venue after its label.
    static LABEL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\W*(?:publisher|venue|conference|journal|booktitle|publication|published(?:\s+(?:in|at))?|accepted(?:\s+(?:by|at))?)\s*:\s*")
            .expect("regex")
    });
    let t = LABEL.replace(text, "");
    if arxiv_id_year(&t).is_some() {
        return Some("arXiv".to_string());
    }
    let t = YEARS.replace_all(&t, " ");
    let t = MONTH.replace_all(&t, " ");
    let t = squash(&t);
    let mut t = t
        .trim_matches(|c: char| !c.is_alphanumeric() && c != ')' && c != '(')
        .trim_matches(['(', ')'])
        .trim()
        .to_string();
    for prefix in [
        "In ",
        "in ",
        "Accepted by ",
        "Accepted at ",
        "accepted by ",
        "accepted at ",
        "Published in ",
        "published in ",
        "Proc. of ",
        "Proc. ",
    ] {
        if let Some(rest) = t.strip_prefix(prefix) {
            t = rest.trim().to_string();
        }
    }
    let t = t
        .trim_matches(|c: char| !c.is_alphanumeric() && c != ')')
        .to_string();
    let words = t.split_whitespace().count();
    if t.chars().filter(|c| c.is_alphabetic()).count() < 2 || words > 10 || t.len() > 90 {
        return None;
    }
    // A description (`essay on the rise of …`) is not a venue.
    let lowercase_words = t
        .split_whitespace()
        .filter(|w| w.chars().next().is_some_and(char::is_lowercase))
        .filter(|w| {
            !matches!(*w, "of" | "on" | "in" | "the" | "and" | "for" | "&" | "de")
                && !w.contains("Rxiv")
                && !w.eq_ignore_ascii_case("arxiv")
        })
        .count();
    let starts_lower = t.chars().next().is_some_and(char::is_lowercase)
        && !t.starts_with("arXiv")
        && !t.contains("Rxiv");
    if starts_lower && lowercase_words >= 3 {
        return None;
    }
    if t.eq_ignore_ascii_case("arxiv") || t.eq_ignore_ascii_case("arxiv preprint") {
        return Some("arXiv".to_string());
    }
    Some(t)
}

// --- Authors.

pub(super) const PARTICLES: &[&str] = &[
    "de", "da", "di", "del", "della", "der", "den", "van", "von", "la", "le", "du", "dos", "das",
    "y", "bin", "al", "el", "ter", "ten", "zu", "st", "mac", "o", "e",
];

pub(super) fn name_like(part: &str) -> bool {
    let part = part.trim().trim_end_matches(['*', '†', '‡', '§', '#']);
    let words: Vec<&str> = part.split_whitespace().collect();
    if words.is_empty() || words.len() > 6 || part.len() > 50 {
        return false;
    }
    if part.chars().any(|c| {
        c.is_ascii_digit()
            || matches!(
                c,
                ':' | '?' | '!' | '(' | ')' | '[' | ']' | '/' | '|' | '=' | '+' | '@'
            )
    }) {
        return false;
    }
    const NOT_NAMES: &[&str] = &[
        "library",
        "libraries",
        "tool",
        "tools",
        "toolkit",
        "course",
        "api",
        "dataset",
        "datasets",
        "model",
        "models",
        "language",
        "languages",
        "learning",
        "processing",
        "network",
        "networks",
        "data",
        "system",
        "systems",
        "framework",
        "analysis",
        "university",
        "institute",
        "lab",
        "team",
        "group",
        "corpus",
        "benchmark",
        "nlp",
        "python",
        "java",
        "scala",
        "kotlin",
        "javascript",
        "tutorial",
        "lecture",
        "lectures",
        "video",
        "book",
        "blog",
        "paper",
        "papers",
        "survey",
        "review",
        "online",
        "free",
    ];
    if words.iter().any(|w| {
        let l = w.to_lowercase();
        NOT_NAMES.contains(&l.trim_matches(|c: char| !c.is_alphanumeric()))
            || l.ends_with("'s")
            || l.ends_with("’s")
    }) {
        return false;
    }
    let mut capitals = 0;
    for w in &words {
        let first = w.chars().next().unwrap_or(' ');
        if first.is_uppercase() {
            capitals += 1;
        } else if !PARTICLES.contains(&w.to_lowercase().trim_matches('.'))
            && (!first.is_alphabetic() || first.is_lowercase())
        {
            // A lower-case word that is no `van`/`de`, or a symbol.
            return false;
        }
    }
    capitals >= 1
}

/// Splits an author text: commas, `and`, `&`, `et al.`; BibTeX-style
/// `Last, First and Last, First` is read as such. `None` unless it reads as names.
pub(super) fn parse_authors(text: &str) -> Option<Vec<String>> {
    static ET_AL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)[,\s]*\bet\s*al\b\.?|[,\s]*\band others\b|[,\s]*…|[,\s]*\.\.\.")
            .expect("regex")
    });
    let text = squash(text);
    let text = text
        .trim()
        .trim_start_matches(|c: char| !c.is_alphabetic())
        .trim_start_matches("by ")
        .trim_start_matches("By ");
    let had_et_al = ET_AL.is_match(text);
    let text = ET_AL.replace_all(text, "");
    let text = text
        .trim()
        .trim_end_matches(|c: char| {
            c == '.' || c == ',' || c == '*' || c == ';' || c.is_whitespace()
        })
        .trim_start_matches(['*', ' ']);
    if text.is_empty() {
        return None;
    }
    let and_parts: Vec<&str> = text.split(" and ").map(str::trim).collect();
    let mut names: Vec<String> = Vec::new();
    if and_parts.len() >= 2 && and_parts.iter().all(|p| p.matches(',').count() == 1) {
        for p in &and_parts {
            let (last, first) = p.split_once(',').unwrap_or((p, ""));
            names.push(squash(&format!("{} {}", first.trim(), last.trim())));
        }
    } else {
        for p in text.split([',', ';', '&']).flat_map(|p| p.split(" and ")) {
            let p = p.trim().trim_start_matches("and ").trim();
            let p = p.trim_matches(|c: char| c == '*' || c.is_whitespace());
            if !p.is_empty() {
                names.push(p.to_string());
            }
        }
    }
    if names.is_empty() {
        return None;
    }
    // `Hinton, Geoffrey E., and Ruslan Salakhutdinov` / `Szegedy, Christian, et al.`:
    // the first author written last name first.
    if names.len() >= 2 && and_parts.len() < 2 || names.len() >= 2 && text.contains(", and ") {
        let first_single = names[0].split_whitespace().count() == 1;
        let given = names[1].split_whitespace().count() <= 3
            && names[1]
                .split_whitespace()
                .all(|w| w.chars().next().is_some_and(char::is_uppercase));
        let rest_full = names[2..].iter().all(|n| n.split_whitespace().count() >= 2);
        let inverted = first_single && given && rest_full && (names.len() > 2 || had_et_al);
        if inverted {
            let merged = format!("{} {}", names[1], names[0]);
            names.splice(0..2, [merged]);
        }
    }
    let good = names.iter().filter(|n| name_like(n)).count();
    // A lone name must look like one (two words, or `et al.` after it).
    if names.len() == 1 && !(had_et_al || names[0].split_whitespace().count() >= 2) {
        return None;
    }
    (good * 10 >= names.len() * 8).then_some(names)
}

/// Clearly a list of people: two names or more, or `Name et al.`.
pub(super) fn author_list(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("et al") || parse_authors(text).is_some_and(|a| a.len() >= 2)
}
