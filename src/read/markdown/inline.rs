//! Inline content of one block (Markdown events and raw HTML alike) as
//! styled text pieces and links: what the layout rules read.

use super::*;

// Spans: what a block says, with its styling.

#[derive(Debug, Clone)]
pub(super) enum Piece {
    Text {
        text: String,
        bold: bool,
        ital: bool,
        link: Option<usize>,
    },
    /// A line break (`<br>`, a hard break, or a new line).
    Break,
}

#[derive(Debug, Clone, Default)]
pub(super) struct RawLink {
    pub(super) url: String,
    /// Visible text of the link.
    pub(super) label: String,
    /// Alt text of an image inside the link (a badge), used when the label is empty.
    pub(super) alt: String,
    /// A URL written out in the text: never a title.
    pub(super) bare: bool,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Unit {
    pub(super) pieces: Vec<Piece>,
    pub(super) links: Vec<RawLink>,
    pub(super) abstract_text: String,
    pub(super) line: usize,
    /// Raw source (first line), for the shipped tag style.
    pub(super) first_raw_line: String,
}

impl Unit {
    pub(super) fn is_empty(&self) -> bool {
        self.links.is_empty()
            && self.abstract_text.trim().is_empty()
            && self.pieces.iter().all(|p| match p {
                Piece::Text { text, .. } => text.trim().is_empty(),
                Piece::Break => true,
            })
    }

    pub(super) fn plain_text(&self) -> String {
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text { text, .. } => out.push_str(text),
                Piece::Break => out.push('\n'),
            }
        }
        out
    }

    pub(super) fn append(&mut self, other: Unit) {
        let offset = self.links.len();
        self.pieces.push(Piece::Break);
        for p in other.pieces {
            self.pieces.push(match p {
                Piece::Text {
                    text,
                    bold,
                    ital,
                    link,
                } => Piece::Text {
                    text,
                    bold,
                    ital,
                    link: link.map(|l| l + offset),
                },
                Piece::Break => Piece::Break,
            });
        }
        self.links.extend(other.links);
        if !other.abstract_text.trim().is_empty() {
            if !self.abstract_text.is_empty() {
                self.abstract_text.push(' ');
            }
            self.abstract_text.push_str(&other.abstract_text);
        }
    }
}

/// Collects inline content (Markdown events and inline/block HTML) into a Unit.
#[derive(Default)]
pub(super) struct Collector {
    pub(super) unit: Unit,
    pub(super) bold: u32,
    pub(super) ital: u32,
    pub(super) links: Vec<usize>,
    pub(super) image: u32,
    /// The image inside the link is a badge named by its URL: its alt
    /// text (`Static Badge`) is not the link's name.
    pub(super) badge_named: bool,
    pub(super) details: u32,
    pub(super) summary: u32,
    pub(super) html_bold: u32,
    pub(super) html_ital: u32,
    pub(super) html_link: bool,
    pub(super) html_skip: u32,
    /// Inside `<!-- … -->`, which an HTML block may spread over many lines
    /// (events): nothing there is shown, so nothing there is read.
    pub(super) html_comment: bool,
}

impl Collector {
    pub(super) fn text(&mut self, text: &str) {
        if self.summary > 0 || self.html_skip > 0 {
            return;
        }
        if self.image > 0 {
            if let Some(&l) = self.links.last()
                && !self.badge_named
            {
                self.unit.links[l].alt.push_str(text);
            }
            return;
        }
        if self.details > 0 {
            self.unit.abstract_text.push_str(text);
            return;
        }
        let link = self.links.last().copied();
        if link.is_none() && (text.contains("http://") || text.contains("https://")) {
            self.bare_urls(text);
            return;
        }
        self.styled(text, link);
    }

    /// Text with bare URLs (`论文：https://arxiv.org/abs/…`): each URL is a
    /// link labelled by the short text before it.
    pub(super) fn bare_urls(&mut self, text: &str) {
        static URL: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#"https?://[^\s<>()\[\]"'，。）】]+"#).expect("regex"));
        let mut at = 0;
        for m in URL.find_iter(text) {
            let url = m
                .as_str()
                .trim_end_matches(['.', ',', ';', ':', '!', '?', '*', '_']);
            let before = &text[at..m.start()];
            self.styled(before, None);
            let label = before
                .rsplit(['\n', '|', ';', ','])
                .next()
                .unwrap_or("")
                .trim()
                .trim_end_matches([':', '：', '-', '=', '>'])
                .trim();
            let label = if label.split_whitespace().count() <= 3 && !label.is_empty() {
                label.to_string()
            } else {
                "link".to_string()
            };
            self.unit.links.push(RawLink {
                url: url.to_string(),
                label: label.clone(),
                alt: String::new(),
                bare: true,
            });
            let l = self.unit.links.len() - 1;
            self.unit.pieces.push(Piece::Text {
                text: url.to_string(),
                bold: false,
                ital: false,
                link: Some(l),
            });
            // The label is only for naming the link, not shown twice.
            self.unit.links[l].label = label;
            at = m.start() + url.len();
        }
        self.styled(&text[at..], None);
    }

    pub(super) fn styled(&mut self, text: &str, link: Option<usize>) {
        if text.is_empty() {
            return;
        }
        if let Some(l) = link {
            self.unit.links[l].label.push_str(text);
        }
        let bold = self.bold + self.html_bold > 0;
        let ital = self.ital + self.html_ital > 0;
        if let Some(Piece::Text {
            text: last,
            bold: b,
            ital: i,
            link: k,
        }) = self.unit.pieces.last_mut()
            && *b == bold
            && *i == ital
            && *k == link
        {
            last.push_str(text);
            return;
        }
        self.unit.pieces.push(Piece::Text {
            text: text.to_string(),
            bold,
            ital,
            link,
        });
    }

    pub(super) fn brk(&mut self) {
        if self.details > 0 {
            self.unit.abstract_text.push(' ');
            return;
        }
        if self.summary > 0 || self.image > 0 {
            return;
        }
        self.unit.pieces.push(Piece::Break);
    }

    pub(super) fn soft(&mut self) {
        // Inside bold a new line continues the title; elsewhere it separates fields.
        if self.bold + self.html_bold > 0 || self.details > 0 || !self.links.is_empty() {
            self.text(" ");
        } else {
            self.brk();
        }
    }

    pub(super) fn link_start(&mut self, url: &str) {
        self.unit.links.push(RawLink {
            url: url.trim().to_string(),
            ..RawLink::default()
        });
        self.links.push(self.unit.links.len() - 1);
    }

    pub(super) fn link_end(&mut self) {
        self.links.pop();
    }

    /// An image starts. A shields.io badge inside a link names the link by
    /// its own label (`img.shields.io/badge/paper-red` → `paper`), which
    /// says more than the alt text most badges carry (`Static Badge`).
    pub(super) fn image_start(&mut self, src: &str) {
        self.image += 1;
        if let Some(&l) = self.links.last()
            && let Some(label) = badge_label(src)
        {
            self.unit.links[l].alt = label;
            self.badge_named = true;
        }
    }

    pub(super) fn image_end(&mut self) {
        self.image = self.image.saturating_sub(1);
        if self.image == 0 {
            self.badge_named = false;
        }
    }

    /// Raw HTML, inline or a block: tags change the state, text is text.
    pub(super) fn html(&mut self, html: &str) {
        let mut rest = html;
        while !rest.is_empty() {
            if self.html_comment {
                match rest.find("-->") {
                    Some(end) => {
                        self.html_comment = false;
                        rest = &rest[end + 3..];
                        continue;
                    }
                    None => return,
                }
            }
            if let Some(start) = rest.find('<') {
                let (before, after) = rest.split_at(start);
                self.html_text(before);
                if let Some(after_comment) = after.strip_prefix("<!--") {
                    rest = match after_comment.find("-->") {
                        Some(end) => &after_comment[end + 3..],
                        None => {
                            self.html_comment = true;
                            ""
                        }
                    };
                    continue;
                }
                match after.find('>') {
                    Some(end) => {
                        self.html_tag(&after[1..end]);
                        rest = &after[end + 1..];
                    }
                    None => {
                        self.html_text(after);
                        rest = "";
                    }
                }
            } else {
                self.html_text(rest);
                rest = "";
            }
        }
    }

    pub(super) fn html_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let decoded = decode_entities(text);
        // A new line in HTML is a space, except between records written one a line.
        let mut first = true;
        for line in decoded.split('\n') {
            if !first {
                self.soft();
            }
            first = false;
            if !line.is_empty() {
                self.text(line);
            }
        }
    }

    pub(super) fn html_tag(&mut self, tag: &str) {
        let tag = tag.trim();
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match (name.as_str(), closing) {
            ("b" | "strong", false) => self.html_bold += 1,
            ("b" | "strong", true) => self.html_bold = self.html_bold.saturating_sub(1),
            ("i" | "em", false) => self.html_ital += 1,
            ("i" | "em", true) => self.html_ital = self.html_ital.saturating_sub(1),
            ("br", _) => self.brk(),
            ("p" | "div" | "li" | "tr" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6", _) => self.brk(),
            ("td" | "th", _) => self.text(" | "),
            ("details", false) => self.details += 1,
            ("details", true) => self.details = self.details.saturating_sub(1),
            ("summary", false) => self.summary += 1,
            ("summary", true) => self.summary = self.summary.saturating_sub(1),
            ("script" | "style", false) => self.html_skip += 1,
            ("script" | "style", true) => self.html_skip = self.html_skip.saturating_sub(1),
            ("a", false) => {
                if self.html_link {
                    self.link_end();
                }
                // `<a id="…">` and `<a name="…">` are anchors, not links.
                if let Some(url) = attribute(tag, "href").filter(|u| !u.trim().is_empty()) {
                    self.link_start(&url);
                    self.html_link = true;
                }
            }
            ("a", true) if self.html_link => {
                self.link_end();
                self.html_link = false;
            }
            ("img", false) => {
                // Badges and pictures are dropped; inside a link the alt names it.
                if let Some(&l) = self.links.last() {
                    if let Some(label) = attribute(tag, "src").and_then(|src| badge_label(&src)) {
                        self.unit.links[l].alt = label;
                    } else if let Some(alt) = attribute(tag, "alt") {
                        self.unit.links[l].alt.push_str(&alt);
                    }
                }
            }
            _ => {}
        }
    }

    pub(super) fn take(&mut self) -> Unit {
        let unit = std::mem::take(&mut self.unit);
        *self = Collector::default();
        unit
    }
}

pub(super) fn attribute(tag: &str, name: &str) -> Option<String> {
    static ATTR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)\b([a-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"#).expect("regex")
    });
    ATTR.captures_iter(tag).find_map(|c| {
        (c[1].eq_ignore_ascii_case(name)).then(|| {
            decode_entities(
                c.get(2)
                    .or(c.get(3))
                    .or(c.get(4))
                    .map(|m| m.as_str())
                    .unwrap_or(""),
            )
        })
    })
}

/// `&Eacute;`, `&icirc;`, `&ntilde;`…: a letter and its accent.
pub(super) fn accented(entity: &str) -> Option<char> {
    const TABLE: &[(&str, &str, &str)] = &[
        ("acute", "aeiouyAEIOUY", "áéíóúýÁÉÍÓÚÝ"),
        ("grave", "aeiouAEIOU", "àèìòùÀÈÌÒÙ"),
        ("circ", "aeiouAEIOU", "âêîôûÂÊÎÔÛ"),
        ("uml", "aeiouyAEIOU", "äëïöüÿÄËÏÖÜ"),
        ("tilde", "anoANO", "ãñõÃÑÕ"),
        ("cedil", "cC", "çÇ"),
        ("ring", "aA", "åÅ"),
        ("slash", "oO", "øØ"),
    ];
    let mut chars = entity.chars();
    let letter = chars.next()?;
    let accent = chars.as_str();
    let (_, from, to) = TABLE.iter().find(|(a, _, _)| *a == accent)?;
    let at = from.chars().position(|c| c == letter)?;
    to.chars().nth(at)
}

/// HTML entities (`&amp;`, `&#38;`, `&#x26;`, `&eacute;`…) → characters;
/// unknown ones are kept as written.
pub(crate) fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    static ENTITY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});").expect("regex")
    });
    ENTITY
        .replace_all(text, |c: &regex::Captures| {
            let e = &c[1];
            let ch = if let Some(hex) = e.strip_prefix("#x").or_else(|| e.strip_prefix("#X")) {
                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
            } else if let Some(dec) = e.strip_prefix('#') {
                dec.parse().ok().and_then(char::from_u32)
            } else {
                match e {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "nbsp" => Some(' '),
                    "ndash" => Some('–'),
                    "mdash" => Some('—'),
                    "hellip" => Some('…'),
                    "rsquo" => Some('’'),
                    "lsquo" => Some('‘'),
                    "rdquo" => Some('”'),
                    "ldquo" => Some('“'),
                    "eacute" => Some('é'),
                    "uuml" => Some('ü'),
                    "ouml" => Some('ö'),
                    "auml" => Some('ä'),
                    _ => accented(e),
                }
            };
            ch.map(String::from).unwrap_or_else(|| c[0].to_string())
        })
        .into_owned()
}

/// The label of a shields.io badge: the first part of its `/badge/` path
/// (`paper-%23B31B1B`, `Paper-MobiCom-4B5D67.svg`), percent-decoded.
fn badge_label(src: &str) -> Option<String> {
    let (_, path) = src.split_once("shields.io/badge/")?;
    let first = path.split(['-', '?', '/']).next()?;
    let label = first.replace("%20", " ").replace('_', " ");
    let label = label.trim();
    (label.chars().any(char::is_alphabetic) && !label.contains('%')).then(|| label.to_string())
}
