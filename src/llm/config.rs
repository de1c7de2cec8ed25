//! What the LLM integration needs to know: where the server is, which model, how much it may
//! cost, and how long it may take. The API key never reaches a log line or an error message.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// When the LLM is consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LlmMode {
    /// Rules only; no network.
    #[default]
    Off,
    /// Only when the rules are not confident.
    Auto,
    /// Every diagnosis, as a second opinion.
    Always,
}

impl std::str::FromStr for LlmMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "off" => Ok(LlmMode::Off),
            "auto" => Ok(LlmMode::Auto),
            "always" => Ok(LlmMode::Always),
            other => Err(format!("unknown LLM mode {other:?} (off, auto, always)")),
        }
    }
}

/// How the answer's shape is requested. `Auto` tries `json_schema` and, when a server
/// rejects it, falls back to JSON mode for the rest of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StructuredMode {
    #[default]
    Auto,
    JsonSchema,
    JsonObject,
}

impl std::str::FromStr for StructuredMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "auto" => Ok(StructuredMode::Auto),
            "json_schema" => Ok(StructuredMode::JsonSchema),
            "json_object" | "json" => Ok(StructuredMode::JsonObject),
            other => Err(format!(
                "unknown structured output mode {other:?} (auto, json_schema, json_object)"
            )),
        }
    }
}

/// A string that prints as `***` in every `Debug`/`Display`, so a config dump or a panic
/// message cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(s: impl Into<String>) -> Self {
        SecretString(s.into())
    }
    /// The one place the value is read: building the HTTP client.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone)]
pub struct LlmConfig {
    pub mode: LlmMode,
    /// OpenAI-compatible base URL, up to and including `/v1`.
    pub base_url: String,
    /// Model name; the deployment name on Azure.
    pub model: String,
    pub api_key: Option<SecretString>,
    /// Read at start; a mounted Secret. Wins over the environment.
    pub api_key_file: Option<PathBuf>,
    /// Azure OpenAI `api-version`: when set, requests go to
    /// `{base_url}/openai/deployments/{model}/chat/completions?api-version=…` with an
    /// `api-key` header. Unset for every other server, Azure's `/openai/v1` endpoint included.
    pub api_version: Option<String>,
    /// The model's context window in tokens: the prompt is fitted to it.
    pub context_window: usize,
    pub max_output_tokens: usize,
    /// Per HTTP attempt.
    pub timeout: Duration,
    /// LLM calls in flight at once, across all incidents.
    pub concurrency: usize,
    /// HTTP requests per sliding hour; beyond it the rules decide alone.
    pub calls_per_hour: usize,
    pub structured: StructuredMode,
    /// Overrides the embedded prompts (a mounted ConfigMap): `system.md`, `user.md`.
    pub prompts_dir: Option<PathBuf>,
    /// Tries per call (first attempt included) on 429, 5xx and connection errors.
    pub max_tries: usize,
    /// First retry delay when the server gives no `Retry-After`.
    pub retry_min_delay: Duration,
}

impl Default for LlmConfig {
    fn default() -> Self {
        LlmConfig {
            mode: LlmMode::Off,
            base_url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            api_key: None,
            api_key_file: None,
            api_version: None,
            context_window: 8192,
            max_output_tokens: 800,
            timeout: Duration::from_secs(20),
            concurrency: 4,
            calls_per_hour: 120,
            structured: StructuredMode::Auto,
            prompts_dir: None,
            max_tries: 3,
            retry_min_delay: Duration::from_millis(500),
        }
    }
}

pub const KEY_ENV: &str = "ROLLOUT_DOCTOR_LLM_API_KEY";
pub const OPENAI_KEY_ENV: &str = "OPENAI_API_KEY";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // The path is safe to show; the content never is.
    #[error("cannot read the LLM API key file {path}: {kind}")]
    KeyFile {
        path: PathBuf,
        kind: std::io::ErrorKind,
    },
    #[error("the LLM API key file {0} is empty")]
    EmptyKeyFile(PathBuf),
    #[error("cannot read prompt template {path}: {kind}")]
    Prompt {
        path: PathBuf,
        kind: std::io::ErrorKind,
    },
    #[error("prompt template {0} has no `version:` header line")]
    PromptVersion(PathBuf),
    #[error("invalid LLM setting: {0}")]
    Invalid(String),
}

impl LlmConfig {
    /// The key in effect: an explicit one, else the key file, else
    /// `ROLLOUT_DOCTOR_LLM_API_KEY`, else `OPENAI_API_KEY`. `None` is fine for servers
    /// without auth (Ollama, a local vLLM).
    pub fn resolve_key(&self) -> Result<Option<SecretString>, ConfigError> {
        if let Some(k) = &self.api_key {
            return Ok(Some(k.clone()));
        }
        if let Some(path) = &self.api_key_file {
            return read_key_file(path).map(Some);
        }
        Ok([KEY_ENV, OPENAI_KEY_ENV]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .map(|v| v.trim().to_owned())
            .find(|v| !v.is_empty())
            .map(SecretString))
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return bad("base URL must start with http:// or https://");
        }
        if self.model.trim().is_empty() {
            return bad("model is empty");
        }
        if self.context_window < self.max_output_tokens + 512 {
            return bad("context window too small for the output tokens and the instructions");
        }
        if self.concurrency == 0 || self.max_tries == 0 {
            return bad("concurrency and tries must be at least 1");
        }
        Ok(())
    }
}

fn read_key_file(path: &Path) -> Result<SecretString, ConfigError> {
    let raw = std::fs::read_to_string(path).map_err(|e| ConfigError::KeyFile {
        path: path.to_owned(),
        kind: e.kind(),
    })?;
    let key = raw.trim();
    if key.is_empty() {
        return Err(ConfigError::EmptyKeyFile(path.to_owned()));
    }
    Ok(SecretString(key.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_prints() {
        let cfg = LlmConfig {
            api_key: Some(SecretString::new("sk-live-very-secret")),
            ..LlmConfig::default()
        };
        let dump = format!("{cfg:?} {}", cfg.api_key.as_ref().unwrap());
        assert!(!dump.contains("very-secret"), "{dump}");
        assert!(dump.contains("***"));
    }

    #[test]
    fn key_file_wins_and_is_trimmed_and_errors_do_not_echo_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "sk-from-file\n").unwrap();
        let cfg = LlmConfig {
            api_key_file: Some(path.clone()),
            ..LlmConfig::default()
        };
        assert_eq!(cfg.resolve_key().unwrap().unwrap().expose(), "sk-from-file");
        let missing = LlmConfig {
            api_key_file: Some(dir.path().join("nope")),
            ..LlmConfig::default()
        };
        let err = missing.resolve_key().unwrap_err().to_string();
        assert!(err.contains("nope") && !err.contains("sk-"), "{err}");
    }

    #[test]
    fn modes_parse() {
        assert_eq!("Always".parse::<LlmMode>().unwrap(), LlmMode::Always);
        assert!("sometimes".parse::<LlmMode>().is_err());
        assert_eq!(
            "json-object".parse::<StructuredMode>().unwrap(),
            StructuredMode::JsonObject
        );
    }
}
