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
pub const MODEL_FOLDER: &str = "all-MiniLM-L6-v2";
/// Where `models/fetch` puts the ONNX Runtime shared library.
pub const RUNTIME_LIBRARY: &str = "onnxruntime/libonnxruntime.so";
/// Written by `models/fetch` beside the model: what it is and its checksum.
pub const MODEL_CARD: &str = "mmsearch-model.json";
/// MiniLM was trained on 256 word pieces; longer text is truncated.
pub const MAX_TOKENS: usize = 256;
/// Small batches keep peak memory near 250 MB; large ones cost gigabytes and
/// are slower on two cores (measured in the offline-embeddings notes).
pub const BATCH_SIZE: usize = 4;

/// What the index remembers about the model that embedded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelCard {
    pub id: String,
    pub variant: String,
    pub dimensions: usize,
    pub onnx_sha256: String,
}

/// Finds the models directory: `--models-dir`, then `MMSEARCH_MODELS`, then
/// `./models`, then the user data directory. The first one given wins even
/// when empty, so a typo in an explicit path is reported rather than ignored.
pub fn locate_models_dir(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os("MMSEARCH_MODELS").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let local = PathBuf::from("models");
    if local.join(MODEL_FOLDER).join(MODEL_CARD).is_file() {
        return Ok(local);
    }
    if let Some(dirs) = crate::project_dirs() {
        let user = dirs.data_dir().join("models");
        if user.join(MODEL_FOLDER).join(MODEL_CARD).is_file() {
            return Ok(user);
        }
    }
    Err(Error::Model(
        "embedding model not found (looked in --models-dir, MMSEARCH_MODELS, ./models and the user data directory)"
            .into(),
    ))
}

/// Reads the model card without loading the model: cheap enough to check an
/// index against on every start.
pub fn read_model_card(models_dir: &Path) -> Result<ModelCard> {
    let path = models_dir.join(MODEL_FOLDER).join(MODEL_CARD);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::Model(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::Model(format!("{} is damaged: {e}", path.display())))
}

/// A loaded embedding model.
pub struct Embedder {
    model: TextEmbedding,
    pub card: ModelCard,
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
            UserDefinedEmbeddingModel::new(onnx, tokenizer_files).with_pooling(Pooling::Mean);
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

    pub fn embed_one(&mut self, text: &str) -> Result<Vec<f32>> {
        let mut vectors = self.embed(&[text.to_string()])?;
        vectors
            .pop()
            .ok_or_else(|| Error::Model("the model returned no vector".into()))
    }
}
