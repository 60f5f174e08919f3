//! The command line: `mmsearch QUERY...` searches, `similar` finds related
//! papers, `show` prints one entry, `index` builds, `eval` measures.
//! Parsing is clap's; this module only turns arguments into engine calls and
//! chooses the printer.

mod choose;
mod events;
pub mod print;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::collection::Sources;
use crate::config::{self, ARXIV_INTERVAL, ARXIV_MAX_IDS, ARXIV_TIMEOUT, DEFAULT_LIMIT};
use crate::embed;
use crate::enrich;
use crate::error::{ArxivError, Error, Result};
use crate::eval::{self, FusionParams, Judgments};
use crate::index::build::{self, BuildReport};
use crate::index::store::IndexDir;
use crate::read::SourceFormat;
use crate::search::engine::{self, Engine, EngineConfig, Mode, SearchOptions};
use crate::search::filter::Filter;
use crate::search::fusion::{DEFAULT_ALPHA, DEFAULT_RRF_K, DEFAULT_SIMILAR_RRF_K, Fusion};
use crate::search::resolve::resolve;
use crate::search::results::Hit;
use print::Format;

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
    command: Option<Command>,
    #[command(flatten)]
    search: SearchArgs,
    #[command(flatten)]
    global: GlobalArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
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
    /// Serve the HTTP API and the web page over one loaded engine; `mmsearch QUERY`, `similar`
    /// and `show` then answer through it.
    Serve(ServeArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on; anything but loopback is reachable from other machines.
    #[arg(long, default_value = crate::serve::DEFAULT_ADDR, value_name = "HOST:PORT")]
    addr: std::net::SocketAddr,
}

#[derive(Debug, Args)]
struct IndexArgs {
    /// Embed every paper again instead of reusing the vectors of unchanged ones.
    #[arg(long)]
    full: bool,
    /// Go back to the shipped list (forget remembered --source files).
    #[arg(long)]
    shipped: bool,
    /// The format of the --source files (same as --source-format).
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<SourceFormat>,
}

#[derive(Debug, Args)]
struct EnrichArgs {
    /// The arXiv API's query endpoint [default: $MMSEARCH_ARXIV_API, else http://export.arxiv.org/api/query].
    #[arg(long, value_name = "URL")]
    arxiv_api: Option<String>,
    /// Seconds between requests; arXiv asks for at least 3 (smaller values are
    /// accepted only for a server on this machine).
    #[arg(long, default_value_t = ARXIV_INTERVAL.as_secs_f64(), value_parser = parse_positive, value_name = "SECONDS")]
    interval: f64,
    /// Seconds before a request is given up (and retried).
    #[arg(long, default_value_t = ARXIV_TIMEOUT.as_secs_f64(), value_parser = parse_positive, value_name = "SECONDS")]
    timeout: f64,
    /// arXiv ids per request (at most 100).
    #[arg(long, default_value_t = ARXIV_MAX_IDS as u16, value_parser = clap::value_parser!(u16).range(1..=ARXIV_MAX_IDS as i64))]
    batch_size: u16,
    /// Ask again about papers an earlier run did not find on arXiv.
    #[arg(long)]
    retry_missing: bool,
    /// Only fetch; leave the index to be rebuilt by the next search.
    #[arg(long)]
    no_index: bool,
}

#[derive(Debug, Args)]
struct EvalArgs {
    /// A BEIR-layout directory (corpus.jsonl, queries.jsonl, qrels/<split>.tsv) [default: the shipped list and its judgments].
    #[arg(long, value_name = "DIR")]
    beir: Option<PathBuf>,
    /// Which qrels split to report on.
    #[arg(long, default_value = "test")]
    split: String,
    /// Evaluate `similar` on the shipped "related paper" cases instead of search.
    #[arg(long, conflicts_with_all = ["beir", "tune"])]
    related: bool,
    /// Pick RRF k and linear alpha on the train split, then report on --split with them.
    #[arg(long)]
    tune: bool,
    /// The k of reciprocal rank fusion for the hybrid-rrf run [default: 10; 20 with --related].
    #[arg(long, value_parser = parse_positive)]
    rrf_k: Option<f64>,
    /// The alpha of the hybrid-linear run.
    #[arg(long, default_value_t = DEFAULT_ALPHA, value_parser = parse_unit)]
    alpha: f64,
    /// Write TREC run files (<mode>.trec) and the qrels in TREC format (qrels.txt) into DIR.
    #[arg(long, value_name = "DIR")]
    run_out: Option<PathBuf>,
    /// Print one JSON document instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct GlobalArgs {
    /// Directory of the index [default: $MMSEARCH_INDEX_DIR, else the user data directory].
    #[arg(long, global = true, value_name = "DIR")]
    index_dir: Option<PathBuf>,
    /// Directory filled by `models/fetch` [default: $MMSEARCH_MODELS, ./models, the user data directory].
    #[arg(long, global = true, value_name = "DIR")]
    models_dir: Option<PathBuf>,
    /// A paper list to search instead of the shipped one: Markdown awesome-list (.md),
    /// JSONL (.jsonl), BibTeX (.bib) or BEIR corpus.jsonl. Repeat to build one collection
    /// from several; the index directory remembers them.
    #[arg(long, global = true, value_name = "FILE")]
    source: Vec<PathBuf>,
    /// Read every --source as this format instead of guessing from the file name.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "FORMAT",
        requires = "source"
    )]
    source_format: Option<SourceFormat>,
    /// Abstracts for --source papers: JSONL with `arxiv_id`, `id` (tag) or `title`, and `abstract`.
    #[arg(long, global = true, value_name = "FILE", requires = "source")]
    abstracts: Vec<PathBuf>,
    /// Answer in this process even when `mmsearch serve` runs on the index directory.
    #[arg(long, global = true)]
    no_server: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FusionKind {
    /// Reciprocal rank fusion: sum of 1 / (k + rank).
    Rrf,
    /// alpha * semantic + (1 - alpha) * keyword, scores min-max normalised.
    Linear,
}

#[derive(Debug, Args)]
struct SearchArgs {
    /// What to look for: words, a title, a tag (LLaVA-PruMerge) or an arXiv id.
    #[arg(value_name = "QUERY")]
    query: Vec<String>,
    /// Read the query from standard input instead.
    #[arg(long, conflicts_with = "query")]
    stdin: bool,
    #[command(flatten)]
    results: ResultArgs,
}

#[derive(Debug, Args)]
struct SimilarArgs {
    /// Papers to start from: ids, tags, arXiv ids or (pasted) titles.
    #[arg(value_name = "PAPER")]
    papers: Vec<String>,
    /// Text that is not in the list, e.g. a pasted abstract.
    #[arg(long, value_name = "TEXT")]
    text: Option<String>,
    #[command(flatten)]
    results: ResultArgs,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// An id, tag, arXiv id or title.
    #[arg(value_name = "PAPER")]
    paper: String,
    /// Print the entry as JSON.
    #[arg(long)]
    json: bool,
}

/// Options shared by everything that prints a result list.
#[derive(Debug, Args)]
struct ResultArgs {
    /// How many papers to show.
    #[arg(short = 'n', long, default_value_t = DEFAULT_LIMIT as u16, value_parser = clap::value_parser!(u16).range(1..))]
    limit: u16,
    /// Which rankings to use.
    #[arg(long, value_enum, default_value_t = Mode::Hybrid)]
    mode: Mode,
    /// How hybrid mode combines the two rankings [default: linear for search, rrf for similar,
    /// as measured by `mmsearch eval` and `mmsearch eval --related`].
    #[arg(long, value_enum)]
    fusion: Option<FusionKind>,
    /// Weight of the semantic ranking in linear fusion (0 = keyword only, 1 = semantic only).
    #[arg(long, default_value_t = DEFAULT_ALPHA, value_parser = parse_unit)]
    alpha: f64,
    /// The k of reciprocal rank fusion [default: 10 for search, 20 for similar].
    #[arg(long, value_parser = parse_positive)]
    rrf_k: Option<f64>,
    /// Only papers of this year or range (2023, 2023..2024, ..2022).
    #[arg(long, value_name = "YEARS", value_parser = parse_years)]
    year: Option<(u16, u16)>,
    /// Only papers whose venue contains this (case-insensitive), e.g. CVPR.
    #[arg(long)]
    venue: Option<String>,
    /// Only papers in a section whose name contains this, e.g. video.
    #[arg(long)]
    section: Option<String>,
    /// Only papers with an author whose name contains this.
    #[arg(long)]
    author: Option<String>,
    /// Show why each paper ranks where it does (ranks, BM25, cosine, fusion formula).
    #[arg(long)]
    explain: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Short for --format json.
    #[arg(long)]
    json: bool,
}

fn parse_years(s: &str) -> std::result::Result<(u16, u16), String> {
    crate::search::filter::parse_years(s).map_err(|e| e.to_string())
}

fn parse_unit(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a number between 0 and 1")),
    }
}

fn parse_positive(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("`{s}` is not a positive number")),
    }
}

impl ResultArgs {
    fn options(&self, default_fusion: FusionKind, default_rrf_k: f64) -> SearchOptions {
        SearchOptions {
            limit: usize::from(self.limit),
            mode: self.mode,
            fusion: match self.fusion.unwrap_or(default_fusion) {
                FusionKind::Rrf => Fusion::Rrf {
                    k: self.rrf_k.unwrap_or(default_rrf_k),
                },
                FusionKind::Linear => Fusion::Linear { alpha: self.alpha },
            },
            depth: engine::DEFAULT_DEPTH,
            filter: Filter {
                years: self.year,
                venue: self.venue.clone(),
                section: self.section.clone(),
                author: self.author.clone(),
            },
        }
    }

    fn format(&self) -> Format {
        if self.json { Format::Json } else { self.format }
    }

    /// These options as `/api/search` and `/api/similar` parameters; the
    /// output format and colour too, so the server prints what we would.
    fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mode = match self.mode {
            Mode::Hybrid => "hybrid",
            Mode::Keyword => "keyword",
            Mode::Semantic => "semantic",
        };
        let mut pairs = vec![
            ("limit", self.limit.to_string()),
            ("mode", mode.to_string()),
            ("alpha", self.alpha.to_string()),
        ];
        if let Some(k) = self.rrf_k {
            pairs.push(("rrf_k", k.to_string()));
        }
        if let Some(fusion) = self.fusion {
            let name = match fusion {
                FusionKind::Rrf => "rrf",
                FusionKind::Linear => "linear",
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

/// Highlight snippets only on a terminal, and never with NO_COLOR set.
fn use_color() -> bool {
    std::io::stdout().is_terminal() && config::color_allowed()
}

/// Answers from a live `mmsearch serve` of this index directory, if there is
/// one and the command allows it: `Some` with the result when it answered.
/// Commands given `--source` or `--no-server` always run here.
fn forward(
    global: &GlobalArgs,
    config: &EngineConfig,
    path: &str,
    pairs: &[(&str, String)],
) -> Option<Result<()>> {
    if global.no_server || !global.source.is_empty() {
        return None;
    }
    let url = crate::serve::client::path_with_query(path, pairs);
    match crate::serve::client::forward(&config.index_dir, &url)? {
        crate::serve::client::Forwarded::Output(bytes) => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            Some(finish_output(
                out.write_all(&bytes).and_then(|_| out.flush()),
            ))
        }
        crate::serve::client::Forwarded::Refused(message) => Some(Err(Error::Usage(message))),
    }
}

impl GlobalArgs {
    /// The collection's sources: the given `--source`s, else the remembered
    /// ones, else the shipped list; plus the enrich cache.
    fn sources(
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
        choose::choose(&IndexDir::new(&config.index_dir), &given, shipped)
    }

    /// Opens the collection for a query. When a remembered source has gone
    /// missing, search keeps answering from the index as last built.
    fn open(&self, config: &EngineConfig, mode: Mode) -> Result<Engine> {
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

    fn config(&self) -> Result<EngineConfig> {
        Ok(EngineConfig {
            index_dir: match &self.index_dir {
                Some(dir) => dir.clone(),
                None => config::default_index_dir()?,
            },
            models_dir: self.models_dir.clone(),
            events: events::to_stderr(std::io::stderr().is_terminal()),
        })
    }
}

/// Parses the process arguments and runs the command.
pub fn run() -> Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Search(args)) => search(args, &cli.global),
        Some(Command::Similar(args)) => similar(args, &cli.global),
        Some(Command::Show(args)) => show(args, &cli.global),
        Some(Command::Index(args)) => index(&cli.global, args),
        Some(Command::Enrich(args)) => enrich(&cli.global, args),
        Some(Command::Completions { shell }) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "mmsearch", &mut std::io::stdout());
            Ok(())
        }
        Some(Command::Eval(args)) => eval(args, &cli.global),
        Some(Command::Serve(args)) => serve(args, &cli.global),
        None => search(&cli.search, &cli.global),
    }
}

fn search(args: &SearchArgs, global: &GlobalArgs) -> Result<()> {
    // --stdin: for text longer than a command-line argument may be (a
    // pasted abstract, a 1 MB file). A lone `-` stays a query like any other.
    let query = if args.stdin {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Error::io("standard input", e))?;
        text
    } else {
        args.query.join(" ")
    };
    if query.trim().is_empty() {
        return Err(Error::Usage(
            "empty query: try `mmsearch \"efficient video tokens\"` (see --help)".into(),
        ));
    }
    let config = global.config()?;
    let query = query.trim();
    let mut pairs = vec![("q", query.to_string())];
    pairs.extend(args.results.query_pairs());
    if let Some(done) = forward(global, &config, "/api/search", &pairs) {
        return done;
    }
    let engine = global.open(&config, args.results.mode)?;
    let options = args.results.options(FusionKind::Linear, DEFAULT_RRF_K);
    let hits = engine.search(query, &options)?;
    print_hits(&engine, query, hits, &args.results, &options, true)
}

fn similar(args: &SimilarArgs, global: &GlobalArgs) -> Result<()> {
    if args.papers.is_empty() && args.text.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(Error::Usage(
            "give one or more papers (id, tag, arXiv id or title) or --text".into(),
        ));
    }
    let config = global.config()?;
    let mut pairs: Vec<(&str, String)> = args.papers.iter().map(|p| ("paper", p.clone())).collect();
    if let Some(text) = &args.text {
        pairs.push(("text", text.clone()));
    }
    pairs.extend(args.results.query_pairs());
    if let Some(done) = forward(global, &config, "/api/similar", &pairs) {
        return done;
    }
    // Related papers start from stored vectors; the model is needed only for --text.
    let mode = if args.text.is_some() {
        args.results.mode
    } else {
        Mode::Keyword
    };
    let engine = global.open(&config, mode)?;
    let seeds = args
        .papers
        .iter()
        .map(|reference| resolve(engine.papers(), reference))
        .collect::<Result<Vec<usize>>>()?;
    let described: Vec<String> = seeds
        .iter()
        .map(|&i| engine.papers()[i].id.clone())
        .collect();
    let options = args.results.options(FusionKind::Rrf, DEFAULT_SIMILAR_RRF_K);
    let text = args
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let text_vector = match text {
        Some(t) => Some(engine.embed_query(t)?),
        None => None,
    };
    let hits = engine.similar(&seeds, text.zip(text_vector.as_deref()), &options)?;
    let query = match &args.text {
        Some(_) if described.is_empty() => "similar to the given text".to_string(),
        Some(_) => format!("similar to {} and the given text", described.join(", ")),
        None => format!("similar to {}", described.join(", ")),
    };
    print_hits(&engine, &query, hits, &args.results, &options, false)
}

fn show(args: &ShowArgs, global: &GlobalArgs) -> Result<()> {
    let config = global.config()?;
    if !args.paper.trim().is_empty() {
        let path = format!(
            "/api/papers/{}",
            crate::serve::client::encode(&args.paper).replace('+', "%20")
        );
        let format = if args.json { "json" } else { "table" };
        if let Some(done) = forward(global, &config, &path, &[("format", format.to_string())]) {
            return done;
        }
    }
    let engine = global.open(&config, Mode::Keyword)?;
    let paper = &engine.papers()[resolve(engine.papers(), &args.paper)?];
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, paper)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        print::write_paper(&mut out, paper)
    };
    finish_output(written.and_then(|_| out.flush()))
}

/// Prints a result list in the chosen format; snippets only for real queries.
fn print_hits(
    engine: &Engine,
    query: &str,
    hits: Vec<Hit<'_>>,
    args: &ResultArgs,
    options: &SearchOptions,
    snippets: bool,
) -> Result<()> {
    let results = engine.results(query, hits, options, snippets, args.explain)?;
    let stdout = std::io::stdout();
    let color = use_color();
    let mut out = stdout.lock();
    finish_output(print::write(&mut out, args.format(), &results, color).and_then(|_| out.flush()))
}

fn index(global: &GlobalArgs, args: &IndexArgs) -> Result<()> {
    let config = global.config()?;
    let models_dir = embed::locate_models_dir(config.models_dir.as_deref())?;
    let dir = IndexDir::new(&config.index_dir);
    if args.shipped && !global.source.is_empty() {
        return Err(Error::Usage(
            "--shipped indexes the shipped list; it cannot be combined with --source".into(),
        ));
    }
    let sources = global.sources(&config, args.format, args.shipped)?;
    let events = events::for_builds(std::io::stderr().is_terminal());
    let report = build::build(&dir, &sources, &models_dir, !args.full, &events)?;
    print_build_report(&report, &config);
    Ok(())
}

fn print_build_report(report: &BuildReport, config: &EngineConfig) {
    println!(
        "indexed {} papers ({} with an abstract; embedded {}, reused {}) in {:.1} s into {}",
        report.papers,
        report.with_abstract,
        report.embedded,
        report.reused,
        report.seconds,
        config.index_dir.display()
    );
}

fn enrich(global: &GlobalArgs, args: &EnrichArgs) -> Result<()> {
    let config = global.config()?;
    let interval = std::time::Duration::from_secs_f64(args.interval);
    let api = args.arxiv_api.clone().unwrap_or_else(config::arxiv_api);
    if interval < ARXIV_INTERVAL && !is_local(&api) {
        return Err(Error::Usage(
            "arXiv asks for at most one request every 3 seconds; --interval below 3 is only \
             for a server on this machine"
                .into(),
        ));
    }
    let dir = IndexDir::new(&config.index_dir);
    let sources = global.sources(&config, None, false)?;
    let options = enrich::EnrichOptions {
        api,
        interval,
        timeout: std::time::Duration::from_secs_f64(args.timeout),
        batch_size: usize::from(args.batch_size),
        retry_missing: args.retry_missing,
    };
    let cache = dir.enrichment_cache();
    let fetching = dir.enrich_lock()?;
    let result = enrich::enrich(&sources, &cache, &options, &config.events);
    drop(fetching);
    let report = result?;
    for failure in &report.failures {
        eprintln!("mmsearch: enrich: {failure}");
    }
    println!(
        "enrich: {} papers lacked an abstract; fetched {} by arXiv id and {} by title, {} not on \
         arXiv, {} answered by an earlier run ({} requests); cache {}",
        report.missing,
        report.fetched_by_id,
        report.fetched_by_title,
        report.not_found,
        report.cached,
        report.requests,
        cache.display()
    );
    if report.fetched() > 0 && !args.no_index {
        let models_dir = embed::locate_models_dir(config.models_dir.as_deref())?;
        let sources = global.sources(&config, None, false)?;
        let events = events::for_builds(std::io::stderr().is_terminal());
        let built = build::build(&dir, &sources, &models_dir, true, &events)?;
        print_build_report(&built, &config);
    }
    if report.failures.is_empty() {
        Ok(())
    } else {
        Err(ArxivError::Incomplete(report.failures.len()).into())
    }
}

/// Whether a URL names this machine, where a test server may go faster
/// than arXiv's terms allow.
fn is_local(url: &str) -> bool {
    url.parse::<ureq::http::Uri>()
        .ok()
        .and_then(|uri| uri.host().map(str::to_string))
        .is_some_and(|host| matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]" | "::1"))
}

fn eval(args: &EvalArgs, global: &GlobalArgs) -> Result<()> {
    let mut config = global.config()?;
    let (collection, sources, judgments, train) = match &args.beir {
        Some(dir) => {
            let corpus_path = dir.join("corpus.jsonl");
            let sources =
                Sources::beir(corpus_path.display().to_string(), eval::read(&corpus_path)?);
            if global.index_dir.is_none() {
                config.index_dir = config::beir_index_dir(dir)?;
            }
            let name = dir
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
                .unwrap_or_else(|| dir.display().to_string());
            let train = if args.tune {
                Some(Judgments::beir(dir, "train")?)
            } else {
                None
            };
            (name, sources, Judgments::beir(dir, &args.split)?, train)
        }
        None => {
            if args.tune {
                return Err(Error::Usage(
                    "the shipped judgments have no train split to tune on; use --beir DIR".into(),
                ));
            }
            if args.split != "test" {
                return Err(Error::Usage(
                    "the shipped judgments have only a test split".into(),
                ));
            }
            // The user's index dir may hold their own collection; the
            // shipped judgments need the shipped list.
            if global.index_dir.is_none() {
                config.index_dir = config::shipped_eval_index_dir()?;
            }
            let (name, judgments) = if args.related {
                (
                    "shipped list (related papers)",
                    Judgments::shipped_related()?,
                )
            } else {
                ("shipped list", Judgments::shipped()?)
            };
            (name.to_string(), Sources::shipped(), judgments, None)
        }
    };
    let engine = Engine::open(&config, &sources, Mode::Hybrid)?;
    let mut fusion = FusionParams {
        rrf_k: args.rrf_k.unwrap_or(if args.related {
            DEFAULT_SIMILAR_RRF_K
        } else {
            DEFAULT_RRF_K
        }),
        alpha: args.alpha,
    };
    let tuning = match &train {
        Some(train) => {
            let legs = eval::compute_legs(&engine, train, &config.events)?;
            let tuning = eval::tune(&engine, train, &legs)?;
            fusion = FusionParams {
                rrf_k: tuning.rrf_k,
                alpha: tuning.alpha,
            };
            Some(tuning)
        }
        None => None,
    };
    let legs = if args.related {
        eval::compute_related_legs(&engine, &judgments)?
    } else {
        eval::compute_legs(&engine, &judgments, &config.events)?
    };
    let mut report = eval::evaluate(
        &engine,
        &collection,
        &judgments,
        &legs,
        fusion,
        args.run_out.as_deref(),
    )?;
    report.tuning = tuning;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &report)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        eval::write_table(&mut out, &report)
    };
    finish_output(written.and_then(|_| out.flush()))
}

/// A reader that closes the pipe early (`| head`) is not an error.
fn finish_output(result: std::io::Result<()>) -> Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Error::io("standard output", e)),
    }
}

fn serve(args: &ServeArgs, global: &GlobalArgs) -> Result<()> {
    let config = global.config()?;
    if !args.addr.ip().is_loopback() {
        eprintln!(
            "mmsearch: warning: serving on {}, reachable from other machines; \
             the API has no authentication",
            args.addr
        );
    }
    let sources = global.sources(&config, None, false)?;
    let dir = IndexDir::new(&config.index_dir);
    let sources_now: crate::serve::SourcesNow =
        Box::new(move || choose::choose(&dir, &choose::Given::default(), false));
    let serve_config = crate::serve::ServeConfig {
        addr: args.addr,
        engine: config,
        sources,
        sources_now,
    };
    crate::serve::run(serve_config, |event| {
        use crate::serve::ServeEvent;
        match event {
            ServeEvent::Listening { addr } => {
                eprintln!("mmsearch: serving on http://{addr}/ (Ctrl-C to stop)")
            }
            ServeEvent::NewGeneration { generation } => {
                eprintln!("mmsearch: serving the new index generation {generation}")
            }
            ServeEvent::RefreshFailed { message } => {
                eprintln!("mmsearch: warning: keeping the current index: {message}")
            }
            ServeEvent::ShuttingDown => eprintln!("mmsearch: shutting down"),
        }
    })
}
