//! The `mmsearch` binary: everything lives in the library; this only maps
//! errors to one line on stderr and an exit code.

fn main() {
    if let Err(e) = mmsearch::cli::run() {
        eprintln!("mmsearch: error: {e}");
        std::process::exit(2);
    }
}
