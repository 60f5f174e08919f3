//! The keyword leg: a tantivy BM25 index over the papers' fields. Queries are
//! built from the analysed words of the user's text, never parsed as query
//! syntax, so `"unbalanced`, `title:` or `AND` are searched as plain text.
//! The one exception: words between a pair of double quotes (`"state space"`)
//! are also searched as a phrase in title and abstract, so the papers that
//! have them side by side rank above those that have them apart.
//! The same index answers exact lookups (title, tag, arXiv id) through an
//! untokenised key field.

use std::collections::HashSet;
use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::snippet::{Snippet, SnippetGenerator};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::error::{Error, Result};
use crate::paper::{Paper, normalize_key};

/// A term the keyword query searches, with its boost; `spelling_of` numbers
/// the misspelt word (in one field) it corrects.
struct SearchedTerm {
    term: Term,
    boost: f32,
    spelling_of: Option<usize>,
}

/// A field searched by free text, with its tokenizer and BM25 boost.
struct SearchField {
    name: &'static str,
    stemmed: bool,
    boost: f32,
}

/// The fields free text searches, with their weights (README, "Evaluation").
/// Title and abstract are searched as one text: BM25 over separate fields
/// saturates a word in the title and again in the abstract, and normalises
/// a title by its few words, so an incidental title match weighed as much
/// as the abstract. One `text` field (title + abstract) with the title
/// again at .1 did better on both train splits than title .5 + abstract 1
/// (keyword leg: SciFact .6961 → .7031, shipped .6941 → .7073). Half weight
/// held for tags on the shipped list (exact names are found by the `key`
/// field anyway).
const SEARCH_FIELDS: &[SearchField] = &[
    SearchField {
        name: "title",
        stemmed: true,
        boost: 0.1,
    },
    SearchField {
        name: TITLE_AND_ABSTRACT,
        stemmed: true,
        boost: 1.0,
    },
    SearchField {
        name: "tags",
        stemmed: false,
        boost: 0.5,
    },
    SearchField {
        name: "authors",
        stemmed: false,
        boost: 1.0,
    },
    SearchField {
        name: "sections",
        stemmed: true,
        boost: 0.5,
    },
    SearchField {
        name: "venue",
        stemmed: false,
        boost: 0.5,
    },
    SearchField {
        name: "year",
        stemmed: false,
        boost: 0.5,
    },
    SearchField {
        name: "arxiv",
        stemmed: false,
        boost: 1.0,
    },
    // BibTeX `keywords`: subject words the user (or Zotero) filed the paper
    // under, weighted like sections. Papers without keywords (the shipped
    // list, BEIR corpora) score as before.
    SearchField {
        name: "keywords",
        stemmed: true,
        boost: 0.5,
    },
];

/// The field that holds a paper's title and abstract as one text.
pub(crate) const TITLE_AND_ABSTRACT: &str = "text";
/// The fields word feedback searches, at their search weights.
pub(crate) const FEEDBACK_FIELDS: [&str; 2] = ["title", TITLE_AND_ABSTRACT];

/// Beyond this many distinct words a query adds nothing but cost.
const MAX_QUERY_TERMS: usize = 256;

/// Words shorter than this are not treated as typos (too many neighbours).
const MIN_FUZZY_LENGTH: usize = 4;
/// A corrected spelling counts for a little less than the word would.
const FUZZY_BOOST: f32 = 0.8;
/// At most this many corrections per misspelt word (the most frequent win).
const MAX_CORRECTIONS: usize = 3;
/// How many distinctive words More-Like-This keeps.
const MLT_TERMS: usize = 30;
/// More-Like-This ignores words shorter than this (in bytes, as tantivy).
const MLT_MIN_WORD_LENGTH: usize = 3;

/// The fields More-Like-This reads the seeds' words from, in the order of
/// their ids in the schema (ties between words go by field, then word).
pub(crate) const MLT_FIELDS: [&str; 2] = ["title", TITLE_AND_ABSTRACT];

/// A word More-Like-This may search: its field, the analysed word, the text
/// it was first read from (lowercased) and how often the seeds have it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MltWord {
    pub field: &'static str,
    pub word: String,
    pub written: String,
    pub count: usize,
}

/// More-Like-This's choice among `words` (as `more_like_this_words` lists
/// them; `frequencies[i]` documents hold `words[i]`, of `documents`): each
/// scored by its count times its idf, the best `MLT_TERMS`, each weighted by
/// its score over the best. Unlike tantivy's own, which picks among equally
/// scored words in hash order, ties go to the word listed first, so the same
/// papers give the same list every time.
pub(crate) fn more_like_this_choice(
    words: Vec<MltWord>,
    frequencies: &[u64],
    documents: u64,
) -> Vec<(MltWord, f32)> {
    let mut scored: Vec<(f32, usize, MltWord)> = words
        .into_iter()
        .zip(frequencies)
        .enumerate()
        .filter(|(_, (_, df))| **df > 0)
        .map(|(i, (w, df))| (w.count as f32 * mlt_idf(*df, documents), i, w))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.truncate(MLT_TERMS);
    let Some(best) = scored.first().map(|s| s.0).filter(|&b| b > 0.0) else {
        return Vec::new();
    };
    scored
        .into_iter()
        .map(|(score, _, w)| (w, score / best))
        .collect()
}

/// BM25's idf, as tantivy (and Lucene) compute it.
fn mlt_idf(doc_freq: u64, documents: u64) -> f32 {
    let n = documents as f32;
    let df = doc_freq as f32;
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// English function words: never what makes two papers related.
const STOP_WORDS: &[&str] = &[
    "the", "and", "for", "are", "but", "not", "with", "this", "that", "from", "into", "our", "we",
    "its", "their", "they", "these", "those", "which", "while", "such", "can", "has", "have",
    "been", "was", "were", "also", "than", "then", "more", "most", "both", "each", "other", "only",
    "over", "via", "using", "based", "show", "propose", "proposed", "paper", "method", "methods",
    "results", "model", "models", "new", "work",
];

/// A phrase query's field boost and its words at their offsets.
type PhraseTerms = (f32, Vec<(usize, Term)>);

/// The fields a quoted phrase is searched in as a phrase, with their
/// weights (the only fields indexed with positions; the abstract is kept
/// apart from `text` for this, so no phrase runs from title into abstract).
const PHRASE_FIELDS: &[(&str, f32)] = &[("title", 0.5), ("abstract", 1.0)];
/// A quoted phrase found as a phrase scores this times its field's boost,
/// on top of what its words score one by one.
const PHRASE_BOOST: f32 = 1.0;

/// The phrases `text` quotes: what stands between each pair of double
/// quotes (straight `"` or curly `“ ”`), trimmed, empty ones dropped. A
/// quote left open is an ordinary character.
pub(crate) fn quoted_phrases(text: &str) -> Vec<&str> {
    let mut phrases = Vec::new();
    let mut open: Option<usize> = None;
    for (at, c) in text.char_indices() {
        if !matches!(c, '"' | '\u{201C}' | '\u{201D}') {
            continue;
        }
        match open {
            None => open = Some(at + c.len_utf8()),
            Some(start) => {
                let phrase = text[start..at].trim();
                if !phrase.is_empty() {
                    phrases.push(phrase);
                }
                open = None;
            }
        }
    }
    phrases
}

/// Writer memory budget; tantivy's minimum is 15 MB per thread.
const WRITER_BUDGET: usize = 50_000_000;

fn schema() -> Schema {
    let mut builder = Schema::builder();
    let phrase_only = PHRASE_FIELDS
        .iter()
        .filter(|(name, _)| SEARCH_FIELDS.iter().all(|s| s.name != *name))
        .map(|&(name, _)| (name, true));
    let fields = SEARCH_FIELDS.iter().map(|s| (s.name, s.stemmed));
    for (name, stemmed) in fields.chain(phrase_only) {
        let tokenizer = if stemmed { TEXT_ANALYZER } else { "default" };
        let record = if PHRASE_FIELDS.iter().any(|(phrased, _)| *phrased == name) {
            IndexRecordOption::WithFreqsAndPositions
        } else {
            IndexRecordOption::WithFreqs
        };
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record);
        builder.add_text_field(name, TextOptions::default().set_indexing_options(indexing));
    }
    builder.add_text_field("key", STRING);
    builder.add_u64_field("ord", NumericOptions::default().set_fast());
    builder.build()
}

/// English prose: lower-cased, Lucene's English stop words removed, stemmed,
/// as in the BM25 baselines we compare against (Anserini, Elasticsearch).
const TEXT_ANALYZER: &str = "en_text";

/// Registers our analysers; tantivy does not store them in the index, so
/// this runs on every create and open.
fn register_analyzers(index: &Index) {
    let stop_words = StopWordFilter::new(Language::English)
        .unwrap_or_else(|| StopWordFilter::remove(Vec::<String>::new()));
    let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(stop_words)
        .filter(Stemmer::new(Language::English))
        .build();
    index.tokenizers().register(TEXT_ANALYZER, analyzer);
}

fn field(schema: &Schema, name: &str) -> Result<Field> {
    schema
        .get_field(name)
        .map_err(|e| Error::Tantivy(tantivy::TantivyError::SchemaError(e.to_string())))
}

/// Writes the keyword index for `papers` into `dir` (which must exist and be empty).
pub fn build(dir: &Path, papers: &[Paper]) -> Result<()> {
    let schema = schema();
    let index = Index::create_in_dir(dir, schema.clone())?;
    register_analyzers(&index);
    let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, WRITER_BUDGET)?;
    let f = |name| field(&schema, name);
    let keywords = f("keywords")?;
    let title_and_abstract = f(TITLE_AND_ABSTRACT)?;
    let (title, abstract_, tags, authors, sections, venue, year, arxiv, key, ord) = (
        f("title")?,
        f("abstract")?,
        f("tags")?,
        f("authors")?,
        f("sections")?,
        f("venue")?,
        f("year")?,
        f("arxiv")?,
        f("key")?,
        f("ord")?,
    );
    for (i, paper) in papers.iter().enumerate() {
        let mut doc = TantivyDocument::default();
        doc.add_text(title, &paper.title);
        doc.add_text(title_and_abstract, &paper.title);
        if let Some(text) = &paper.abstract_text {
            doc.add_text(abstract_, text);
            doc.add_text(title_and_abstract, text);
        }
        for tag in &paper.tags {
            doc.add_text(tags, tag);
        }
        for author in &paper.authors {
            doc.add_text(authors, author);
        }
        for section in &paper.sections {
            doc.add_text(sections, section);
        }
        if let Some(v) = &paper.venue {
            doc.add_text(venue, v);
        }
        if let Some(y) = paper.year {
            doc.add_text(year, y.to_string());
        }
        if let Some(id) = &paper.arxiv_id {
            doc.add_text(arxiv, id);
        }
        for keyword in &paper.keywords {
            doc.add_text(keywords, keyword);
        }
        for k in paper.lookup_keys() {
            doc.add_text(key, k);
        }
        doc.add_u64(ord, i as u64);
        writer.add_document(doc)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}

/// An open keyword index.
pub struct KeywordIndex {
    index: Index,
    reader: IndexReader,
    schema: Schema,
    /// The close spellings found for a misspelt word, per field: the term
    /// dictionary of an opened index never changes, and a query needs them
    /// twice (its search and its bound), each a scan of the dictionary.
    corrections: std::sync::Mutex<std::collections::HashMap<(Field, String), Vec<String>>>,
}

/// Misspelt words whose corrections are remembered before the memory is
/// cleared (a server meets new ones without end).
const REMEMBERED_CORRECTIONS: usize = 4096;

/// A document position in the collection (its index in the papers list) and its score.
pub(crate) type Scored = (usize, f32);

impl KeywordIndex {
    /// Open.
    pub fn open(dir: &Path) -> Result<Self> {
        Self::reading(Index::open_in_dir(dir)?)
    }

    /// An index of no papers, in memory: its analysers and snippets serve a
    /// backend that keeps the papers elsewhere (every word then weighs the
    /// same when a snippet's passage is chosen).
    pub(crate) fn empty() -> Result<Self> {
        Self::reading(Index::create_in_ram(schema()))
    }

    fn reading(index: Index) -> Result<Self> {
        register_analyzers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let schema = index.schema();
        Ok(KeywordIndex {
            index,
            reader,
            schema,
            corrections: Default::default(),
        })
    }

    /// BM25 over every search field, best first, at most `limit` documents.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Scored>> {
        let Some(query) = self.text_query(query)? else {
            return Ok(Vec::new());
        };
        self.collect(query.as_ref(), limit)
    }

    /// Papers whose title, tag, arXiv id or id equals the query (after
    /// normalising case and punctuation).
    pub fn exact(&self, query: &str) -> Result<Vec<usize>> {
        let key = normalize_key(query);
        if key.is_empty() {
            return Ok(Vec::new());
        }
        let term = Term::from_field_text(field(&self.schema, "key")?, &key);
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        Ok(self
            .collect(&query, 16)?
            .into_iter()
            .map(|(ord, _)| ord)
            .collect())
    }

    fn text_query(&self, text: &str) -> Result<Option<Box<dyn Query>>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for searched in self.weighted_terms(text)? {
            let q = TermQuery::new(searched.term, IndexRecordOption::WithFreqs);
            let boosted = BoostQuery::new(Box::new(q), searched.boost);
            clauses.push((Occur::Should, Box::new(boosted)));
        }
        for (boost, terms) in self.phrases(text)? {
            let phrase = PhraseQuery::new_with_offset(terms);
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(phrase), boost * PHRASE_BOOST)),
            ));
        }
        if clauses.is_empty() {
            return Ok(None);
        }
        Ok(Some(Box::new(BooleanQuery::new(clauses))))
    }

    /// The terms the keyword query for `text` searches, each with its boost:
    /// every analysed word in every search field, plus the corrections of
    /// misspelt words. `text_query` searches them and `bound` sums their
    /// best scores, so the bound covers exactly what can match.
    fn weighted_terms(&self, text: &str) -> Result<Vec<SearchedTerm>> {
        let searcher = self.reader.searcher();
        let mut terms = Vec::new();
        let mut words_found: HashSet<String> = HashSet::new();
        let mut stemmed_words: Vec<(Field, f32, String)> = Vec::new();
        for spec in SEARCH_FIELDS {
            let field = field(&self.schema, spec.name)?;
            for word in self.analyse(field, text)? {
                let term = Term::from_field_text(field, &word);
                if searcher.doc_freq(&term)? > 0 {
                    words_found.insert(word.clone());
                }
                if spec.stemmed && spec.name != "sections" {
                    stemmed_words.push((field, spec.boost, word.clone()));
                }
                terms.push(SearchedTerm {
                    term,
                    boost: spec.boost,
                    spelling_of: None,
                });
            }
        }
        // Typo tolerance: a word that occurs in no field at all is probably
        // misspelt, so its close spellings in the stemmed fields are searched
        // instead, BM25-scored at a discount. (tantivy's FuzzyTermQuery gives
        // every match the same constant score, far below a real word's BM25,
        // so it could not lift the intended paper.) Correctly spelt words are
        // left exact, so they rank as before.
        for (misspelt, (field, boost, word)) in stemmed_words.into_iter().enumerate() {
            if words_found.contains(&word) || word.chars().count() < MIN_FUZZY_LENGTH {
                continue;
            }
            let distance = if word.chars().count() <= 6 { 1 } else { 2 };
            for close in self.corrections_of(&searcher, field, &word, distance)? {
                terms.push(SearchedTerm {
                    term: Term::from_field_text(field, &close),
                    boost: boost * FUZZY_BOOST,
                    spelling_of: Some(misspelt),
                });
            }
        }
        Ok(terms)
    }

    /// `close_terms`, remembered per field and word.
    fn corrections_of(
        &self,
        searcher: &tantivy::Searcher,
        field: Field,
        word: &str,
        distance: usize,
    ) -> Result<Vec<String>> {
        let key = (field, word.to_string());
        if let Some(known) = self
            .corrections
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return Ok(known);
        }
        let found = close_terms(searcher, field, word, distance)?;
        if let Ok(mut memory) = self.corrections.lock() {
            if memory.len() >= REMEMBERED_CORRECTIONS {
                memory.clear();
            }
            memory.insert(key, found.clone());
        }
        Ok(found)
    }

    /// The phrase queries of the phrases `text` quotes: per phrase and per
    /// field of `PHRASE_FIELDS`, the field's boost and its analysed words at
    /// their positions (a stop word inside the phrase keeps its gap). A
    /// phrase of fewer than two words is left to the word clauses.
    fn phrases(&self, text: &str) -> Result<Vec<PhraseTerms>> {
        let mut out = Vec::new();
        for phrase in quoted_phrases(text) {
            for &(name, boost) in PHRASE_FIELDS {
                let field = field(&self.schema, name)?;
                let mut analyzer = self.index.tokenizer_for_field(field)?;
                let mut stream = analyzer.token_stream(phrase);
                let mut terms: Vec<(usize, Term)> = Vec::new();
                while stream.advance() && terms.len() < MAX_QUERY_TERMS {
                    let token = stream.token();
                    terms.push((token.position, Term::from_field_text(field, &token.text)));
                }
                let first = terms.first().map_or(0, |t| t.0);
                terms.iter_mut().for_each(|t| t.0 -= first);
                if terms.len() >= 2 {
                    out.push((boost, terms));
                }
            }
        }
        Ok(out)
    }

    /// The highest BM25 score the keyword query for `text` could give a
    /// document: for every term the query searches that a field holds (its
    /// words, and the corrections of a misspelt word at their discount), the
    /// term at saturation (`idf * (k1 + 1) * boost`), summed; 0 when nothing
    /// occurs.
    /// It depends on the query and the collection, never on what matched, so
    /// fusion can tell a strong keyword match from the best of weak ones.
    pub fn bound(&self, text: &str) -> Result<f32> {
        let searcher = self.reader.searcher();
        let mut bound = 0.0f32;
        // A paper has one spelling of a misspelt word, so of its
        // corrections only the best counts.
        let mut best_spelling: std::collections::HashMap<usize, f32> = Default::default();
        for searched in self.weighted_terms(text)? {
            if searcher.doc_freq(&searched.term)? == 0 {
                continue;
            }
            let weight = tantivy::query::Bm25Weight::for_terms(&searcher, &[searched.term])?;
            let best = weight.boost_by(searched.boost).max_score();
            match searched.spelling_of {
                None => bound += best,
                Some(word) => {
                    let slot = best_spelling.entry(word).or_insert(0.0);
                    *slot = slot.max(best);
                }
            }
        }
        bound += best_spelling.values().sum::<f32>();
        // A quoted phrase scores as BM25 over its words' idf with the
        // phrase's frequency (tantivy's PhraseQuery); none when a word is
        // absent, as then no document has the phrase.
        for (boost, terms) in self.phrases(text)? {
            let terms: Vec<Term> = terms.into_iter().map(|(_, t)| t).collect();
            let mut present = true;
            for term in &terms {
                present &= searcher.doc_freq(term)? > 0;
            }
            if present {
                let weight = tantivy::query::Bm25Weight::for_terms(&searcher, &terms)?;
                bound += weight.boost_by(boost * PHRASE_BOOST).max_score();
            }
        }
        Ok(bound)
    }

    /// The distinct words of `text` as `field`'s analyser sees them.
    fn analyse(&self, field: Field, text: &str) -> Result<Vec<String>> {
        let mut analyzer = self.index.tokenizer_for_field(field)?;
        let mut stream = analyzer.token_stream(text);
        let mut seen = HashSet::new();
        let mut words = Vec::new();
        while stream.advance() && words.len() < MAX_QUERY_TERMS {
            let word = stream.token().text.clone();
            if seen.insert(word.clone()) {
                words.push(word);
            }
        }
        Ok(words)
    }

    /// Documents whose title and text share the most distinctive words
    /// with `texts`, best first: Lucene's More-Like-This (as tantivy has it),
    /// each word of title and text scored by its frequency in `texts`
    /// times its idf, the best `MLT_TERMS` searched, each boosted by its
    /// score over the best one. Unlike tantivy's own, which picks among
    /// equally scored words in hash order, ties go to the word that sorts
    /// first, so the same papers give the same list every time.
    pub fn more_like_this(&self, texts: &[&str], limit: usize) -> Result<Vec<Scored>> {
        let searcher = self.reader.searcher();
        let words = self.more_like_this_words(texts)?;
        let mut frequencies = Vec::with_capacity(words.len());
        for w in &words {
            let term = Term::from_field_text(field(&self.schema, w.field)?, &w.word);
            frequencies.push(searcher.doc_freq(&term)?);
        }
        let chosen = more_like_this_choice(words, &frequencies, searcher.num_docs());
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(chosen.len());
        for (w, weight) in chosen {
            let term = Term::from_field_text(field(&self.schema, w.field)?, &w.word);
            let q: Box<dyn Query> = Box::new(BoostQuery::new(
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                weight,
            ));
            clauses.push((Occur::Should, q));
        }
        self.collect(&BooleanQuery::new(clauses), limit)
    }

    /// The words More-Like-This may pick from `texts`: each field's analysed
    /// words (title, then text) but short and common ones, counted,
    /// sorted by field and word.
    pub(crate) fn more_like_this_words(&self, texts: &[&str]) -> Result<Vec<MltWord>> {
        let mut counted: std::collections::BTreeMap<(usize, String), (String, usize)> =
            std::collections::BTreeMap::new();
        for (slot, name) in MLT_FIELDS.iter().enumerate() {
            let field = field(&self.schema, name)?;
            let mut analyzer = self.index.tokenizer_for_field(field)?;
            for text in texts {
                let mut stream = analyzer.token_stream(text);
                while stream.advance() {
                    let token = stream.token();
                    let word = token.text.as_str();
                    if word.len() < MLT_MIN_WORD_LENGTH || STOP_WORDS.contains(&word) {
                        continue;
                    }
                    let written = text
                        .get(token.offset_from..token.offset_to)
                        .map_or_else(|| word.to_string(), str::to_lowercase);
                    counted
                        .entry((slot, word.to_string()))
                        .or_insert((written, 0))
                        .1 += 1;
                }
            }
        }
        Ok(counted
            .into_iter()
            .map(|((slot, word), (written, count))| MltWord {
                field: MLT_FIELDS[slot],
                word,
                written,
                count,
            })
            .collect())
    }

    /// The words of `text` as title and abstract analyse them (both use
    /// `TEXT_ANALYZER`), in order, repeats kept.
    pub fn analysed_words(&self, text: &str) -> Result<Vec<String>> {
        Ok(self
            .analysed_words_as_written(text)?
            .into_iter()
            .map(|(word, _)| word)
            .collect())
    }

    /// `analysed_words`, each with the text it was read from, lowercased:
    /// what to send a backend that analyses what it is sent (Milvus), since
    /// a stem is not always its own stem ("synthetases" → "synthetas" →
    /// "syntheta").
    pub(crate) fn analysed_words_as_written(&self, text: &str) -> Result<Vec<(String, String)>> {
        let abstract_field = field(&self.schema, "abstract")?;
        let mut analyzer = self.index.tokenizer_for_field(abstract_field)?;
        let mut stream = analyzer.token_stream(text);
        let mut words = Vec::new();
        while stream.advance() {
            let token = stream.token();
            let written = text
                .get(token.offset_from..token.offset_to)
                .map_or_else(|| token.text.clone(), str::to_lowercase);
            words.push((token.text.clone(), written));
        }
        Ok(words)
    }

    /// BM25 of weighted analysed `words` over `FEEDBACK_FIELDS`, each
    /// field at its search boost, best `limit` first; and the highest score
    /// they could give (every present word at saturation, as `bound`).
    pub fn search_words(
        &self,
        words: &[(String, f32)],
        limit: usize,
    ) -> Result<(Vec<Scored>, f32)> {
        let searcher = self.reader.searcher();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut bound = 0.0f32;
        for spec in SEARCH_FIELDS
            .iter()
            .filter(|s| FEEDBACK_FIELDS.contains(&s.name))
        {
            let field = field(&self.schema, spec.name)?;
            for (word, weight) in words.iter().take(MAX_QUERY_TERMS) {
                let term = Term::from_field_text(field, word);
                if searcher.doc_freq(&term)? == 0 {
                    continue;
                }
                let boost = spec.boost * weight;
                let weight =
                    tantivy::query::Bm25Weight::for_terms(&searcher, std::slice::from_ref(&term))?;
                bound += weight.boost_by(boost).max_score();
                let q = TermQuery::new(term, IndexRecordOption::WithFreqs);
                clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
            }
        }
        if clauses.is_empty() {
            return Ok((Vec::new(), 0.0));
        }
        Ok((self.collect(&BooleanQuery::new(clauses), limit)?, bound))
    }

    /// The best passage of `text` with the query's words highlighted, or
    /// `None` when no query word occurs in it.
    pub fn snippet(&self, query: &str, text: &str, max_chars: usize) -> Result<Option<Snippet>> {
        let abstract_field = field(&self.schema, "abstract")?;
        let words = self.analyse(abstract_field, query)?;
        let clauses: Vec<(Occur, Box<dyn Query>)> = words
            .into_iter()
            .map(|w| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(abstract_field, &w),
                    IndexRecordOption::Basic,
                ));
                (Occur::Should, q)
            })
            .collect();
        if clauses.is_empty() {
            return Ok(None);
        }
        let searcher = self.reader.searcher();
        let mut generator =
            SnippetGenerator::create(&searcher, &BooleanQuery::new(clauses), abstract_field)?;
        generator.set_max_num_chars(max_chars);
        let snippet = generator.snippet(text);
        Ok((!snippet.highlighted().is_empty()).then_some(snippet))
    }

    fn collect(&self, query: &dyn Query, limit: usize) -> Result<Vec<Scored>> {
        let searcher = self.reader.searcher();
        let top = searcher.search(query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let ord = searcher
                .segment_reader(address.segment_ord)
                .fast_fields()
                .u64("ord")?
                .first(address.doc_id)
                .ok_or_else(|| Error::index("", "keyword index document without position"))?;
            out.push((ord as usize, score));
        }
        Ok(out)
    }

    /// Number of documents, to check the index against its manifest.
    pub(crate) fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

impl super::KeywordLeg for KeywordIndex {
    fn search(&self, query: &str, limit: usize) -> Result<super::Ranked> {
        KeywordIndex::search(self, query, limit)
    }

    fn exact(&self, query: &str) -> Result<Vec<super::DocId>> {
        KeywordIndex::exact(self, query)
    }

    fn bound(&self, query: &str) -> Result<f32> {
        KeywordIndex::bound(self, query)
    }

    fn more_like_this(&self, texts: &[&str], limit: usize) -> Result<super::Ranked> {
        KeywordIndex::more_like_this(self, texts, limit)
    }

    fn analysed_words(&self, text: &str) -> Result<Option<Vec<String>>> {
        KeywordIndex::analysed_words(self, text).map(Some)
    }

    fn search_words(&self, words: &[(String, f32)], limit: usize) -> Result<(super::Ranked, f32)> {
        KeywordIndex::search_words(self, words, limit)
    }

    fn snippet(&self, query: &str, text: &str, max_chars: usize) -> Result<Option<Snippet>> {
        KeywordIndex::snippet(self, query, text, max_chars)
    }

    fn documents(&self) -> usize {
        self.num_docs() as usize
    }
}

/// Indexed words of `field` within `distance` edits of `word`, most
/// frequent first. A scan of the term dictionary: a few milliseconds even
/// for SciFact's vocabulary, and it runs only for words found nowhere.
fn close_terms(
    searcher: &tantivy::Searcher,
    field: Field,
    word: &str,
    distance: usize,
) -> Result<Vec<String>> {
    let length = word.chars().count();
    let mut found: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let mut stream = inverted
            .terms()
            .stream()
            .map_err(|e| Error::index("", format!("term dictionary: {e}")))?;
        while let Some((bytes, info)) = stream.next() {
            let Ok(term) = std::str::from_utf8(bytes) else {
                continue;
            };
            if term.chars().count().abs_diff(length) > distance {
                continue;
            }
            if strsim::damerau_levenshtein(term, word) <= distance {
                *found.entry(term.to_string()).or_insert(0) += u64::from(info.doc_freq);
            }
        }
    }
    let mut terms: Vec<(String, u64)> = found.into_iter().collect();
    terms.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(terms
        .into_iter()
        .take(MAX_CORRECTIONS)
        .map(|(t, _)| t)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::{KeywordIndex, MltWord, build, more_like_this_choice, quoted_phrases};
    use crate::collection::{Collection, Sources};

    #[test]
    fn more_like_this_keeps_the_best_count_times_idf_weighted_by_the_best_ties_in_order() {
        let word = |field, word: &str, count| MltWord {
            field,
            word: word.to_string(),
            written: word.to_string(),
            count,
        };
        let words = vec![
            word("title", "video", 1),
            word("title", "token", 1),
            word("abstract", "absent", 9),
            word("abstract", "token", 3),
            word("abstract", "common", 4),
        ];
        // 1,000 documents: "video" and "token" equally rare, "common" in all.
        let chosen = more_like_this_choice(words, &[10, 10, 0, 10, 1_000], 1_000);
        let names: Vec<(&str, &str)> = chosen
            .iter()
            .map(|(w, _)| (w.field, w.word.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("abstract", "token"),
                ("title", "video"),
                ("title", "token"),
                ("abstract", "common")
            ],
            "a word no document has is left out; equal scores keep their order"
        );
        assert!((chosen[0].1 - 1.0).abs() < 1e-6);
        assert!((chosen[1].1 - 1.0 / 3.0).abs() < 1e-6, "{chosen:?}");
        assert!(
            chosen[3].1 < 0.01,
            "a word every document has weighs almost nothing"
        );
    }

    fn shipped_index() -> (tempfile::TempDir, KeywordIndex) {
        let papers = Collection::from_sources(&Sources::shipped())
            .expect("shipped list")
            .papers;
        let dir = tempfile::tempdir().expect("temp dir");
        build(dir.path(), &papers).expect("built");
        let index = KeywordIndex::open(dir.path()).expect("opened");
        (dir, index)
    }

    /// The bound covers what a misspelt query searches (its corrections),
    /// so bounded fusion divides by it instead of falling back to min-max
    /// (which lifts the best of weak matches to 1), and no hit exceeds it.
    #[test]
    fn the_bound_of_a_misspelt_query_covers_its_corrections() {
        let (_dir, index) = shipped_index();
        for query in ["segmnt", "segmnt anything", "distilation of langage models"] {
            let bound = index.bound(query).expect("bound");
            let hits = index.search(query, 10).expect("hits");
            assert!(!hits.is_empty(), "{query}: corrections match");
            assert!(bound > 0.0, "{query}: bound 0 though corrections match");
            for &(_, score) in &hits {
                assert!(score <= bound * 1.0001, "{query}: {score} > bound {bound}");
            }
            // The corrections are remembered: asked again, the same answer.
            assert_eq!(index.search(query, 10).expect("hits"), hits, "{query}");
            assert_eq!(index.bound(query).expect("bound"), bound, "{query}");
        }
        // Only the best correction of a word counts (a paper has one
        // spelling of it): the bound is the sum over fields of the best.
        let searcher = index.reader.searcher();
        let mut best: std::collections::HashMap<usize, f32> = Default::default();
        let mut corrections = 0;
        for searched in index.weighted_terms("modl").expect("terms") {
            // The word itself, in every field: found nowhere, it adds nothing.
            let Some(word) = searched.spelling_of else {
                continue;
            };
            let weight =
                tantivy::query::Bm25Weight::for_terms(&searcher, &[searched.term]).expect("weight");
            let score = weight.boost_by(searched.boost).max_score();
            let slot = best.entry(word).or_insert(0.0);
            *slot = slot.max(score);
            corrections += 1;
        }
        assert!(
            corrections > best.len(),
            "modl: model, modal, … in one field"
        );
        let expected: f32 = best.values().sum();
        let bound = index.bound("modl").expect("bound");
        assert!((bound - expected).abs() < 1e-4, "{bound} vs {expected}");
    }

    #[test]
    fn quoted_phrases_are_what_pairs_of_quotes_hold() {
        assert_eq!(
            quoted_phrases(r#"mamba "state space" models "vision  transformer""#),
            vec!["state space", "vision  transformer"]
        );
        assert_eq!(
            quoted_phrases("“token merging” for ViT"),
            vec!["token merging"]
        );
        // No pair, no phrase: an open quote and empty quotes are plain text.
        assert!(quoted_phrases(r#""unbalanced"#).is_empty());
        assert!(quoted_phrases(r#"a "" b"#).is_empty());
        assert!(quoted_phrases("no quotes").is_empty());
        // The third quote opens a phrase that never closes.
        assert_eq!(quoted_phrases(r#""a b" c "d"#), vec!["a b"]);
    }
}
