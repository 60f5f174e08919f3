//! The integration tests, as one test binary: the shipped list's index is
//! built once per `cargo test` run and shared by every test that only reads
//! it; a test that changes or damages an index works on a private copy or
//! builds its own. Everything goes through the real binary, the real model
//! and real data, except the library-level reader tests and the fuzzing
//! harness. One module per area; helpers and the fake arXiv server live in
//! `tests/common`.
//!
//! One area: `cargo test --release --test cli search::`; one test: add its name.

#[path = "../common/mod.rs"]
mod common;

mod arxiv_client;
mod bad_input;
mod crash_safety;
mod enrich;
mod errors;
mod eval;
mod export;
mod fuzz;
mod milvus;
mod page;
mod real_lists;
mod related;
mod report;
mod search;
mod serve;
mod shipped_list;
mod sources;
