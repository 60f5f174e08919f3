//! Atom XML from the arXiv API → `ArxivRecord`s, with quick-xml; a
//! malformed answer is an error, never a panic.

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;

use super::ArxivRecord;
use crate::error::{Error, Result};
use crate::paper::arxiv_id;

pub(super) const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
pub(super) const ARXIV_NS: &str = "http://arxiv.org/schemas/atom";

/// Which namespace an element lives in, as far as this parser cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ns {
    Atom,
    Arxiv,
    Other,
}

pub(super) fn ns_of(resolved: &ResolveResult<'_>) -> Ns {
    match resolved {
        ResolveResult::Bound(Namespace(ns)) if *ns == ATOM_NS => Ns::Atom,
        ResolveResult::Bound(Namespace(ns)) if *ns == ARXIV_NS => Ns::Arxiv,
        _ => Ns::Other,
    }
}

/// One open element on the parser's stack.
#[derive(Debug)]
pub(super) struct Open {
    ns: Ns,
    local: String,
}

impl Open {
    fn is(&self, ns: Ns, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

/// Fields of the `<entry>` being read, before validation.
#[derive(Debug, Default)]
pub(super) struct PartialEntry {
    id: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    authors: Vec<String>,
    published: Option<String>,
    primary_category: Option<String>,
    doi: Option<String>,
}

/// A parsed feed: the papers, and the text of arXiv's error entries.
#[derive(Debug, Default)]
pub(super) struct Feed {
    pub(super) records: Vec<ArxivRecord>,
    pub(super) errors: Vec<String>,
}

pub(super) fn malformed(message: impl std::fmt::Display) -> Error {
    Error::arxiv(format!("malformed response: {message}"))
}

/// Joins runs of whitespace (arXiv wraps and indents titles and abstracts) into single spaces.
pub(super) fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `http://arxiv.org/abs/2304.08485v2` -> `2304.08485`; None for anything else.
pub(super) fn id_from_url(url: &str) -> Option<String> {
    url.contains("/abs/")
        .then(|| arxiv_id::parse(url))
        .flatten()
}

/// `2023-04-17T17:59:25Z` -> `2023-04-17`; None if it does not start with a date.
pub(super) fn date_part(timestamp: &str) -> Option<String> {
    let day = timestamp.trim().get(..10)?;
    let b = day.as_bytes();
    let shape_ok = b.iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        _ => c.is_ascii_digit(),
    });
    shape_ok.then(|| day.to_string())
}

/// The `term` attribute of `<arxiv:primary_category term="cs.CV" .../>`.
pub(super) fn term_attribute(start: &BytesStart<'_>) -> Result<Option<String>> {
    for attr in start.attributes() {
        let attr = attr.map_err(malformed)?;
        if attr.key.local_name().as_ref() == "term" {
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(malformed)?;
            let value = value.trim();
            return Ok((!value.is_empty()).then(|| value.to_string()));
        }
    }
    Ok(None)
}

/// Turns a finished `<entry>` into a record, or into an error message for arXiv's error entries.
pub(super) fn finish_entry(entry: PartialEntry, feed: &mut Feed) {
    let id = entry.id.unwrap_or_default();
    let title = entry.title.unwrap_or_default();
    if id.contains("/api/errors") || title == "Error" {
        let message = entry.summary.filter(|s| !s.is_empty()).unwrap_or(title);
        feed.errors.push(message);
        return;
    }
    // An entry without a recognisable arXiv id cannot be matched to anything; skip it.
    let Some(arxiv_id) = id_from_url(&id) else {
        return;
    };
    feed.records.push(ArxivRecord {
        arxiv_id,
        title,
        authors: entry.authors,
        abstract_text: entry.summary.unwrap_or_default(),
        published: entry.published,
        primary_category: entry.primary_category,
        doi: entry.doi,
    });
}

/// Reads a whole Atom document; errors and papers are kept apart for the client's messages.
pub(super) fn parse(xml: &str) -> Result<Feed> {
    let mut reader = NsReader::from_str(xml);
    let mut feed = Feed::default();
    let mut stack: Vec<Open> = Vec::new();
    let mut text = String::new();
    let mut entry: Option<PartialEntry> = None;
    let mut seen_root = false;

    loop {
        let event = reader
            .read_resolved_event()
            .map(|(resolved, event)| (ns_of(&resolved), event));
        let (ns, event) = match event {
            Ok(pair) => pair,
            Err(e) => {
                return Err(malformed(format_args!(
                    "{e} at byte {}",
                    reader.error_position()
                )));
            }
        };
        let opens = matches!(event, Event::Start(_));
        match event {
            Event::Start(start) | Event::Empty(start) if stack.is_empty() => {
                if seen_root {
                    return Err(malformed("more than one root element"));
                }
                let local = start.local_name().as_ref().to_string();
                if ns != Ns::Atom || local != "feed" {
                    return Err(malformed(format_args!(
                        "expected an Atom <feed>, got <{}>",
                        start.name().as_ref()
                    )));
                }
                seen_root = true;
                if opens {
                    stack.push(Open { ns, local });
                }
            }
            Event::Start(start) => {
                text.clear();
                let local = start.local_name().as_ref().to_string();
                let in_entry = stack.len() == 2 && entry.is_some();
                if stack.len() == 1 && ns == Ns::Atom && local == "entry" {
                    entry = Some(PartialEntry::default());
                } else if in_entry
                    && ns == Ns::Arxiv
                    && local == "primary_category"
                    && let Some(e) = entry.as_mut()
                {
                    e.primary_category = term_attribute(&start)?;
                }
                stack.push(Open { ns, local });
            }
            Event::Empty(start) => {
                text.clear();
                let in_entry = stack.len() == 2 && entry.is_some();
                if in_entry
                    && ns == Ns::Arxiv
                    && start.local_name().as_ref() == "primary_category"
                    && let Some(e) = entry.as_mut()
                {
                    e.primary_category = term_attribute(&start)?;
                }
            }
            Event::End(_) => {
                let Some(closed) = stack.pop() else {
                    return Err(malformed("closing tag without an open element"));
                };
                let value = std::mem::take(&mut text);
                match (stack.len(), entry.as_mut()) {
                    (1, Some(_)) if closed.is(Ns::Atom, "entry") => {
                        if let Some(done) = entry.take() {
                            finish_entry(done, &mut feed);
                        }
                    }
                    (2, Some(e)) => match (closed.ns, closed.local.as_str()) {
                        (Ns::Atom, "id") => e.id = Some(value.trim().to_string()),
                        (Ns::Atom, "title") => e.title = Some(collapse(&value)),
                        (Ns::Atom, "summary") => e.summary = Some(collapse(&value)),
                        (Ns::Atom, "published") => e.published = date_part(&value),
                        (Ns::Arxiv, "doi") => {
                            let doi = collapse(&value);
                            e.doi = (!doi.is_empty()).then_some(doi);
                        }
                        _ => {}
                    },
                    (3, Some(e))
                        if closed.is(Ns::Atom, "name")
                            && stack.last().is_some_and(|p| p.is(Ns::Atom, "author")) =>
                    {
                        let name = collapse(&value);
                        if !name.is_empty() {
                            e.authors.push(name);
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                let chunk = t.xml10_content();
                if stack.is_empty() && !chunk.trim().is_empty() {
                    return Err(malformed("text outside the root element"));
                }
                text.push_str(&chunk);
            }
            Event::CData(c) => {
                if stack.is_empty() {
                    return Err(malformed("CDATA outside the root element"));
                }
                text.push_str(&c.xml10_content());
            }
            Event::GeneralRef(r) => {
                if stack.is_empty() {
                    return Err(malformed("entity reference outside the root element"));
                }
                if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => text.push(c),
                        Ok(None) | Err(_) => {
                            return Err(malformed(format_args!(
                                "bad character reference &{};",
                                &*r
                            )));
                        }
                    }
                } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(&r) {
                    text.push_str(s);
                } else {
                    return Err(malformed(format_args!("undefined entity &{};", &*r)));
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {}
        }
    }

    if let Some(open) = stack.last() {
        return Err(malformed(format_args!(
            "document ends inside <{}> (truncated?)",
            open.local
        )));
    }
    if !seen_root {
        return Err(malformed("no XML document (empty body?)"));
    }
    Ok(feed)
}

/// Parses an arXiv API Atom feed into records, skipping arXiv's error entries,
/// so the caller gets papers or one clear "malformed response" error, never a panic.
pub fn parse_feed(xml: &str) -> Result<Vec<ArxivRecord>> {
    parse(xml).map(|feed| feed.records)
}
