//! Turns text into vectors with a real sentence-embedding model, offline.
//! The model and ONNX Runtime live in a models directory filled by
//! `models/fetch`; everything that can go wrong there (missing files, an ONNX
//! Runtime that is too old) comes back as one `Error::Model` line instead of
//! a panic inside the runtime.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fastembed::{
    InitOptionsUserDefined, Pooling, TextEmbedding, TokenizerFiles, UserDefinedEmbeddingModel,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Folder (inside the models directory) that holds the embedding model.
pub(crate) const MODEL_FOLDER: &str = "all-MiniLM-L6-v2";
/// Where `models/fetch` puts the ONNX Runtime shared library.
pub(crate) const RUNTIME_LIBRARY: &str = "onnxruntime/libonnxruntime.so";
/// Written by `models/fetch` beside the model: what it is and its checksum.
pub(crate) const MODEL_CARD: &str = "mmsearch-model.json";
/// MiniLM was trained on 256 word pieces; longer text is truncated.
pub(crate) const MAX_TOKENS: usize = 256;
/// Small batches keep peak memory near 250 MB; large ones cost gigabytes and
/// are slower on two cores (measured in the offline-embeddings notes).
pub(crate) const BATCH_SIZE: usize = 4;

/// How token vectors become one text vector.
pub(crate) const POOLING: &str = "mean";

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
    /// Word pieces embedded per text; longer text is truncated.
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
    card.max_tokens = MAX_TOKENS;
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

/// The MiniLM model through fastembed and ONNX Runtime.
pub struct Embedder {
    model: TextEmbedding,
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

impl Embedder {
    /// Loads the model. `for_queries` trades a little throughput for a
    /// faster start: weight prepacking costs about 30 ms at load and only
    /// pays off over many batches, as when indexing.
    pub fn load(models_dir: &Path, for_queries: bool) -> Result<Self> {
        let card = read_model_card(models_dir)?;
        let environment = runtime(&models_dir.join(RUNTIME_LIBRARY))?;
        let dir = models_dir.join(MODEL_FOLDER);
        let tokenizer_files = TokenizerFiles {
            tokenizer_file: read_model_file(&dir, "tokenizer.json")?,
            config_file: read_model_file(&dir, "config.json")?,
            special_tokens_map_file: read_model_file(&dir, "special_tokens_map.json")?,
            tokenizer_config_file: read_model_file(&dir, "tokenizer_config.json")?,
        };
        let onnx = read_model_file(&dir, "model.onnx")?;
        let model =
            UserDefinedEmbeddingModel::new(onnx, tokenizer_files).with_pooling(Pooling::Mean); // POOLING
        let mut options = InitOptionsUserDefined::new()
            .with_environment(environment)
            .with_max_length(MAX_TOKENS);
        if for_queries {
            options = options.with_session_config("session.disable_prepacking", "1");
        }
        let model = TextEmbedding::try_new_from_user_defined(model, options)
            .map_err(|e| Error::Model(format!("cannot load the embedding model: {e}")))?;
        Ok(Embedder { model, card })
    }

    /// Embeds texts in small batches; vectors are unit length.
    pub fn embed(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        self.model
            .embed(texts, Some(BATCH_SIZE))
            .map_err(|e| Error::Model(format!("embedding failed: {e}")))
    }

    /// Embeds one text.
    pub(crate) fn embed_one(&mut self, text: &str) -> Result<Vec<f32>> {
        let mut vectors = self.embed(&[text.to_string()])?;
        vectors
            .pop()
            .ok_or_else(|| Error::Model("the model returned no vector".into()))
    }
}
