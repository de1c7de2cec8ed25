//! A minimal Prometheus HTTP API client: `query_range` for continuous metrics, `query` for
//! counts. Error bodies, empty results and NaN/Inf samples are told apart, because each
//! means something different to the verdict (an outage, no traffic, a division by zero).

use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PromError {
    #[error("prometheus unreachable: {0}")]
    Transport(String),
    #[error("prometheus error {kind}: {message}")]
    Api { kind: String, message: String },
    #[error("prometheus answered {0}")]
    Unexpected(String),
}

#[derive(Clone)]
pub struct Prometheus {
    base: String,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct Series {
    #[serde(default)]
    values: Vec<(f64, String)>,
    #[serde(default)]
    value: Option<(f64, String)>,
}

impl Prometheus {
    pub fn new(base: &str, timeout: Duration) -> Result<Prometheus, PromError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            // Verdict requests arrive every few seconds: keep connections warm.
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .map_err(|e| PromError::Transport(e.to_string()))?;
        Ok(Prometheus {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// Finite sample values of every series the query returns, in time order per series.
    pub async fn range(
        &self,
        query: &str,
        start: f64,
        end: f64,
        step: Duration,
    ) -> Result<Vec<f64>, PromError> {
        let step = format!("{}", step.as_secs_f64());
        let params = [
            ("query", query.to_owned()),
            ("start", fmt_ts(start)),
            ("end", fmt_ts(end)),
            ("step", step),
        ];
        let data = self.call("/api/v1/query_range", &params).await?;
        let series: Vec<Series> = match data.result_type.as_str() {
            "matrix" => serde_json::from_value(data.result)
                .map_err(|e| PromError::Unexpected(e.to_string()))?,
            other => {
                return Err(PromError::Unexpected(format!(
                    "resultType {other} for a range query"
                )));
            }
        };
        Ok(series
            .into_iter()
            .flat_map(|s| s.values)
            .filter_map(|(_, v)| finite(&v))
            .collect())
    }

    /// The sum over series of an instant query; `None` when nothing (finite) came back.
    pub async fn instant_sum(&self, query: &str, at: f64) -> Result<Option<f64>, PromError> {
        let params = [("query", query.to_owned()), ("time", fmt_ts(at))];
        let data = self.call("/api/v1/query", &params).await?;
        let values: Vec<f64> = match data.result_type.as_str() {
            "vector" => {
                let series: Vec<Series> = serde_json::from_value(data.result)
                    .map_err(|e| PromError::Unexpected(e.to_string()))?;
                series
                    .into_iter()
                    .filter_map(|s| s.value)
                    .filter_map(|(_, v)| finite(&v))
                    .collect()
            }
            "scalar" => {
                let (_, v): (f64, String) = serde_json::from_value(data.result)
                    .map_err(|e| PromError::Unexpected(e.to_string()))?;
                finite(&v).into_iter().collect()
            }
            other => {
                return Err(PromError::Unexpected(format!(
                    "resultType {other} for an instant query"
                )));
            }
        };
        Ok((!values.is_empty()).then(|| values.iter().sum()))
    }

    async fn call(&self, path: &str, params: &[(&str, String)]) -> Result<Data, PromError> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form(params))
            .send()
            .await
            .map_err(|e| PromError::Transport(e.to_string()))?;
        let status = resp.status();
        let body = resp
            .bytes()
            .await
            .map_err(|e| PromError::Transport(e.to_string()))?;
        // Prometheus reports bad queries as 400/422 with the same JSON envelope.
        let env: Envelope = serde_json::from_slice(&body).map_err(|_| {
            PromError::Unexpected(format!(
                "{status} with a non-JSON body ({} bytes)",
                body.len()
            ))
        })?;
        if env.status != "success" {
            return Err(PromError::Api {
                kind: env.error_type.unwrap_or_else(|| status.to_string()),
                message: env.error.unwrap_or_default(),
            });
        }
        env.data
            .ok_or_else(|| PromError::Unexpected("success without data".into()))
    }
}

/// `application/x-www-form-urlencoded`, which POST keeps long PromQL out of URL limits.
fn form(params: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode(k, &mut out);
        out.push('=');
        encode(v, &mut out);
    }
    out
}

fn encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

fn fmt_ts(t: f64) -> String {
    format!("{t:.3}")
}

fn finite(v: &str) -> Option<f64> {
    v.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Puts the hash, window and step into a query template. The hash is validated as a DNS
/// label before it gets here, so it cannot break out of a label matcher. `${hash}` exists
/// because Argo resolves every `{{...}}` in an AnalysisTemplate against its args and fails
/// the measurement on an unknown one.
pub fn render(template: &str, hash: &str, window: &str, step: &str) -> String {
    let mut out = template.to_owned();
    for (name, value) in [("hash", hash), ("window", window), ("step", step)] {
        out = out
            .replace(&format!("{{{{{name}}}}}"), value)
            .replace(&format!("${{{name}}}"), value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_and_inf_are_dropped() {
        assert_eq!(finite("NaN"), None);
        assert_eq!(finite("+Inf"), None);
        assert_eq!(finite("0.25"), Some(0.25));
    }

    #[test]
    fn form_encoding() {
        assert_eq!(
            form(&[("query", "a{b=\"c d\"}".into()), ("t", "1.5".into())]),
            "query=a%7Bb%3D%22c%20d%22%7D&t=1.5"
        );
    }

    #[test]
    fn render_fills_placeholders() {
        assert_eq!(
            render(r#"x{h="{{hash}}"}[{{window}}]"#, "abc", "600s", "15s"),
            r#"x{h="abc"}[600s]"#
        );
        assert_eq!(
            render(r#"x{h="${hash}"}[${window}:${step}]"#, "abc", "600s", "15s"),
            r#"x{h="abc"}[600s:15s]"#
        );
    }
}
