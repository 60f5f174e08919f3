//! The `mmsearch` binary: everything lives in the library; this only maps
//! errors to one line on stderr and an exit code.

fn main() {
    if let Err(e) = mmsearch::cli::run() {
        // One line whatever a message quotes (a server's answer, a file's text).
        let message = e.to_string();
        eprintln!(
            "mmsearch: error: {}",
            message.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        std::process::exit(2);
    }
}
