//! The CLI's end of the library's event channel: warnings always reach
//! stderr as one line each; build messages and indicatif progress bars only
//! when stderr is a terminal.

use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};

use crate::events::{Event, Events, Task};

fn template(task: Task) -> &'static str {
    match task {
        Task::Embedding => "embedding {bar:40} {pos}/{len} papers, {per_sec}, eta {eta}",
        Task::Enriching => "enrich {bar:30} {pos}/{len} papers, eta {eta} {wide_msg}",
        Task::Evaluating => "{bar:40} {pos}/{len} queries",
        Task::Uploading => "to Milvus {bar:40} {pos}/{len} papers, eta {eta}",
    }
}

/// Events printed to stderr; bars and build messages only when `progress`.
pub(crate) fn to_stderr(progress: bool) -> Events {
    printer(progress, false)
}

/// For commands whose point is a build (`index`, `enrich`): as
/// [`to_stderr`], and waiting for another build is always said.
pub(crate) fn for_builds(progress: bool) -> Events {
    printer(progress, true)
}

fn printer(progress: bool, always_tell_waiting: bool) -> Events {
    let bar: Mutex<Option<ProgressBar>> = Mutex::new(None);
    Events::new(move |event| {
        let mut bar = match bar.lock() {
            Ok(bar) => bar,
            Err(poisoned) => poisoned.into_inner(),
        };
        let say = |bar: &Option<ProgressBar>, line: String| match bar {
            Some(b) => b.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        };
        match event {
            Event::Warning(message) => say(&bar, format!("mmsearch: warning: {message}")),
            Event::Building { index_dir, reason } if progress => say(
                &bar,
                format!(
                    "mmsearch: building the index at {} ({reason})",
                    index_dir.display()
                ),
            ),
            // Told without a terminal too (a terminal saw the building line):
            // a script exporting an empty directory learns what it got.
            Event::ShippedListIndexed { index_dir } if !progress => say(
                &bar,
                format!(
                    "mmsearch: {} held no index; it now holds the shipped list",
                    index_dir.display()
                ),
            ),
            Event::WaitingForLock { index_dir } if progress || always_tell_waiting => say(
                &bar,
                format!(
                    "mmsearch: another mmsearch is building the index at {}; waiting for it",
                    index_dir.display()
                ),
            ),
            Event::Started { task, total } if progress => {
                let b = ProgressBar::new(*total as u64);
                b.set_style(
                    ProgressStyle::with_template(template(*task))
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                *bar = Some(b);
            }
            Event::Progress { done, detail, .. } => {
                if let Some(b) = bar.as_ref() {
                    b.set_position(*done as u64);
                    if let Some(detail) = detail {
                        b.set_message(detail.clone());
                    }
                }
            }
            Event::Finished { .. } => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
            }
            _ => {}
        }
    })
}
