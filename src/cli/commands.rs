//! One function per command: turns parsed arguments into engine calls and
//! hands the results to a printer.

use std::io::{IsTerminal, Write};

use super::args::*;
use super::print;
use super::{choose, events};
use crate::collection::Sources;
use crate::config::{self, ARXIV_INTERVAL};
use crate::embed;
use crate::enrich;
use crate::error::{ArxivError, Error, Result};
use crate::eval::{self, FusionParams, Judgments};
use crate::index::build::{self, BuildReport};
use crate::index::store::IndexDir;
use crate::search::engine::{Engine, EngineConfig, Mode, SearchOptions};
use crate::search::fusion::{DEFAULT_RRF_K, DEFAULT_SIMILAR_RRF_K};
use crate::search::resolve::resolve;
use crate::search::results::Hit;

/// Highlight snippets only on a terminal, and never with NO_COLOR set.
pub(super) fn use_color() -> bool {
    std::io::stdout().is_terminal() && config::color_allowed()
}

/// Answers from a live `mmsearch serve` of this index directory, if there is
/// one and the command allows it: `Some` with the result when it answered.
/// Commands given `--source` or `--no-server` always run here; with
/// `--backend` only a server of that Milvus collection answers.
pub(super) fn forward(
    global: &GlobalArgs,
    config: &EngineConfig,
    path: &str,
    pairs: &[(&str, String)],
) -> Option<Result<()>> {
    if global.no_server || !global.source.is_empty() {
        return None;
    }
    let url = crate::serve::client::path_with_query(path, pairs);
    let backend = config.backend.as_ref().map(ToString::to_string);
    match crate::serve::client::forward(&config.index_dir, backend.as_deref(), &url)? {
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

pub(super) fn search(args: &SearchArgs, global: &GlobalArgs) -> Result<()> {
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
    let options = args.results.options(FusionKind::Bounded, DEFAULT_RRF_K);
    let hits = engine.search(query, &options)?;
    print_hits(&engine, query, hits, &args.results, &options, true)
}

pub(super) fn similar(args: &SimilarArgs, global: &GlobalArgs) -> Result<()> {
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

pub(super) fn show(args: &ShowArgs, global: &GlobalArgs) -> Result<()> {
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

pub(super) fn export(args: &ExportArgs, global: &GlobalArgs) -> Result<()> {
    let config = global.config()?;
    let engine = global.open(&config, Mode::Keyword)?;
    let papers = engine.papers();
    match &args.out {
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            finish_output(
                crate::write::write(&mut out, args.format, papers).and_then(|_| out.flush()),
            )
        }
        Some(path) => {
            // Written beside the target and renamed over it, so FILE is
            // either as before or complete.
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "export".into());
            let partial = path.with_file_name(format!(".{name}.partial"));
            let written = std::fs::File::create(&partial)
                .and_then(|file| {
                    let mut out = std::io::BufWriter::new(file);
                    crate::write::write(&mut out, args.format, papers)?;
                    out.into_inner().map_err(|e| e.into_error())?.sync_all()
                })
                .and_then(|()| std::fs::rename(&partial, path));
            if written.is_err() {
                let _ = std::fs::remove_file(&partial);
            }
            written.map_err(|e| Error::io(path.clone(), e))?;
            eprintln!(
                "mmsearch: exported {} papers to {}",
                papers.len(),
                path.display()
            );
            Ok(())
        }
    }
}

/// Prints a result list in the chosen format; snippets only for real queries.
pub(super) fn print_hits(
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

pub(super) fn index(global: &GlobalArgs, args: &IndexArgs) -> Result<()> {
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
    let report = match &config.backend {
        Some(address) => crate::milvus::build(
            address,
            &config.index_dir,
            &sources,
            &models_dir,
            !args.full,
            &events,
        )?,
        None => build::build(&dir, &sources, &models_dir, !args.full, &events)?,
    };
    if args.verbose {
        for merge in &report.merges {
            println!("{}", print::merge_line(merge));
        }
    }
    print_build_report(&report, &config);
    Ok(())
}

pub(super) fn print_build_report(report: &BuildReport, config: &EngineConfig) {
    for source in &report.sources {
        println!("{}", print::source_line(source));
    }
    if let Some(line) = print::merged_line(report) {
        println!("{line}");
    }
    println!(
        "indexed {} papers ({} with an abstract; embedded {}, reused {}) in {:.1} s into {}",
        report.papers,
        report.with_abstract,
        report.embedded,
        report.reused,
        report.seconds,
        match &config.backend {
            Some(address) => address.to_string(),
            None => config.index_dir.display().to_string(),
        }
    );
}

pub(super) fn enrich(global: &GlobalArgs, args: &EnrichArgs) -> Result<()> {
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
pub(super) fn is_local(url: &str) -> bool {
    url.parse::<ureq::http::Uri>()
        .ok()
        .and_then(|uri| uri.host().map(str::to_string))
        .is_some_and(|host| matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]" | "::1"))
}

/// One judged set `eval` was asked for.
enum EvalSet {
    Shipped,
    Related,
    Beir(std::path::PathBuf),
}

/// A set, opened: its engine, its judgments (and train ones for --tune).
struct OpenSet {
    collection: String,
    engine: Engine,
    judgments: Judgments,
    train: Option<Judgments>,
}

fn open_eval_set(
    set: &EvalSet,
    args: &EvalArgs,
    global: &GlobalArgs,
    several: bool,
) -> Result<OpenSet> {
    let mut config = global.config()?;
    // One set: --index-dir is its index. Several: each set gets its own
    // directory under it. Without --index-dir every set has its own cache.
    let index_dir = |default: std::path::PathBuf, name: &str| match &global.index_dir {
        Some(dir) if several => dir.join(crate::paper::slug(name)),
        Some(dir) => dir.clone(),
        None => default,
    };
    let (collection, sources, judgments, train) = match set {
        EvalSet::Beir(dir) => {
            let corpus_path = dir.join("corpus.jsonl");
            let sources = Sources::beir_file(&corpus_path, eval::read(&corpus_path)?);
            let name = dir
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_string()))
                .unwrap_or_else(|| dir.display().to_string());
            config.index_dir = index_dir(config::beir_index_dir(dir)?, &name);
            let train = if args.tune && Judgments::beir_has_split(dir, "train") {
                Some(Judgments::beir(dir, "train")?)
            } else {
                None
            };
            (name, sources, Judgments::beir(dir, &args.split)?, train)
        }
        EvalSet::Shipped | EvalSet::Related => {
            if matches!(set, EvalSet::Related) && args.split != "test" {
                return Err(Error::Usage(
                    "the related-paper cases have only a test split".into(),
                ));
            }
            // The user's index dir may hold their own collection; the
            // shipped judgments need the shipped list.
            if global.index_dir.is_none() {
                config.index_dir = config::shipped_eval_index_dir()?;
            } else {
                config.index_dir = index_dir(config.index_dir.clone(), "shipped");
            }
            let (name, judgments) = match set {
                EvalSet::Related => (
                    "shipped list (related papers)",
                    Judgments::shipped_related()?,
                ),
                _ => ("shipped list", Judgments::shipped_split(&args.split)?),
            };
            let train = match set {
                EvalSet::Shipped if args.tune => Some(Judgments::shipped_split("train")?),
                _ => None,
            };
            (name.to_string(), Sources::shipped(), judgments, train)
        }
    };
    // In Milvus every set is its own collection beside the user's.
    config.backend = config
        .backend
        .map(|address| address.with_suffix(&format!("eval_{}", crate::paper::slug(&collection))));
    refuse_to_replace(&config, &sources, &collection)?;
    let engine = Engine::open(&config, &sources, Mode::Hybrid)?;
    Ok(OpenSet {
        collection,
        engine,
        judgments,
        train,
    })
}

/// An `--index-dir` given to eval may hold the user's own collection
/// (built with `--source`): evaluating another set there would rebuild it
/// away, so eval refuses and names what the directory holds.
fn refuse_to_replace(config: &EngineConfig, sources: &Sources, collection: &str) -> Result<()> {
    if config.backend.is_some() {
        return Ok(()); // every eval set is its own Milvus collection
    }
    let Some(held) = IndexDir::new(&config.index_dir).remembered_sources()? else {
        return Ok(()); // empty, or the shipped list: cheap to rebuild
    };
    if sources.paths.as_ref() == Some(&held) {
        return Ok(());
    }
    let files: Vec<String> = held
        .lists
        .iter()
        .map(|l| l.path.display().to_string())
        .collect();
    Err(Error::Usage(format!(
        "{} holds another collection ({}); evaluating the {collection} there would replace it: \
         give eval another --index-dir",
        config.index_dir.display(),
        files.join(", ")
    )))
}

pub(super) fn eval(args: &EvalArgs, global: &GlobalArgs) -> Result<()> {
    let events = global.config()?.events;
    let mut wanted: Vec<EvalSet> = Vec::new();
    if args.related {
        wanted.push(EvalSet::Related);
    } else if args.shipped || args.beir.is_empty() {
        wanted.push(EvalSet::Shipped);
    }
    wanted.extend(args.beir.iter().cloned().map(EvalSet::Beir));
    let several = wanted.len() > 1;
    let sets = wanted
        .iter()
        .map(|set| open_eval_set(set, args, global, several))
        .collect::<Result<Vec<_>>>()?;

    let (default, default_k) = if args.related {
        (
            crate::search::fusion::Fusion::Rrf {
                k: DEFAULT_SIMILAR_RRF_K,
            },
            DEFAULT_SIMILAR_RRF_K,
        )
    } else {
        (crate::search::fusion::Fusion::default(), DEFAULT_RRF_K)
    };
    let feedback = args
        .feedback
        .map_or(crate::search::feedback::DEFAULT_FEEDBACK, |f| f.0);
    let word_feedback = args
        .word_feedback
        .map_or(crate::search::word_feedback::DEFAULT_WORD_FEEDBACK, |f| f.0);
    let mut fusion = FusionParams {
        rrf_k: args.rrf_k.unwrap_or(default_k),
        alpha: args.alpha,
        feedback,
        word_feedback,
    };
    let tuning = if args.tune {
        let mut train_legs = Vec::new();
        for set in &sets {
            if let Some(train) = &set.train {
                train_legs.push(eval::compute_legs(&set.engine, train, feedback, &events)?);
            }
        }
        let train_sets: Vec<eval::TrainSet<'_>> = sets
            .iter()
            .filter_map(|s| s.train.as_ref().map(|t| (s, t)))
            .zip(&train_legs)
            .map(|((s, t), legs)| eval::TrainSet {
                collection: &s.collection,
                engine: &s.engine,
                judgments: t,
                legs,
            })
            .collect();
        let tuning = eval::tune(&train_sets, word_feedback)?;
        fusion = FusionParams {
            rrf_k: tuning.rrf_k,
            alpha: tuning.alpha,
            feedback,
            word_feedback,
        };
        Some(tuning)
    } else {
        None
    };
    let mut reports = Vec::new();
    for set in &sets {
        let legs = if args.related {
            eval::compute_related_legs(&set.engine, &set.judgments)?
        } else {
            eval::compute_legs(&set.engine, &set.judgments, feedback, &events)?
        };
        let run_out = args.run_out.as_ref().map(|dir| {
            if several {
                dir.join(crate::paper::slug(&set.collection))
            } else {
                dir.clone()
            }
        });
        reports.push(eval::evaluate(
            &set.engine,
            &set.collection,
            &set.judgments,
            &legs,
            fusion,
            default,
            run_out.as_deref(),
        )?);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if args.json {
        let json = if several {
            serde_json::to_writer_pretty(
                &mut out,
                &eval::MultiReport {
                    default_run: eval::DEFAULT_RUN,
                    default_fusion: default,
                    feedback,
                    word_feedback,
                    tuning: tuning.clone(),
                    sets: reports,
                },
            )
        } else {
            let mut report = reports.remove(0);
            report.tuning = tuning.clone();
            serde_json::to_writer_pretty(&mut out, &report)
        };
        json.map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        reports
            .iter()
            .try_for_each(|r| eval::write_table(&mut out, r).and_then(|_| writeln!(out)))
            .and_then(|_| eval::write_summary(&mut out, &reports, tuning.as_ref()))
    };
    finish_output(written.and_then(|_| out.flush()))
}

/// A reader that closes the pipe early (`| head`) is not an error.
pub(super) fn finish_output(result: std::io::Result<()>) -> Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Error::io("standard output", e)),
    }
}

pub(super) fn serve(args: &ServeArgs, global: &GlobalArgs) -> Result<()> {
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
    let sources_now: crate::serve::SourcesNow = match &config.backend {
        None => Box::new(move || choose::choose(&dir, &choose::Given::default(), false)),
        // A Milvus collection remembers its files itself.
        Some(address) => {
            let watch = crate::milvus::Watch::connect(address)?;
            Box::new(move || choose::choose_remembered(&dir, watch.remembered_sources()?))
        }
    };
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
