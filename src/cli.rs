//! The command line: `mmsearch QUERY...` searches, `mmsearch index` builds.
//! Parsing is clap's; this module only turns arguments into engine calls and
//! chooses the printer.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::corpus::Sources;
use crate::embed::{self, Embedder};
use crate::engine::{self, Engine, EngineConfig, Mode, SearchOptions};
use crate::error::{Error, Result};
use crate::fusion::{DEFAULT_ALPHA, DEFAULT_RRF_K, Fusion};
use crate::output;
use crate::store::IndexDir;

#[derive(Debug, Parser)]
#[command(
    name = "mmsearch",
    version,
    about = "Hybrid keyword + semantic search over research-paper lists",
    long_about = "Hybrid keyword + semantic search over research-paper lists.\n\n\
                  `mmsearch \"efficient video tokens\"` searches the shipped multimodal-model list;\n\
                  the index is built on first use."
)]
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
    /// Build (or rebuild) the index of the shipped paper list.
    Index,
}

#[derive(Debug, Args)]
struct GlobalArgs {
    /// Directory of the index [default: $MMSEARCH_INDEX_DIR, else the user data directory].
    #[arg(long, global = true, value_name = "DIR")]
    index_dir: Option<PathBuf>,
    /// Directory filled by `models/fetch` [default: $MMSEARCH_MODELS, ./models, the user data directory].
    #[arg(long, global = true, value_name = "DIR")]
    models_dir: Option<PathBuf>,
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
    /// How many papers to show.
    #[arg(short = 'n', long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    limit: u16,
    /// Which rankings to use.
    #[arg(long, value_enum, default_value_t = Mode::Hybrid)]
    mode: Mode,
    /// How hybrid mode combines the two rankings.
    #[arg(long, value_enum, default_value_t = FusionKind::Rrf)]
    fusion: FusionKind,
    /// Weight of the semantic ranking in linear fusion (0 = keyword only, 1 = semantic only).
    #[arg(long, default_value_t = DEFAULT_ALPHA, value_parser = parse_unit)]
    alpha: f64,
    /// The k of reciprocal rank fusion.
    #[arg(long, default_value_t = DEFAULT_RRF_K, value_parser = parse_positive)]
    rrf_k: f64,
    /// Print one JSON document instead of the listing.
    #[arg(long)]
    json: bool,
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

impl SearchArgs {
    fn options(&self) -> SearchOptions {
        SearchOptions {
            limit: usize::from(self.limit),
            mode: self.mode,
            fusion: match self.fusion {
                FusionKind::Rrf => Fusion::Rrf { k: self.rrf_k },
                FusionKind::Linear => Fusion::Linear { alpha: self.alpha },
            },
            depth: engine::DEFAULT_DEPTH,
        }
    }
}

impl GlobalArgs {
    fn config(&self) -> Result<EngineConfig> {
        Ok(EngineConfig {
            index_dir: match &self.index_dir {
                Some(dir) => dir.clone(),
                None => engine::default_index_dir()?,
            },
            models_dir: self.models_dir.clone(),
            progress: std::io::stderr().is_terminal(),
        })
    }
}

/// Parses the process arguments and runs the command.
pub fn run() -> Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Search(args)) => search(args, &cli.global),
        Some(Command::Index) => index(&cli.global),
        None => search(&cli.search, &cli.global),
    }
}

fn search(args: &SearchArgs, global: &GlobalArgs) -> Result<()> {
    let query = args.query.join(" ");
    if query.trim().is_empty() {
        return Err(Error::Usage(
            "empty query: try `mmsearch \"efficient video tokens\"` (see --help)".into(),
        ));
    }
    let config = global.config()?;
    let mut engine = Engine::open(&config, &Sources::shipped(), args.mode)?;
    let options = args.options();
    let hits = engine.search(&query, &options)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if args.json {
        output::write_json(&mut out, query.trim(), args.mode, &hits)
    } else {
        output::write_human(&mut out, &hits)
    };
    finish_output(written.and_then(|_| out.flush()))
}

fn index(global: &GlobalArgs) -> Result<()> {
    let config = global.config()?;
    let models_dir = embed::locate_models_dir(config.models_dir.as_deref())?;
    let mut embedder = Embedder::load(&models_dir, false)?;
    let dir = IndexDir::new(&config.index_dir);
    let report = engine::build(&dir, &Sources::shipped(), &mut embedder, config.progress)?;
    println!(
        "indexed {} papers ({} with an abstract) in {:.1} s into {}",
        report.papers,
        report.with_abstract,
        report.seconds,
        config.index_dir.display()
    );
    Ok(())
}

/// A reader that closes the pipe early (`| head`) is not an error.
fn finish_output(result: std::io::Result<()>) -> Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Error::io("standard output", e)),
    }
}
