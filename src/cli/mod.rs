//! The command line: `mmsearch QUERY...` searches, `similar` finds related
//! papers, `show` prints one entry, `index` builds, `eval` measures.
//! Parsing is clap's; this module only turns arguments into engine calls and
//! chooses the printer.

mod args;
mod choose;
mod commands;
mod events;
pub mod print;

use clap::Parser;

use crate::error::Result;
pub use args::Cli;
use args::Command;
use commands::*;

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
        Some(Command::Export(args)) => export(args, &cli.global),
        None => search(&cli.search, &cli.global),
    }
}
