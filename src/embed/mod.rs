//! Turns text into vectors with a real sentence-embedding model, offline.
//! The model and ONNX Runtime live in a models directory filled by
//! `models/fetch`; everything that can go wrong there (missing files, an ONNX
//! Runtime that is too old) comes back as one `Error::Model` line instead of
//! a panic inside the runtime.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fastembed::{OutputKey, Pooling, SingleBatchOutput};
use ndarray::Array2;
use ort::session::{Session, builder::GraphOptimizationLevel};
use ort::value::Value;
use serde::{Deserialize, Serialize};
use tokenizers::{AddedToken, PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::error::{Error, Result};

/// Folder (inside the models directory) that holds the embedding model.
pub(crate) const MODEL_FOLDER: &str = "all-MiniLM-L6-v2";
/// Where `models/fetch` puts the ONNX Runtime shared library.
pub(crate) const RUNTIME_LIBRARY: &str = "onnxruntime/libonnxruntime.so";
/// Written by `models/fetch` beside the model: what it is and its checksum.
pub(crate) const MODEL_CARD: &str = "mmsearch-model.json";
/// What a text is embedded as: a query, read as MiniLM was trained (256 word
/// pieces), or a paper, read as far as BERT's positions reach (512), so the
/// second half of a long abstract counts too. Measured on every judged set
/// (README, "Papers embedded from 510 word pieces").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A search query: loads faster (no weight prepacking), reads 256 pieces.
    Query,
    /// Papers being indexed: many batches, read up to 512 pieces.
    Paper,
}

impl Role {
    /// Word pieces (with the two special tokens) read of one text; the rest
    /// is truncated.
    pub(crate) fn max_tokens(self) -> usize {
        match self {
            Role::Query => QUERY_MAX_TOKENS,
            Role::Paper => PAPER_MAX_TOKENS,
        }
    }
}

/// MiniLM was trained on 256 word pieces; a longer query is truncated.
pub(crate) const QUERY_MAX_TOKENS: usize = 256;
/// BERT's 512 positions: papers are read this far (what the stored vectors
/// were made with, so it is part of the model card).
pub(crate) const PAPER_MAX_TOKENS: usize = 512;
/// Small batches keep peak memory near 250 MB; large ones cost gigabytes and
/// are slower on two cores (measured in the offline-embeddings notes).
pub(crate) const BATCH_SIZE: usize = 4;

/// How token vectors become one text vector.
pub(crate) const POOLING: &str = "mean";

/// Which model output holds the token vectors: fastembed's order for text
/// models.
const OUTPUT_PRECEDENCE: &[OutputKey] = &[
    OutputKey::OnlyOne,
    OutputKey::ByName("text_embeds"),
    OutputKey::ByName("last_hidden_state"),
    OutputKey::ByName("sentence_embedding"),
];

/// Unit length, exactly as fastembed normalises (the same epsilon and order
/// of operations, so vectors stay bit-for-bit what they were).
fn normalize(v: &[f32]) -> Vec<f32> {
    let norm = (v.iter().map(|val| val * val).sum::<f32>()).sqrt();
    v.iter().map(|&val| val / (norm + 1e-12)).collect()
}

/// What the index remembers about the model that embedded it: the model
/// files (id, variant, checksum) and how they are used (token limit,
/// pooling). Any difference means the stored vectors are stale and are
/// embedded again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelCard {
    /// The model's name, e.g. `sentence-transformers/all-MiniLM-L6-v2`.
    pub id: String,
    /// Which export of it (e.g. the ONNX variant).
    pub variant: String,
    /// Length of its vectors.
    pub dimensions: usize,
    /// Checksum of `model.onnx`.
    pub onnx_sha256: String,
    /// Word pieces embedded per paper; longer text is truncated.
    #[serde(default)]
    pub max_tokens: usize,
    /// How token vectors are pooled into one.
    #[serde(default)]
    pub pooling: String,
}

/// Finds the models directory: `--models-dir`, then `MMSEARCH_MODELS`, then
/// `./models`, then the user data directory. The first one given wins even
/// when empty, so a typo in an explicit path is reported rather than ignored.
pub fn locate_models_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    let (from_env, fallbacks) = crate::config::models_dir_candidates();
    if let Some(dir) = from_env {
        return Ok(dir);
    }
    if let Some(dir) = fallbacks
        .into_iter()
        .find(|dir| dir.join(MODEL_FOLDER).join(MODEL_CARD).is_file())
    {
        return Ok(dir);
    }
    Err(Error::Model(
        "embedding model not found (looked in --models-dir, MMSEARCH_MODELS, ./models and the user data directory)"
            .into(),
    ))
}

/// Reads the model card without loading the model: cheap enough to check an
/// index against on every start.
pub(crate) fn read_model_card(models_dir: &Path) -> Result<ModelCard> {
    let path = models_dir.join(MODEL_FOLDER).join(MODEL_CARD);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::Model(format!("cannot read {}: {e}", path.display())))?;
    let mut card: ModelCard = serde_json::from_str(&text)
        .map_err(|e| Error::Model(format!("{} is damaged: {e}", path.display())))?;
    // How mmsearch uses the model is part of what made the vectors.
    card.max_tokens = PAPER_MAX_TOKENS;
    card.pooling = POOLING.to_string();
    Ok(card)
}

/// Text in, unit vectors out: what indexing and queries need from a model,
/// so another model (or a remote one) can stand in.
pub trait Embed: Send {
    /// Embeds texts in small batches; vectors are unit length.
    fn embed_texts(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>>;
    /// What the model is, as the index records it.
    fn card(&self) -> &ModelCard;
}

/// The MiniLM model: our own ONNX Runtime session and tokenizer, with
/// fastembed's pooling. Handing ONNX Runtime the file as bytes (as
/// fastembed's user-defined models must) costs a 90 MB read and two more
/// copies on every one-shot query; see `load_session` for what we do instead.
pub struct Embedder {
    session: Model,
    tokenizer: Tokenizer,
    needs_token_type_ids: bool,
    /// What the model is.
    pub card: ModelCard,
}

impl Embed for Embedder {
    fn embed_texts(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        self.embed(texts)
    }

    fn card(&self) -> &ModelCard {
        &self.card
    }
}

static RUNTIME: OnceLock<std::result::Result<ort::environment::Environment, String>> =
    OnceLock::new();

/// ONNX Runtime may be initialised once per process; later loads share it.
fn runtime(library: &Path) -> Result<ort::environment::Environment> {
    let loaded = RUNTIME.get_or_init(|| {
        if !library.is_file() {
            return Err(format!("ONNX Runtime not found at {}", library.display()));
        }
        let builder = ort::init_from(library).map_err(|e| {
            format!(
                "cannot load ONNX Runtime from {} (needs version 1.24 or newer): {e}",
                library.display()
            )
        })?;
        builder
            .with_name("mmsearch")
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime: {e}"))
    });
    loaded.clone().map_err(Error::Model)
}

fn read_model_file(dir: &Path, name: &str) -> Result<Vec<u8>> {
    let path = dir.join(name);
    std::fs::read(&path).map_err(|e| Error::Model(format!("cannot read {}: {e}", path.display())))
}

fn read_json(dir: &Path, name: &str) -> Result<serde_json::Value> {
    serde_json::from_slice(&read_model_file(dir, name)?)
        .map_err(|e| Error::Model(format!("{} is damaged: {e}", dir.join(name).display())))
}

/// The tokenizer as fastembed configures it for a user-defined model
/// (padding to the longest text of a batch, truncation at `max_tokens`, the
/// special tokens registered), so that token ids, and with them the
/// vectors, are the same as fastembed's.
fn load_tokenizer(dir: &Path, max_tokens: usize) -> Result<Tokenizer> {
    let bad = |e: tokenizers::Error| Error::Model(format!("cannot load the tokenizer: {e}"));
    let config = read_json(dir, "config.json")?;
    let special_tokens = read_json(dir, "special_tokens_map.json")?;
    let tokenizer_config = read_json(dir, "tokenizer_config.json")?;
    let mut tokenizer =
        Tokenizer::from_bytes(read_model_file(dir, "tokenizer.json")?).map_err(bad)?;
    let model_max = tokenizer_config["model_max_length"]
        .as_f64()
        .ok_or_else(|| Error::Model("tokenizer_config.json has no model_max_length".into()))?;
    let max_length = max_tokens.min(model_max as usize);
    let pad_token = tokenizer_config["pad_token"]
        .as_str()
        .or_else(|| tokenizer_config["pad_token"]["content"].as_str())
        .ok_or_else(|| Error::Model("tokenizer_config.json has no pad_token".into()))?
        .to_string();
    let pad_id = config["pad_token_id"]
        .as_u64()
        .map(|id| id as u32)
        .or_else(|| tokenizer.token_to_id(&pad_token))
        .unwrap_or(0);
    tokenizer
        .with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            pad_token,
            pad_id,
            ..Default::default()
        }))
        .with_truncation(Some(TruncationParams {
            max_length,
            ..Default::default()
        }))
        .map_err(bad)?;
    if let serde_json::Value::Object(tokens) = special_tokens {
        for value in tokens.values() {
            let token = match (value.as_str(), value["content"].as_str()) {
                (Some(content), _) => AddedToken {
                    content: content.into(),
                    special: true,
                    ..Default::default()
                },
                (None, Some(content)) => AddedToken {
                    content: content.into(),
                    special: true,
                    single_word: value["single_word"].as_bool().unwrap_or(false),
                    lstrip: value["lstrip"].as_bool().unwrap_or(false),
                    rstrip: value["rstrip"].as_bool().unwrap_or(false),
                    normalized: value["normalized"].as_bool().unwrap_or(true),
                },
                _ => continue,
            };
            tokenizer.add_special_tokens([token]).map_err(bad)?;
        }
    }
    Ok(tokenizer)
}

fn session_error(e: impl std::fmt::Display) -> Error {
    Error::Model(format!("cannot load the embedding model: {e}"))
}

/// The session, over `model.onnx` read by the runtime, or over `model.ort`
/// memory-mapped, its weights used in place.
enum Model {
    File(Session),
    Mapped {
        session: ort::session::InMemorySession<'static>,
        /// Declared after `session`, so dropped after it: the session reads it.
        _map: memmap2::Mmap,
    },
}

impl Model {
    fn session(&self) -> &Session {
        match self {
            Model::File(s) => s,
            Model::Mapped { session, .. } => session,
        }
    }
}

/// An ONNX Runtime session: over `model.ort` when `models/fetch` made one
/// (memory-mapped, no copy of the weights: about half the start time and
/// memory of a one-shot query), else over `model.onnx`, read by the runtime.
fn load_session(
    environment: &ort::environment::Environment,
    model: &Path,
    role: Role,
) -> Result<Model> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut builder = Session::builder(environment)
        .map_err(session_error)?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(session_error)?
        .with_intra_threads(threads)
        .map_err(session_error)?;
    if role == Role::Query {
        builder = builder.with_prepacking(false).map_err(session_error)?;
    }
    let ort_file = model.with_extension("ort");
    if ort_file.is_file() {
        let file = std::fs::File::open(&ort_file)
            .map_err(|e| Error::Model(format!("cannot read {}: {e}", ort_file.display())))?;
        // SAFETY: models/fetch replaces the file by rename, never writes into
        // it, so the mapped bytes do not change under the session.
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| Error::Model(format!("cannot map {}: {e}", ort_file.display())))?;
        // SAFETY: the bytes live in `map`, kept beside the session and dropped after it.
        let bytes: &'static [u8] = unsafe { std::slice::from_raw_parts(map.as_ptr(), map.len()) };
        let session = builder
            .commit_from_memory_directly(bytes)
            .map_err(session_error)?;
        return Ok(Model::Mapped { session, _map: map });
    }
    if !model.is_file() {
        return Err(Error::Model(format!("{} not found", model.display())));
    }
    builder
        .commit_from_file(model)
        .map(Model::File)
        .map_err(session_error)
}

impl Embedder {
    /// Loads the model: the tokenizer on a second thread while ONNX Runtime
    /// builds its session. `Role::Query` trades a little throughput for a
    /// faster start: weight prepacking costs about 30 ms at load and only
    /// pays off over many batches, as when indexing.
    pub fn load(models_dir: &Path, role: Role) -> Result<Self> {
        let card = read_model_card(models_dir)?;
        let environment = runtime(&models_dir.join(RUNTIME_LIBRARY))?;
        let dir = models_dir.join(MODEL_FOLDER);
        let (session, tokenizer) = std::thread::scope(|scope| {
            let tokenizer = scope.spawn(|| load_tokenizer(&dir, role.max_tokens()));
            let session = load_session(&environment, &dir.join("model.onnx"), role);
            let tokenizer = tokenizer
                .join()
                .unwrap_or_else(|_| Err(Error::Model("the tokenizer failed to load".into())));
            (session, tokenizer)
        });
        let session = session?;
        let needs_token_type_ids = session
            .session()
            .inputs()
            .iter()
            .any(|input| input.name() == "token_type_ids");
        Ok(Embedder {
            session,
            tokenizer: tokenizer?,
            needs_token_type_ids,
            card,
        })
    }

    /// Embeds texts in small batches; vectors are unit length.
    pub fn embed(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(BATCH_SIZE) {
            vectors.extend(self.embed_batch(batch)?);
        }
        Ok(vectors)
    }

    fn embed_batch(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let failed = |e: &dyn std::fmt::Display| Error::Model(format!("embedding failed: {e}"));
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| failed(&e))?;
        let Some(first) = encodings.first() else {
            return Ok(Vec::new());
        };
        let shape = (encodings.len(), first.len());
        let column = |pick: fn(&tokenizers::Encoding) -> &[u32]| {
            let values = encodings
                .iter()
                .flat_map(|e| pick(e).iter().map(|&v| i64::from(v)))
                .collect();
            Array2::from_shape_vec(shape, values).map_err(|e| failed(&e))
        };
        let ids = column(tokenizers::Encoding::get_ids)?;
        let mask = column(tokenizers::Encoding::get_attention_mask)?;
        let mut inputs = ort::inputs![
            "input_ids" => Value::from_array(ids).map_err(|e| failed(&e))?,
            "attention_mask" => Value::from_array(mask.clone()).map_err(|e| failed(&e))?,
        ];
        if self.needs_token_type_ids {
            let types = column(tokenizers::Encoding::get_type_ids)?;
            inputs.push((
                "token_type_ids".into(),
                Value::from_array(types).map_err(|e| failed(&e))?.into(),
            ));
        }
        let outputs = match &mut self.session {
            Model::File(s) => s.run(inputs),
            Model::Mapped { session, .. } => session.run(inputs),
        }
        .map_err(|e| failed(&e))?;
        let batch = SingleBatchOutput {
            outputs: outputs
                .into_iter()
                .map(|(name, value)| (name.to_string(), value))
                .collect(),
            attention_mask_array: mask,
        };
        let pooled = batch
            .select_and_pool_output(&OUTPUT_PRECEDENCE, Some(Pooling::Mean)) // POOLING
            .map_err(|e| failed(&e))?;
        pooled
            .rows()
            .into_iter()
            .map(|row| {
                row.as_slice()
                    .map(normalize)
                    .ok_or_else(|| failed(&"a vector is not contiguous"))
            })
            .collect()
    }

    /// Embeds one text.
    pub(crate) fn embed_one(&mut self, text: &str) -> Result<Vec<f32>> {
        let mut vectors = self.embed(&[text.to_string()])?;
        vectors
            .pop()
            .ok_or_else(|| Error::Model("the model returned no vector".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fastembed::{
        InitOptionsUserDefined, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
    };

    /// `models/fetch` fills `./models`; without it there is nothing to compare.
    fn models_dir() -> Option<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models");
        dir.join(MODEL_FOLDER)
            .join(MODEL_CARD)
            .is_file()
            .then_some(dir)
    }

    /// The model as earlier versions loaded it: fastembed's user-defined model from bytes.
    fn fastembed_model(models_dir: &Path, role: Role) -> TextEmbedding {
        let dir = models_dir.join(MODEL_FOLDER);
        let read = |name: &str| read_model_file(&dir, name).expect("model file");
        let files = TokenizerFiles {
            tokenizer_file: read("tokenizer.json"),
            config_file: read("config.json"),
            special_tokens_map_file: read("special_tokens_map.json"),
            tokenizer_config_file: read("tokenizer_config.json"),
        };
        let model =
            UserDefinedEmbeddingModel::new(read("model.onnx"), files).with_pooling(Pooling::Mean);
        let environment = runtime(&models_dir.join(RUNTIME_LIBRARY)).expect("runtime");
        let mut options = InitOptionsUserDefined::new()
            .with_environment(environment)
            .with_max_length(role.max_tokens());
        if role == Role::Query {
            options = options.with_session_config("session.disable_prepacking", "1");
        }
        TextEmbedding::try_new_from_user_defined(model, options).expect("fastembed loads")
    }

    #[test]
    fn a_paper_is_read_past_a_querys_256_word_pieces() {
        let Some(models) = models_dir() else {
            eprintln!("skipped: no models/ (run models/fetch)");
            return;
        };
        // About 300 word pieces in common, then different endings.
        let start = "token merging for efficient video language models ".repeat(40);
        let texts = vec![
            format!("{start} the second half is about protein folding"),
            format!("{start} the second half is about speech recognition"),
        ];
        let as_query = Embedder::load(&models, Role::Query)
            .expect("loads")
            .embed(&texts)
            .expect("embeds");
        assert_eq!(as_query[0], as_query[1], "a query stops at 256 pieces");
        let as_paper = Embedder::load(&models, Role::Paper)
            .expect("loads")
            .embed(&texts)
            .expect("embeds");
        assert_ne!(
            as_paper[0], as_paper[1],
            "a paper's ending past 256 pieces counts"
        );
        assert_eq!(
            read_model_card(&models).expect("card").max_tokens,
            PAPER_MAX_TOKENS
        );
    }

    #[test]
    fn vectors_are_bit_for_bit_those_fastembed_gives() {
        let Some(models) = models_dir() else {
            eprintln!("skipped: no models/ (run models/fetch)");
            return;
        };
        let long = "token merging for efficient video language models ".repeat(80);
        let texts: Vec<String> = [
            "efficient video tokens",
            "LLaVA: Visual Instruction Tuning",
            "",
            "Ünïcödé, emoji 🚀 and [CLS] special tokens",
            long.as_str(),
            "a",
            "state space models for long sequences",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // The same model as model.onnx only, without the ORT-format file.
        let onnx_only = tempfile::tempdir().expect("temp dir");
        std::os::unix::fs::symlink(
            models.join(RUNTIME_LIBRARY).parent().expect("dir"),
            onnx_only.path().join("onnxruntime"),
        )
        .expect("link");
        let folder = onnx_only.path().join(MODEL_FOLDER);
        std::fs::create_dir(&folder).expect("folder");
        for entry in std::fs::read_dir(models.join(MODEL_FOLDER)).expect("model folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e != "ort") {
                std::os::unix::fs::symlink(&path, folder.join(path.file_name().expect("name")))
                    .expect("link");
            }
        }
        if !models.join(MODEL_FOLDER).join("model.ort").is_file() {
            eprintln!("no model.ort (an older models/fetch): only model.onnx is compared");
        }
        for (dir, role) in [
            (models.as_path(), Role::Query),
            (models.as_path(), Role::Paper),
            (onnx_only.path(), Role::Query),
            (onnx_only.path(), Role::Paper),
        ] {
            let ours = Embedder::load(dir, role)
                .expect("loads")
                .embed(&texts)
                .expect("embeds");
            let theirs = fastembed_model(&models, role)
                .embed(&texts, Some(BATCH_SIZE))
                .expect("fastembed embeds");
            assert_eq!(ours.len(), texts.len());
            for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                let worst = a
                    .iter()
                    .zip(b)
                    .map(|(x, y)| (x - y).abs())
                    .fold(0f32, f32::max);
                let same =
                    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(
                    same,
                    "text {i} embeds differently ({}, as {role:?}; largest difference {worst:e})",
                    dir.display()
                );
            }
        }
    }
}
