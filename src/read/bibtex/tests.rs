use super::names::*;
use super::*;
use crate::paper::Link;
use crate::paper::doi::key as doi_key;
use crate::read::latex::*;

const ZOTERO: &str = include_str!("../../../tests/fixtures/zotero.bib");
const SCHOLAR: &str = include_str!("../../../tests/fixtures/scholar.bib");
const AWKWARD: &str = include_str!("../../../tests/fixtures/awkward.bib");

fn parse(text: &str, name: &str) -> (Vec<Paper>, Vec<String>) {
    let mut warnings = Vec::new();
    let papers = parse_bibtex(text, name, &mut warnings);
    (papers, warnings)
}

fn find<'a>(papers: &'a [Paper], id: &str) -> &'a Paper {
    papers
        .iter()
        .find(|p| p.id == id)
        .unwrap_or_else(|| panic!("no paper {id}"))
}

#[test]
fn zotero_export() {
    let (papers, warnings) = parse(ZOTERO, "zotero.bib");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(papers.len(), 6);

    let llava = find(&papers, "liu-visual-2023");
    assert_eq!(llava.tags, vec!["liu_visual_2023"]);
    assert_eq!(llava.title, "Visual Instruction Tuning");
    assert_eq!(
        llava.authors,
        vec!["Haotian Liu", "Chunyuan Li", "Qingyang Wu", "Yong Jae Lee"]
    );
    assert_eq!(llava.year, Some(2023));
    assert_eq!(llava.venue.as_deref(), Some("arXiv"));
    assert_eq!(llava.arxiv_id.as_deref(), Some("2304.08485"));
    assert_eq!(
        llava.doi.as_deref().map(doi_key).as_deref(),
        Some("10.48550/arxiv.2304.08485")
    );
    assert_eq!(llava.main_link(), Some("http://arxiv.org/abs/2304.08485"));
    // The arXiv url is already there, so no second arXiv link.
    assert_eq!(
        llava
            .links
            .iter()
            .filter(|l| l.url.contains("arxiv.org"))
            .count(),
        1
    );
    let abs = llava.abstract_text.as_deref().unwrap_or_default();
    assert!(abs.starts_with("Instruction tuning large language models (LLMs)"));
    assert!(abs.contains("85.1% relative score"), "{abs}");
    assert!(!abs.contains('\\') && !abs.contains("  "));

    let resnet = find(&papers, "he-deep-2016");
    assert_eq!(resnet.title, "Deep Residual Learning for Image Recognition");
    assert_eq!(
        resnet.venue.as_deref(),
        Some("2016 IEEE Conference on Computer Vision and Pattern Recognition (CVPR)")
    );
    assert_eq!(
        resnet.doi.as_deref().map(doi_key).as_deref(),
        Some("10.1109/cvpr.2016.90")
    );
    assert!(resnet.links.iter().any(|l| {
        l.label == "doi"
            && l.url
                .eq_ignore_ascii_case("https://doi.org/10.1109/cvpr.2016.90")
    }));
    assert_eq!(resnet.arxiv_id, None);
    assert_eq!(resnet.abstract_text, None);

    let llama = find(&papers, "touvron-llama-2023");
    assert_eq!(
        llama.title,
        "LLaMA: Open and Efficient Foundation Language Models"
    );
    assert!(llama.authors.contains(&"Baptiste Rozière".to_string()));
    assert!(llama.authors.contains(&"Timothée Lacroix".to_string()));
    assert_eq!(llama.authors.len(), 14);
    assert_eq!(llama.arxiv_id.as_deref(), Some("2302.13971"));

    let ldm = find(&papers, "rombach-high-resolution-2022");
    assert_eq!(ldm.authors.last().map(String::as_str), Some("Björn Ommer"));
    assert_eq!(ldm.year, Some(2022));

    let nature = find(&papers, "lecun-deep-2015");
    assert_eq!(nature.venue.as_deref(), Some("Nature"));
    assert_eq!(
        nature.doi.as_deref().map(doi_key).as_deref(),
        Some("10.1038/nature14539")
    );

    let attention = find(&papers, "vaswani-attention-2017");
    assert_eq!(attention.title, "Attention is All you Need");
    assert!(attention.authors.contains(&"Łukasz Kaiser".to_string()));
    assert_eq!(
        attention.venue.as_deref(),
        Some("Advances in Neural Information Processing Systems")
    );
    assert_eq!(attention.abstract_text, None);
    assert_eq!(attention.doi, None);
}

#[test]
fn google_scholar_export() {
    let (papers, warnings) = parse(SCHOLAR, "scholar.bib");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(papers.len(), 6);
    assert!(papers.iter().all(|p| p.abstract_text.is_none()));

    let clip = find(&papers, "radford2021learning");
    assert_eq!(
        clip.title,
        "Learning transferable visual models from natural language supervision"
    );
    assert_eq!(clip.authors.len(), 10, "`others` is dropped");
    assert_eq!(clip.authors[1], "Jong Wook Kim");
    assert_eq!(
        clip.venue.as_deref(),
        Some("International conference on machine learning")
    );
    assert_eq!(clip.year, Some(2021));

    let flamingo = find(&papers, "alayrac2022flamingo");
    assert_eq!(
        flamingo.venue.as_deref(),
        Some("Advances in neural information processing systems")
    );
    assert_eq!(flamingo.authors[0], "Jean-Baptiste Alayrac");

    let blip = find(&papers, "dai2023instructblip");
    assert_eq!(blip.venue.as_deref(), Some("arXiv"));
    assert_eq!(blip.arxiv_id.as_deref(), Some("2305.06500"));
    assert_eq!(blip.main_link(), Some("https://arxiv.org/abs/2305.06500"));
    assert_eq!(blip.authors[3], "Anthony Meng Huat Tiong");

    let book = find(&papers, "goodfellow2016deep");
    assert_eq!(book.venue.as_deref(), Some("MIT press Cambridge"));
}

#[test]
fn hand_kept_file_with_mistakes() {
    let (papers, warnings) = parse(AWKWARD, "awkward.bib");
    assert_eq!(
        warnings,
        vec![
            "awkward.bib:39: skipped entry `kirillov2023segment_todo`: no title",
            "awkward.bib:45: skipped malformed entry `broken2020`: its braces are not \
                 closed before the next entry (line 51)",
            "awkward.bib:78: skipped malformed entry `half_pasted_2019`: expected comma \
                 (line 79)",
        ]
    );
    let ids: Vec<&str> = papers.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "dosovitskiy2021vit",
            "he2022mae",
            "dai2017scannet",
            "ho2020denoising",
            "chollet2017xception",
            "mikolov2013efficient",
            "logan-etal-2019-baracks",
            "devlin-etal-2019-bert",
            "nist2023airmf",
            "openai2023gpt4",
            "maldacena1998large",
            "he2016deep",
            "he2016deep",
        ]
    );
    assert!(papers.iter().all(|p| !p.title.contains("Not a paper")));

    let vit = find(&papers, "dosovitskiy2021vit");
    assert_eq!(
        vit.title,
        "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale"
    );
    assert_eq!(vit.year, Some(2021), "bare number year");
    assert_eq!(vit.arxiv_id.as_deref(), Some("2010.11929"));
    assert_eq!(
        vit.venue.as_deref(),
        Some("International Conference on Learning Representations")
    );

    let cvpr = "Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition";
    let mae = find(&papers, "he2022mae");
    assert_eq!(mae.venue.as_deref(), Some(cvpr), "@string macro");
    assert!(mae.authors.contains(&"Piotr Dollár".to_string()));
    assert_eq!(
        mae.title, "Masked Autoencoders Are Scalable Vision Learners",
        "CRLF"
    );

    let scannet = find(&papers, "dai2017scannet");
    assert_eq!(
        scannet.venue.as_deref(),
        Some(format!("Proc. {cvpr}").as_str())
    );
    assert_eq!(
        scannet.title,
        "ScanNet: Richly-Annotated 3D Reconstructions of Indoor Scenes"
    );
    assert_eq!(scannet.authors.len(), 6, "split on AND too");
    assert_eq!(scannet.authors[5], "Matthias Nießner");
    assert_eq!(scannet.arxiv_id.as_deref(), Some("1702.04405"));

    let ddpm = find(&papers, "ho2020denoising");
    assert_eq!(ddpm.title, "Denoising Diffusion Probabilistic Models");
    assert_eq!(
        ddpm.venue.as_deref(),
        Some("Advances in Neural Information Processing Systems")
    );

    assert_eq!(
        find(&papers, "chollet2017xception").authors,
        vec!["François Chollet"]
    );

    let w2v = find(&papers, "mikolov2013efficient");
    assert_eq!(w2v.authors[0], "Tomáš Mikolov", "@article(...) entry");
    assert_eq!(w2v.arxiv_id.as_deref(), Some("1301.3781"));
    assert_eq!(w2v.venue.as_deref(), Some("arXiv"));

    let logan = find(&papers, "logan-etal-2019-baracks");
    assert_eq!(
        logan.title,
        "Barack's Wife Hillary: Using Knowledge Graphs for Fact-Aware Language Modeling"
    );
    assert_eq!(logan.authors[0], "Robert L. Logan IV");
    assert_eq!(logan.authors.len(), 5);
    assert_eq!(
        logan.doi.as_deref().map(doi_key).as_deref(),
        Some("10.18653/v1/p19-1598")
    );

    let bert = find(&papers, "devlin-etal-2019-bert");
    assert_eq!(bert.authors, vec!["Jacob Devlin", "Ming-Wei Chang"]);
    assert_eq!(
        bert.doi.as_deref().map(doi_key).as_deref(),
        Some("10.18653/v1/n19-1423")
    );
    assert!(
        bert.venue
            .as_deref()
            .unwrap_or_default()
            .contains("North American Chapter")
    );

    let nist = find(&papers, "nist2023airmf");
    assert_eq!(
        nist.authors,
        vec!["National Institute of Standards and Technology"]
    );
    assert_eq!(
        nist.doi.as_deref().map(doi_key).as_deref(),
        Some("10.6028/nist.ai.100-1")
    );
    assert_eq!(
        nist.title,
        "Artificial Intelligence Risk Management Framework (AI RMF 1.0)"
    );

    let gpt4 = find(&papers, "openai2023gpt4");
    assert_eq!(gpt4.year, Some(2023), "from `date`");
    assert_eq!(
        gpt4.arxiv_id.as_deref(),
        Some("2303.08774"),
        "version dropped"
    );
    assert_eq!(gpt4.venue.as_deref(), Some("arXiv"));
    assert_eq!(gpt4.authors, vec!["OpenAI"]);

    let ads = find(&papers, "maldacena1998large");
    assert_eq!(ads.arxiv_id.as_deref(), Some("hep-th/9711200"));
    assert_eq!(ads.venue.as_deref(), Some("Adv. Theor. Math. Phys."));
    assert_eq!(
        ads.title,
        "The Large N Limit of Superconformal Field Theories and Supergravity"
    );

    let resnets: Vec<&Paper> = papers.iter().filter(|p| p.id == "he2016deep").collect();
    assert_eq!(resnets.len(), 2, "duplicate keys are both kept");
    assert_eq!(resnets[1].arxiv_id.as_deref(), Some("1512.03385"));
}

#[test]
fn latex_is_cleaned() {
    let cases = [
        (
            "{{LLaVA}: Visual {Instruction} Tuning}",
            "LLaVA: Visual Instruction Tuning",
        ),
        (
            r#"M{\"o}ller and M\"{u}ller and G\"odel"#,
            "Möller and Müller and Gödel",
        ),
        (
            r"Caf\'e, Caf\'{e}, {\`a} la, C\^ote, Espa\~na",
            "Café, Café, à la, Côte, España",
        ),
        (
            r"Fran\c{c}ois, \v{S}imon, Stra{\ss}e, Stra\ss e",
            "François, Šimon, Straße, Straße",
        ),
        (
            r#"{\O}rsted, S{\o}ren, {\AA}ngstr{\"o}m, {\aa}"#,
            "Ørsted, Søren, Ångström, å",
        ),
        (
            r#"D\'{\i}az, D\'\i az, na\"{\i}ve, \i"#,
            "Díaz, Díaz, naïve, i",
        ),
        (
            r"Pages 1--10 --- and \& more~here",
            "Pages 1–10 — and & more here",
        ),
        (r"\emph{Deep} \textbf{Learning}  {\relax}", "Deep Learning"),
        (
            r"$\alpha$-Net: 50\% of \$1, ``quoted''",
            "α-Net: 50% of $1, “quoted”",
        ),
        (
            "Already unicode: Łukasz, 李飞飞, Müller",
            "Already unicode: Łukasz, 李飞飞, Müller",
        ),
        ("  spread\r\n\tover \n lines ", "spread over lines"),
        (
            r"\H{o} \k{a} \r{u} \u{g} \={a} \.{z} \d{s}",
            "ő ą ů ğ ā ż s\u{323}",
        ),
        (r"{\noopsort{a}}Zebra", "Zebra"),
    ];
    for (input, expected) in cases {
        assert_eq!(clean_latex(input), expected, "input: {input}");
    }
}

#[test]
fn authors_are_split_and_reordered() {
    assert_eq!(
        split_authors(
            r"Rozi{\`e}re, Baptiste AND {Barnes and Noble} and Smith, Jr., John and Jane Q. Doe and others"
        ),
        vec![
            "Baptiste Rozière",
            "Barnes and Noble",
            "John Smith Jr.",
            "Jane Q. Doe"
        ]
    );
    assert_eq!(
        split_authors("{Lee, Kim and Partners}"),
        vec!["Lee, Kim and Partners"]
    );
    assert_eq!(split_authors("  "), Vec::<String>::new());
}

#[test]
fn accent_table_lines_up() {
    for (a, bases, composed) in ACCENTS {
        assert_eq!(
            bases.chars().count(),
            composed.chars().count(),
            "accent {a}"
        );
    }
}

#[test]
fn strings_months_and_unknown_macros() {
    let text = "@string{ conf = \"Conf.\" }\n\
                    @STRING{proc = \"Proc. \" # Conf}\n\
                    @misc{a, title = {T}, booktitle = proc # { on X}, month = jan, note = nosuch}\n";
    let (papers, warnings) = parse(text, "m.bib");
    assert_eq!(papers.len(), 1);
    assert_eq!(papers[0].venue.as_deref(), Some("Proc. Conf. on X"));
    assert_eq!(
        warnings,
        vec!["m.bib:3: entry `a`: unknown @string `nosuch` read as empty"]
    );
}

#[test]
fn recovers_from_broken_entries_anywhere() {
    // Unclosed entry at the end of the file.
    let (papers, warnings) = parse("@misc{ok, title={A}}\n@misc{cut, title = {B", "x.bib");
    assert_eq!(papers.len(), 1);
    assert_eq!(
        warnings,
        vec![
            "x.bib:2: skipped malformed entry `cut`: its braces are not closed before the end of the file"
        ]
    );
    // Garbage between entries and an entry with a bad key.
    let text = "junk text { with } braces\n@misc{a, title={A}}\n@@@ }}}\n\
                    @article{bad key, title={X}}\n@misc{b, title={B}}";
    let (papers, warnings) = parse(text, "y.bib");
    assert_eq!(
        papers.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        vec!["a", "b"]
    );
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].starts_with("y.bib:4: skipped malformed entry `bad key`"));
    // Entries on one line, and `@` in comments and abstracts.
    let text = "% mail me@example.org\n@misc{a,title={A},abstract={me@x.org {@misc{no}}}}@misc{b,title={B}}";
    let (papers, warnings) = parse(text, "z.bib");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(papers.len(), 2);
    assert_eq!(papers[0].abstract_text.as_deref(), Some("me@x.org @miscno"));
}

#[test]
fn hostile_macros_do_not_blow_up() {
    // Self-reference would recurse forever in a naive resolver.
    let (papers, warnings) = parse("@string{a = a}\n@misc{k, title = a # {T}}", "s.bib");
    assert_eq!(papers.len(), 1);
    assert_eq!(papers[0].title, "T");
    assert_eq!(warnings.len(), 1);
    // Doubling chain: 2^60 bytes if uncapped.
    let mut text = String::from("@string{s0 = \"xxxxxxxx\"}\n");
    for i in 1..60 {
        text.push_str(&format!("@string{{s{i} = s{p} # s{p}}}\n", p = i - 1));
    }
    text.push_str("@misc{k, title = s59}\n");
    let (papers, _) = parse(&text, "s.bib");
    assert!(papers[0].title.len() <= MACRO_CAP);
}

#[test]
fn fields_are_read_from_many_shapes() {
    let text = r#"@misc{k,
            title = {T},
            eprint = {2304.08485v2},
            doi = {https://doi.org/10.1000/ABC\_1},
            url = {https://example.org/a\_b},
            year = {circa 1999--2001},
            howpublished = {\url{https://ignored.example}},
        }
        @misc{m, title={U}, note = {see arxiv.org/abs/2401.00001v3}, publisher = {Self}}
        @misc{n, title={V}, date = {2020-04-17}, howpublished = {\url{https://n.example/x}}}"#;
    let (papers, warnings) = parse(text, "f.bib");
    assert!(warnings.is_empty(), "{warnings:?}");
    let k = &papers[0];
    assert_eq!(k.arxiv_id.as_deref(), Some("2304.08485"));
    assert_eq!(
        k.doi.as_deref().map(doi_key).as_deref(),
        Some("10.1000/abc_1")
    );
    assert_eq!(k.year, Some(1999));
    assert_eq!(
        k.links,
        vec![
            Link {
                label: "paper".into(),
                url: "https://example.org/a_b".into()
            },
            Link {
                label: "doi".into(),
                url: "https://doi.org/10.1000/ABC_1".into()
            },
            Link {
                label: "arXiv".into(),
                url: "https://arxiv.org/abs/2304.08485".into()
            },
        ]
    );
    assert_eq!(k.venue.as_deref(), Some("arXiv"));
    let m = &papers[1];
    assert_eq!(m.arxiv_id.as_deref(), Some("2401.00001"));
    assert_eq!(m.venue.as_deref(), Some("arXiv"));
    let n = &papers[2];
    assert_eq!(n.year, Some(2020));
    assert_eq!(n.venue, None, "a bare URL is not a venue");
    assert_eq!(n.main_link(), Some("https://n.example/x"));
}

#[test]
fn empty_key_and_empty_input() {
    assert!(parse("", "e.bib").0.is_empty());
    assert!(parse("no entries here", "e.bib").0.is_empty());
    let (papers, _) = parse("@misc{, title = {A Title}}", "e.bib");
    assert_eq!(papers[0].id, "a-title");
    assert!(papers[0].tags.is_empty());
}

/// Mutates the fixtures (xorshift, fixed seed) and checks nothing
/// panics; the crate-level fuzzer runs much longer.
#[test]
fn mutated_fixtures_never_panic() {
    const PIECES: &[&str] = &[
        "{", "}", "(", ")", "\"", "@", "@misc{", "#", ",", "=", "\\", "\\'", "\\c", "{\\", "and",
        " and ", "%", "\n", "\r\n", "$", "~", "--", "é", "李", "arXiv:", "10.",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |n: usize| {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1) as u64) as usize
    };
    for round in 0..1500 {
        let seed = [ZOTERO, SCHOLAR, AWKWARD][round % 3];
        let mut text: Vec<char> = seed.chars().collect();
        for _ in 0..1 + next(20) {
            let at = next(text.len() + 1);
            match next(3) {
                0 => {
                    let piece = PIECES[next(PIECES.len())];
                    text.splice(at..at, piece.chars());
                }
                1 => {
                    let end = (at + next(40)).min(text.len());
                    text.drain(at..end);
                }
                _ => {
                    let end = (at + next(200)).min(text.len());
                    let copy: Vec<char> = text[at..end].to_vec();
                    let to = next(text.len() + 1);
                    text.splice(to..to, copy);
                }
            }
        }
        let text: String = text.into_iter().collect();
        let mut warnings = Vec::new();
        let _ = parse_bibtex(&text, "fuzz.bib", &mut warnings);

        // And short files made of the pieces alone.
        let mut text = String::from("@misc{k, title = ");
        for _ in 0..next(30) {
            text.push_str(PIECES[next(PIECES.len())]);
        }
        let _ = parse_bibtex(&text, "fuzz.bib", &mut warnings);
        let _ = clean_latex(&text);
        let _ = split_authors(&text);
    }
}

/// Inputs that would take quadratic time (or more) in a careless reader.
#[test]
fn pathological_inputs_stay_fast() {
    let start = std::time::Instant::now();
    let n = 100_000;
    let inputs = [
        format!("@misc{{k, title = {{{}}}}}", "\\'{".repeat(n)),
        format!("@misc{{k, title = {{{}}}}}", "\\href{".repeat(n)),
        format!("@misc{{k, title = {{T}}, {}}}", "a = 1, ".repeat(n)),
        format!("@misc{{k, author = {{{}}}}}", "x and ".repeat(n)),
        "{".repeat(n),
        "@a{\n".repeat(n),
        "@a{".repeat(n),
    ];
    for text in &inputs {
        let mut warnings = Vec::new();
        let _ = parse_bibtex(text, "p.bib", &mut warnings);
    }
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
}

/// Issue 11's display leftovers: Scholar's `$\{$USENIX$\}$` and an HTML
/// entity in a scraped venue; and `keywords` read as a list.
#[test]
fn scholar_braces_and_entities_are_cleaned_and_keywords_read() {
    let text = "@inproceedings{carlini2021extracting,\n  \
                title={Extracting Training Data from Large Language Models},\n  \
                author={Carlini, Nicholas and Tramer, Florian},\n  \
                booktitle={30th $\\{$USENIX$\\}$ Security Symposium ($\\{$USENIX$\\}$ Security 21)},\n  \
                year={2021},\n  keywords={privacy; memorization, language models}\n}\n\
                @article{k2, title={Research &#38; Development &amp; More}, journal={IEEE S&#38;P}, year={2020}}\n";
    let mut warnings = Vec::new();
    let papers = parse_bibtex(text, "s.bib", &mut warnings);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        papers[0].venue.as_deref(),
        Some("30th USENIX Security Symposium (USENIX Security 21)")
    );
    assert_eq!(
        papers[0].keywords,
        ["privacy", "memorization", "language models"]
    );
    assert_eq!(papers[1].title, "Research & Development & More");
    assert_eq!(papers[1].venue.as_deref(), Some("IEEE S&P"));
}
