//! Every flag of the command line, as clap parses it, and how flags become
//! engine options: each default is defined here once.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::commands::use_color;
use super::print::Format;
use super::{choose, events};
use crate::collection::Sources;
use crate::config::{self, ARXIV_INTERVAL, ARXIV_MAX_IDS, ARXIV_TIMEOUT, DEFAULT_LIMIT};
use crate::error::{Error, Result};
use crate::index::store::IndexDir;
use crate::read::SourceFormat;
use crate::search::engine::{self, Engine, EngineConfig, Mode, SearchOptions};
use crate::search::feedback::Feedback;
use crate::search::filter::Filter;
use crate::search::fusion::{DEFAULT_ALPHA, DEFAULT_BOUNDED_ALPHA, Fusion};
use crate::search::word_feedback::WordFeedback;
use crate::write::ExportFormat;

#[derive(Debug, Parser)]
#[command(
    name = "mmsearch",
    version,
    about = "Hybrid keyword + semantic search over research-paper lists",
    long_about = "Hybrid keyword + semantic search over research-paper lists.\n\n\
                  `mmsearch \"efficient video tokens\"` searches the shipped multimodal-model list;\n\
                  the index is built on first use."
)]
/// The command line, as clap parses it.
pub struct Cli {
    #[command(subcommand)]
    pub(super) command: Option<Command>,
    #[command(flatten)]
    pub(super) search: SearchArgs,
    #[command(flatten)]
    pub(super) global: GlobalArgs,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Search the papers (the same as giving the query directly).
    Search(SearchArgs),
    /// Papers related to one or more papers (id, tag, arXiv id or title) and/or to --text.
    Similar(SimilarArgs),
    /// Print one paper's whole entry.
    Show(ShowArgs),
    /// Build (or rebuild) the index: of --source files (remembered for later), else of the
    /// sources remembered in the index directory, else of the shipped list.
    Index(IndexArgs),
    /// Fetch missing abstracts (and authors, dates, DOIs) from the arXiv API into the
    /// collection's enrichment cache, then rebuild the index.
    Enrich(EnrichArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Measure retrieval quality (nDCG@10, MRR@10, Recall@100, MAP@100) on judged queries.
    Eval(EvalArgs),
    /// Write the whole collection: JSONL (reads back as the same collection), BibTeX (your
    /// citation keys, entry types and fields kept) or Markdown in the shipped list's style.
    Export(ExportArgs),
    /// Serve the HTTP API and the web page over one loaded engine; `mmsearch QUERY`, `similar`
    /// and `show` then answer through it.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
pub(super) struct ServeArgs {
    /// Address to listen on; anything but loopback is reachable from other machines.
    #[arg(long, default_value = crate::serve::DEFAULT_ADDR, value_name = "HOST:PORT")]
    pub(super) addr: std::net::SocketAddr,
}

#[derive(Debug, Args)]
pub(super) struct IndexArgs {
    /// Embed every paper again instead of reusing the vectors of unchanged ones.
    #[arg(long)]
    pub(super) full: bool,
    /// Go back to the shipped list (forget remembered --source files).
    #[arg(long)]
    pub(super) shipped: bool,
    /// The format of the --source files (same as --source-format).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(super) format: Option<SourceFormat>,
    /// List every merge: which entries became one paper, and why.
    #[arg(long, short)]
    pub(super) verbose: bool,
}

#[derive(Debug, Args)]
pub(super) struct EnrichArgs {
    /// The arXiv API's query endpoint [default: $MMSEARCH_ARXIV_API, else http://export.arxiv.org/api/query].
    #[arg(long, value_name = "URL")]
    pub(super) arxiv_api: Option<String>,
    /// Seconds between requests; arXiv asks for at least 3 (smaller values are
    /// accepted only for a server on this machine).
    #[arg(long, default_value_t = ARXIV_INTERVAL.as_secs_f64(), value_parser = parse_positive, value_name = "SECONDS")]
    pub(super) interval: f64,
    /// Seconds before a request is given up (and retried).
    #[arg(long, default_value_t = ARXIV_TIMEOUT.as_secs_f64(), value_parser = parse_positive, value_name = "SECONDS")]
    pub(super) timeout: f64,
    /// arXiv ids per request (at most 100).
    #[arg(long, default_value_t = ARXIV_MAX_IDS as u16, value_parser = clap::value_parser!(u16).range(1..=ARXIV_MAX_IDS as i64))]
    pub(super) batch_size: u16,
    /// Ask again about papers an earlier run did not find on arXiv.
    #[arg(long)]
    pub(super) retry_missing: bool,
    /// Only fetch; leave the index to be rebuilt by the next search.
    #[arg(long)]
    pub(super) no_index: bool,
}

#[derive(Debug, Args)]
pub(super) struct EvalArgs {
    /// A BEIR-layout directory (corpus.jsonl, queries.jsonl, qrels/<split>.tsv). Repeat to
    /// evaluate several collections in one summary [default: the shipped list and its judgments].
    #[arg(long, value_name = "DIR")]
    pub(super) beir: Vec<PathBuf>,
    /// Evaluate the shipped judgments too (they are the default when no --beir is given).
    #[arg(long)]
    pub(super) shipped: bool,
    /// Which qrels split to report on (the shipped judgments: test, train or holdout; a BEIR
    /// directory: any qrels/<split>.tsv it has).
    #[arg(long, default_value = "test")]
    pub(super) split: String,
    /// Evaluate `similar` on the shipped "related paper" cases instead of search.
    #[arg(long, conflicts_with_all = ["beir", "tune", "shipped"])]
    pub(super) related: bool,
    /// Pick RRF k and linear alpha on the train splits of every set that has one (best mean
    /// nDCG@10), then report on --split with them.
    #[arg(long)]
    pub(super) tune: bool,
    /// The k of reciprocal rank fusion for the hybrid-rrf run [default: 10; 20 with --related].
    #[arg(long, value_parser = parse_positive)]
    pub(super) rrf_k: Option<f64>,
    /// The alpha of the hybrid-linear run.
    #[arg(long, default_value_t = DEFAULT_ALPHA, value_parser = parse_unit)]
    pub(super) alpha: f64,
    /// Write TREC run files (<mode>.trec), the qrels in TREC format (qrels.txt) and each
    /// query's legs (legs.jsonl) into DIR; with several sets, into DIR/<set>/.
    #[arg(long, value_name = "DIR")]
    pub(super) run_out: Option<PathBuf>,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    pub(super) json: bool,
    /// Pseudo-relevance feedback for the semantic leg of every run: K:WEIGHT moves the query
    /// vector WEIGHT of the way toward the mean of its first K hits, `off` searches without
    /// [default: as search does].
    #[arg(long, value_name = "K:WEIGHT|off", value_parser = parse_or_off::<Feedback>)]
    pub(super) feedback: Option<OrOff<Feedback>>,
    /// Word feedback for the default run (bounded fusion): the words of the first PAPERS
    /// fused results, WORDS of them, searched with a KEEP / (1 - KEEP) split of the keyword
    /// part; `off` fuses without [default: as search does].
    #[arg(long, value_name = "PAPERS:WORDS:KEEP|off", value_parser = parse_or_off::<WordFeedback>)]
    pub(super) word_feedback: Option<OrOff<WordFeedback>>,
}

/// A feedback flag's value (`--feedback`, `--word-feedback`): the setting,
/// or none (`off`). Clap needs a type other than `Option` for "given as
/// off" to differ from "not given".
#[derive(Debug, Clone, Copy)]
pub(super) struct OrOff<T>(pub(super) Option<T>);

pub(super) fn parse_or_off<T: std::str::FromStr<Err = String>>(
    s: &str,
) -> std::result::Result<OrOff<T>, String> {
    if s.eq_ignore_ascii_case("off") {
        return Ok(OrOff(None));
    }
    s.parse().map(|f| OrOff(Some(f)))
}

#[derive(Debug, Args)]
pub(super) struct GlobalArgs {
    /// Directory of the index [default: $MMSEARCH_INDEX_DIR, else the user data directory].
    #[arg(long, global = true, value_name = "DIR")]
    pub(super) index_dir: Option<PathBuf>,
    /// Directory filled by `models/fetch` [default: $MMSEARCH_MODELS, ./models, the user data directory].
    #[arg(long, global = true, value_name = "DIR")]
    pub(super) models_dir: Option<PathBuf>,
    /// A paper list to search instead of the shipped one: Markdown awesome-list (.md),
    /// JSONL (.jsonl), BibTeX (.bib) or BEIR corpus.jsonl. Repeat to build one collection
    /// from several; the index directory remembers them.
    #[arg(long, global = true, value_name = "FILE")]
    pub(super) source: Vec<PathBuf>,
    /// Read every --source as this format instead of guessing from the file name.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "FORMAT",
        requires = "source"
    )]
    pub(super) source_format: Option<SourceFormat>,
    /// Abstracts for --source papers: JSONL with `arxiv_id`, `id` (tag) or `title`, and `abstract`.
    #[arg(long, global = true, value_name = "FILE", requires = "source")]
    pub(super) abstracts: Vec<PathBuf>,
    /// Answer in this process even when `mmsearch serve` runs on the index directory.
    #[arg(long, global = true)]
    pub(super) no_server: bool,
    /// Keep the index in a Milvus server instead of the index directory:
    /// milvus://HOST:PORT[/COLLECTION] [default: $MMSEARCH_BACKEND, else the embedded engine].
    #[arg(long, global = true, value_name = "URL")]
    pub(super) backend: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum FusionKind {
    /// Reciprocal rank fusion: sum of 1 / (k + rank).
    Rrf,
    /// alpha * semantic + (1 - alpha) * keyword, scores min-max normalised.
    Linear,
    /// alpha * cosine + (1 - alpha) * BM25 / the best BM25 the query could give (the default).
    Bounded,
}

#[derive(Debug, Args)]
pub(super) struct SearchArgs {
    /// What to look for: words, a title, a tag (LLaVA-PruMerge) or an arXiv id.
    #[arg(value_name = "QUERY")]
    pub(super) query: Vec<String>,
    /// Read the query from standard input instead.
    #[arg(long, conflicts_with = "query")]
    pub(super) stdin: bool,
    #[command(flatten)]
    pub(super) results: ResultArgs,
}

#[derive(Debug, Args)]
pub(super) struct SimilarArgs {
    /// Papers to start from: ids, tags, arXiv ids or (pasted) titles.
    #[arg(value_name = "PAPER")]
    pub(super) papers: Vec<String>,
    /// Text that is not in the list, e.g. a pasted abstract.
    #[arg(long, value_name = "TEXT")]
    pub(super) text: Option<String>,
    #[command(flatten)]
    pub(super) results: ResultArgs,
}

#[derive(Debug, Args)]
pub(super) struct ExportArgs {
    /// What to write.
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub(super) format: ExportFormat,
    /// Write to FILE (replaced whole, only when complete) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub(super) out: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub(super) struct ShowArgs {
    /// An id, tag, arXiv id or title.
    #[arg(value_name = "PAPER")]
    pub(super) paper: String,
    /// Print the entry as JSON.
    #[arg(long)]
    pub(super) json: bool,
}

/// Options shared by everything that prints a result list.
#[derive(Debug, Args)]
pub(super) struct ResultArgs {
    /// How many papers to show.
    #[arg(short = 'n', long, default_value_t = DEFAULT_LIMIT as u16, value_parser = clap::value_parser!(u16).range(1..))]
    pub(super) limit: u16,
    /// Which rankings to use.
    #[arg(long, value_enum, default_value_t = Mode::Hybrid)]
    pub(super) mode: Mode,
    /// How hybrid mode combines the two rankings [default: bounded for search, rrf for similar,
    /// as measured by `mmsearch eval` and `mmsearch eval --related`].
    #[arg(long, value_enum)]
    pub(super) fusion: Option<FusionKind>,
    /// Weight of the semantic ranking in linear or bounded fusion (0 = keyword only, 1 = semantic
    /// only) [default: 0.4 bounded, 0.45 linear].
    #[arg(long, value_parser = parse_unit)]
    pub(super) alpha: Option<f64>,
    /// The k of reciprocal rank fusion [default: 10 for search, 20 for similar].
    #[arg(long, value_parser = parse_positive)]
    pub(super) rrf_k: Option<f64>,
    /// Only papers of this year or range (2023, 2023..2024, ..2022).
    #[arg(long, value_name = "YEARS", value_parser = parse_years)]
    pub(super) year: Option<(u16, u16)>,
    /// Only papers whose venue contains this (case-insensitive), e.g. CVPR.
    #[arg(long)]
    pub(super) venue: Option<String>,
    /// Only papers in a section whose name contains this, e.g. video.
    #[arg(long)]
    pub(super) section: Option<String>,
    /// Only papers with an author whose name contains this.
    #[arg(long)]
    pub(super) author: Option<String>,
    /// Show why each paper ranks where it does (ranks, BM25, cosine, fusion formula).
    #[arg(long)]
    pub(super) explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(super) format: Format,
    /// Short for --format json.
    #[arg(long)]
    pub(super) json: bool,
}

pub(super) fn parse_years(s: &str) -> std::result::Result<(u16, u16), String> {
    crate::search::filter::parse_years(s).map_err(|e| e.to_string())
}

pub(super) fn parse_unit(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a number between 0 and 1")),
    }
}

pub(super) fn parse_positive(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("`{s}` is not a positive number")),
    }
}

impl ResultArgs {
    pub(super) fn options(&self, default_fusion: FusionKind, default_rrf_k: f64) -> SearchOptions {
        SearchOptions {
            limit: usize::from(self.limit),
            mode: self.mode,
            fusion: match self.fusion.unwrap_or(default_fusion) {
                FusionKind::Rrf => Fusion::Rrf {
                    k: self.rrf_k.unwrap_or(default_rrf_k),
                },
                FusionKind::Linear => Fusion::Linear {
                    alpha: self.alpha.unwrap_or(DEFAULT_ALPHA),
                },
                FusionKind::Bounded => Fusion::Bounded {
                    alpha: self.alpha.unwrap_or(DEFAULT_BOUNDED_ALPHA),
                },
            },
            depth: engine::DEFAULT_DEPTH,
            filter: Filter {
                years: self.year,
                venue: self.venue.clone(),
                section: self.section.clone(),
                author: self.author.clone(),
            },
            ..SearchOptions::default()
        }
    }

    pub(super) fn format(&self) -> Format {
        if self.json { Format::Json } else { self.format }
    }

    /// These options as `/api/search` and `/api/similar` parameters; the
    /// output format and colour too, so the server prints what we would.
    pub(super) fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mode = match self.mode {
            Mode::Hybrid => "hybrid",
            Mode::Keyword => "keyword",
            Mode::Semantic => "semantic",
        };
        let mut pairs = vec![
            ("limit", self.limit.to_string()),
            ("mode", mode.to_string()),
        ];
        if let Some(alpha) = self.alpha {
            pairs.push(("alpha", alpha.to_string()));
        }
        if let Some(k) = self.rrf_k {
            pairs.push(("rrf_k", k.to_string()));
        }
        if let Some(fusion) = self.fusion {
            let name = match fusion {
                FusionKind::Rrf => "rrf",
                FusionKind::Linear => "linear",
                FusionKind::Bounded => "bounded",
            };
            pairs.push(("fusion", name.to_string()));
        }
        if let Some((from, to)) = self.year {
            pairs.push(("year", format!("{from}..{to}")));
        }
        for (key, value) in [
            ("venue", &self.venue),
            ("section", &self.section),
            ("author", &self.author),
        ] {
            if let Some(v) = value {
                pairs.push((key, v.clone()));
            }
        }
        if self.explain {
            pairs.push(("explain", "1".into()));
        }
        let format = match self.format() {
            Format::Table => "table",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Bibtex => "bibtex",
        };
        pairs.push(("format", format.into()));
        if use_color() {
            pairs.push(("color", "1".into()));
        }
        pairs
    }
}

impl GlobalArgs {
    /// The collection's sources: the given `--source`s, else the remembered
    /// ones, else the shipped list; plus the enrich cache.
    pub(super) fn sources(
        &self,
        config: &EngineConfig,
        format: Option<SourceFormat>,
        shipped: bool,
    ) -> Result<Sources> {
        let given = choose::Given {
            lists: &self.source,
            format: self.source_format.or(format),
            abstracts: &self.abstracts,
        };
        let dir = IndexDir::new(&config.index_dir);
        match &config.backend {
            // A Milvus collection remembers its own files, as an index directory does.
            Some(address) if !shipped && self.source.is_empty() => {
                let remembered = crate::milvus::remembered_sources(address)?;
                choose::choose_remembered(&dir, remembered)
            }
            _ => choose::choose(&dir, &given, shipped),
        }
    }

    /// Opens the collection for a query. When a remembered source has gone
    /// missing, search keeps answering from the index as last built.
    pub(super) fn open(&self, config: &EngineConfig, mode: Mode) -> Result<Engine> {
        match self.sources(config, None, false) {
            Ok(sources) => Engine::open(config, &sources, mode),
            Err(
                e @ Error::SourceUnreadable {
                    remembered: true, ..
                },
            ) if self.source.is_empty() => match Engine::open_built(config, mode) {
                Ok(engine) => {
                    config
                        .events
                        .warn(format!("{e}; searching the index as last built"));
                    Ok(engine)
                }
                Err(_) => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    pub(super) fn config(&self) -> Result<EngineConfig> {
        Ok(EngineConfig {
            index_dir: match &self.index_dir {
                Some(dir) => dir.clone(),
                None => config::default_index_dir()?,
            },
            models_dir: self.models_dir.clone(),
            events: events::to_stderr(std::io::stderr().is_terminal()),
            backend: match self.backend.clone().or_else(config::backend) {
                Some(url) => Some(crate::milvus::Address::parse(&url)?),
                None => None,
            },
        })
    }
}
