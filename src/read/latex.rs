//! LaTeX in field values → plain text: braces dropped, accents and special
//! letters to Unicode, unknown commands dropped with their argument kept. A
//! single loop without recursion, so hostile input cannot overflow the stack.

/// Turns a LaTeX field value into plain text: braces dropped, accents and
/// special letters to Unicode, `\&` → `&`, `~` → space, `--` → `–`,
/// `---` → `—`, unknown commands dropped (their argument is kept),
/// whitespace collapsed. Unicode already present is kept.
pub(crate) fn clean_latex(value: &str) -> String {
    // Exports scraped from web pages carry HTML entities (`&#38;`, `&amp;`).
    let value = crate::read::markdown::decode_entities(value);
    let cs: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    let mut math = false;
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        match c {
            '\\' => i = command(&cs, i + 1, &mut out),
            '{' | '}' => i += 1,
            '$' => {
                math = !math;
                i += 1;
            }
            '^' | '_' if math => i += 1,
            '~' => {
                out.push(' ');
                i += 1;
            }
            '-' => {
                let mut n = 1;
                while cs.get(i + n) == Some(&'-') {
                    n += 1;
                }
                match n {
                    2 => out.push('–'),
                    3 => out.push('—'),
                    _ => out.extend(std::iter::repeat_n('-', n)),
                }
                i += n;
            }
            '`' if cs.get(i + 1) == Some(&'`') => {
                out.push('“');
                i += 2;
            }
            '\'' if cs.get(i + 1) == Some(&'\'') => {
                out.push('”');
                i += 2;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Handles the command whose name starts at `cs[i]` (just after the
/// backslash); returns the index after it.
pub(crate) fn command(cs: &[char], i: usize, out: &mut String) -> usize {
    let Some(&c) = cs.get(i) else {
        return i;
    };
    if "'`^\"~=.".contains(c) {
        let (arg, next) = accent_arg(cs, i + 1);
        out.push_str(&accent(c, &arg));
        return next;
    }
    if c.is_ascii_alphabetic() {
        let mut j = i;
        while j < cs.len() && cs[j].is_ascii_alphabetic() {
            j += 1;
        }
        let word: String = cs[i..j].iter().collect();
        if let [a] = word.as_bytes()
            && b"cvuHkrdbt".contains(a)
        {
            let (arg, next) = accent_arg(cs, skip_spaces(cs, j));
            out.push_str(&accent(char::from(*a), &arg));
            return next;
        }
        if let Some(letter) = special_letter(&word) {
            out.push_str(letter);
            // TeX eats the spaces after a control word: `Stra\ss e`.
            return skip_spaces(cs, j);
        }
        if let Some(symbol) = symbol(&word) {
            out.push_str(symbol);
            return j;
        }
        if word == "noopsort" || word == "href" {
            // `{\noopsort{a}}` only sorts; `\href{url}{text}` shows the text.
            return skip_group(cs, skip_spaces(cs, j), 2000);
        }
        // Formatting (`\emph`, `\textbf`, `\url`...) or unknown: drop the
        // command, its argument stays as plain text.
        return j;
    }
    match c {
        // `\{` `\}`: Scholar writes a protected `{USENIX}` as
        // `$\{$USENIX$\}$`; a literal brace is never meant in a title.
        '{' | '}' => {}
        '\\' | ',' | ';' | ':' | '>' => out.push(' '),
        '!' | '-' | '/' | '@' => {}
        c if c.is_whitespace() => out.push(' '),
        c => out.push(c),
    }
    i + 1
}

pub(crate) fn skip_spaces(cs: &[char], mut i: usize) -> usize {
    while i < cs.len() && cs[i].is_whitespace() {
        i += 1;
    }
    i
}

/// Skips a `{...}` group at `i`, if there is one that closes within
/// `limit` characters (the limit keeps nested commands linear); otherwise
/// returns `i`.
pub(crate) fn skip_group(cs: &[char], i: usize, limit: usize) -> usize {
    if cs.get(i) != Some(&'{') {
        return i;
    }
    let mut depth = 0usize;
    let mut j = i;
    let stop = cs.len().min(i.saturating_add(limit));
    while j < stop {
        match cs[j] {
            '\\' => j += 1,
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j + 1;
                }
            }
            _ => {}
        }
        j += 1;
    }
    i
}

/// The argument of an accent: `{o}`, `o`, `{\i}`, `\i`. Returns it as plain
/// text and the index after it.
pub(crate) fn accent_arg(cs: &[char], i: usize) -> (String, usize) {
    let i = skip_spaces(cs, i);
    match cs.get(i) {
        None | Some('}') => (String::new(), i),
        Some('{') => {
            // An accent argument is a letter or two (`{o}`, `{\i}`); a
            // longer group is left to the caller.
            let end = skip_group(cs, i, 16);
            if end == i {
                return (String::new(), i);
            }
            (plain_letters(&cs[i + 1..end - 1]), end)
        }
        Some('\\') => {
            let mut j = i + 1;
            while j < cs.len() && cs[j].is_ascii_alphabetic() {
                j += 1;
            }
            if j == i + 1 {
                // `\'\'`: not an argument; leave the backslash to the caller.
                return (String::new(), i);
            }
            (plain_letters(&cs[i..j]), skip_spaces(cs, j))
        }
        Some(&c) => (c.to_string(), i + 1),
    }
}

/// The letters of an accent argument: braces dropped, `\i` → `i`,
/// `\o` → `ø`, other commands dropped. No recursion.
pub(crate) fn plain_letters(cs: &[char]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < cs.len() {
        match cs[i] {
            '{' | '}' => i += 1,
            '\\' => {
                let mut j = i + 1;
                while j < cs.len() && cs[j].is_ascii_alphabetic() {
                    j += 1;
                }
                let word: String = cs[i + 1..j].iter().collect();
                if let Some(letter) = special_letter(&word) {
                    out.push_str(letter);
                }
                i = j.max(i + 2);
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Puts accent `a` (`'`, `"`, `c`, `v`...) on the first letter of `arg`.
pub(crate) fn accent(a: char, arg: &str) -> String {
    let mut chars = arg.chars();
    let Some(base) = chars.next() else {
        return match a {
            '~' | '^' | '`' | '\'' | '"' => a.to_string(),
            _ => String::new(),
        };
    };
    let mut out = String::with_capacity(arg.len() + 2);
    match compose(a, base) {
        Some(c) => out.push(c),
        None => {
            out.push(base);
            if let Some(mark) = combining_mark(a) {
                out.push(mark);
            }
        }
    }
    out.push_str(chars.as_str());
    out
}

/// Precomposed letters for the accents people write in .bib files
/// (`accent, bases, composed`, position by position).
pub(crate) const ACCENTS: &[(char, &str, &str)] = &[
    ('`', "aeiouAEIOUnN", "àèìòùÀÈÌÒÙǹǸ"),
    (
        '\'',
        "aeiouyAEIOUYcCnNsSzZlLrRgG",
        "áéíóúýÁÉÍÓÚÝćĆńŃśŚźŹĺĹŕŔǵǴ",
    ),
    ('^', "aeiouAEIOUcCgGhHjJsSwWyY", "âêîôûÂÊÎÔÛĉĈĝĜĥĤĵĴŝŜŵŴŷŶ"),
    ('"', "aeiouyAEIOUY", "äëïöüÿÄËÏÖÜŸ"),
    ('~', "anoiuANOIU", "ãñõĩũÃÑÕĨŨ"),
    ('=', "aeiouAEIOU", "āēīōūĀĒĪŌŪ"),
    ('.', "cegzCEGZI", "ċėġżĊĖĠŻİ"),
    ('u', "aegiouAEGIOU", "ăĕğĭŏŭĂĔĞĬŎŬ"),
    ('v', "cdenrstzaiouCDENRSTZAIOU", "čďěňřšťžǎǐǒǔČĎĚŇŘŠŤŽǍǏǑǓ"),
    ('H', "oOuU", "őŐűŰ"),
    ('c', "cCsStTgGkKlLnNrR", "çÇşŞţŢģĢķĶļĻņŅŗŖ"),
    ('k', "aAeEiIuU", "ąĄęĘįĮųŲ"),
    ('r', "aAuU", "åÅůŮ"),
];

pub(crate) fn compose(a: char, base: char) -> Option<char> {
    let (_, bases, composed) = ACCENTS.iter().find(|(acc, _, _)| *acc == a)?;
    let pos = bases.chars().position(|b| b == base)?;
    composed.chars().nth(pos)
}

/// The Unicode combining mark for an accent, for letters without a
/// precomposed form.
pub(crate) fn combining_mark(a: char) -> Option<char> {
    Some(match a {
        '`' => '\u{300}',
        '\'' => '\u{301}',
        '^' => '\u{302}',
        '~' => '\u{303}',
        '=' => '\u{304}',
        'u' => '\u{306}',
        '.' => '\u{307}',
        '"' => '\u{308}',
        'r' => '\u{30A}',
        'H' => '\u{30B}',
        'v' => '\u{30C}',
        'd' => '\u{323}',
        'c' => '\u{327}',
        'k' => '\u{328}',
        'b' => '\u{331}',
        't' => '\u{361}',
        _ => return None,
    })
}

/// Letters written as commands (`{\ss}`, `{\o}`, `\i`).
pub(crate) fn special_letter(word: &str) -> Option<&'static str> {
    Some(match word {
        "ss" => "ß",
        "SS" => "SS",
        "o" => "ø",
        "O" => "Ø",
        "aa" => "å",
        "AA" => "Å",
        "ae" => "æ",
        "AE" => "Æ",
        "oe" => "œ",
        "OE" => "Œ",
        "l" => "ł",
        "L" => "Ł",
        "i" => "i",
        "j" => "j",
        "dh" => "ð",
        "DH" => "Ð",
        "th" => "þ",
        "TH" => "Þ",
        "ng" => "ŋ",
        "NG" => "Ŋ",
        "dj" => "đ",
        "DJ" => "Đ",
        _ => return None,
    })
}

/// Text and math symbols that stand for a character.
pub(crate) fn symbol(word: &str) -> Option<&'static str> {
    Some(match word {
        "textendash" => "–",
        "textemdash" => "—",
        "textquoteright" => "’",
        "textquoteleft" => "‘",
        "textquotedblleft" => "“",
        "textquotedblright" => "”",
        "textquotedbl" => "\"",
        "textless" => "<",
        "textgreater" => ">",
        "textbackslash" => "\\",
        "textunderscore" => "_",
        "textasciitilde" => "~",
        "textasciicircum" => "^",
        "textbar" => "|",
        "textbullet" => "•",
        "textregistered" => "®",
        "texttrademark" => "™",
        "textcopyright" | "copyright" => "©",
        "textdagger" | "dag" => "†",
        "textdaggerdbl" | "ddag" => "‡",
        "dots" | "ldots" | "textellipsis" => "…",
        "pounds" | "textsterling" => "£",
        "euro" | "texteuro" => "€",
        "S" | "textsection" => "§",
        "P" | "textparagraph" => "¶",
        "textdegree" => "°",
        "textperiodcentered" => "·",
        "textexclamdown" => "¡",
        "textquestiondown" => "¿",
        "guillemotleft" => "«",
        "guillemotright" => "»",
        "LaTeX" => "LaTeX",
        "LaTeXe" => "LaTeX2e",
        "TeX" => "TeX",
        "BibTeX" => "BibTeX",
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" | "varepsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" => "θ",
        "iota" => "ι",
        "kappa" => "κ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "pi" => "π",
        "rho" => "ρ",
        "sigma" => "σ",
        "tau" => "τ",
        "upsilon" => "υ",
        "phi" | "varphi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "Gamma" => "Γ",
        "Delta" => "Δ",
        "Theta" => "Θ",
        "Lambda" => "Λ",
        "Xi" => "Ξ",
        "Pi" => "Π",
        "Sigma" => "Σ",
        "Phi" => "Φ",
        "Psi" => "Ψ",
        "Omega" => "Ω",
        "times" => "×",
        "pm" => "±",
        "cdot" => "·",
        "leq" | "le" => "≤",
        "geq" | "ge" => "≥",
        "neq" | "ne" => "≠",
        "approx" => "≈",
        "sim" => "∼",
        "infty" => "∞",
        "to" | "rightarrow" => "→",
        "leftarrow" => "←",
        "ell" => "ℓ",
        "partial" => "∂",
        "nabla" => "∇",
        _ => return None,
    })
}
