//! `@string` macros: expanded when defined, as BibTeX does, so expansion
//! never recurses, and capped in size.

use std::collections::HashMap;

use biblatex::RawChunk;

use super::MACRO_CAP;

// @string macros

/// Joins the parts of a value (`"Proc. " # cvpr`), expanding macros with
/// the definitions seen so far. Unknown macros become empty (as in BibTeX)
/// and are reported; month macros (`apr`) need no definition.
pub(super) fn expand(
    parts: &[biblatex::Spanned<RawChunk<'_>>],
    macros: &HashMap<String, String>,
    unknown: &mut Vec<String>,
) -> String {
    let mut out = String::new();
    for part in parts {
        match part.v {
            RawChunk::Normal(s) => out.push_str(s),
            RawChunk::Abbreviation(m) => {
                let lower = m.to_ascii_lowercase();
                if let Some(value) = macros.get(&lower) {
                    out.push_str(value);
                } else if let Some(month) = month_name(&lower) {
                    out.push_str(month);
                } else {
                    unknown.push(m.to_string());
                }
                truncate_at_char(&mut out, MACRO_CAP);
            }
        }
    }
    out
}

pub(super) fn truncate_at_char(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.truncate(cut);
}

pub(super) fn month_name(m: &str) -> Option<&'static str> {
    Some(match m {
        "jan" => "January",
        "feb" => "February",
        "mar" => "March",
        "apr" => "April",
        "may" => "May",
        "jun" => "June",
        "jul" => "July",
        "aug" => "August",
        "sep" => "September",
        "oct" => "October",
        "nov" => "November",
        "dec" => "December",
        _ => return None,
    })
}
