//! The fake's endpoints, with GitHub's statuses and error messages for the cases the client
//! must tell apart (422 "Reference already exists", 409 stale blob sha, 422 unknown commit).

use super::store::{Comment, Issue, rfc3339};
use super::writes::{create_pull, create_ref, get_contents, put_contents, tree};
use super::{Recorded, Reply, State, now};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let (mut out, mut i) = (Vec::new(), 0);
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                out.push(
                    hex.and_then(|h| u8::from_str_radix(h, 16).ok())
                        .unwrap_or(b'?'),
                );
                i += 3;
                continue;
            }
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn jwt_app_id(auth: Option<&str>) -> Option<u64> {
    let jwt = auth?.strip_prefix("Bearer ")?;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    (claims["exp"].as_u64()? > now()).then_some(())?;
    claims["iss"]
        .as_u64()
        .or_else(|| claims["iss"].as_str()?.parse().ok())
}

pub fn serve(s: &mut State, rec: &Recorded, rel: &str, query: &str) -> Reply {
    let segs: Vec<String> = rel.trim_matches('/').split('/').map(decode).collect();
    let q: HashMap<String, String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect();
    let seg: Vec<&str> = segs.iter().map(String::as_str).collect();
    let auth = rec.authorization.as_deref();
    let is_app = seg.first() == Some(&"app")
        || (seg.len() == 4 && seg[0] == "repos" && seg[3] == "installation");
    if is_app {
        let Some(app) = &s.app else {
            return Reply::error(404, "Not Found");
        };
        if jwt_app_id(auth) != Some(app.app_id) {
            return Reply::error(401, "A JSON web token could not be decoded");
        }
        return app_endpoint(s, &rec.method, &seg);
    }
    let token = auth.and_then(|a| {
        a.strip_prefix("Bearer ")
            .or_else(|| a.strip_prefix("token "))
    });
    match token.and_then(|t| s.tokens.get(t)) {
        Some(None) => {}
        Some(Some(exp)) if *exp > now() => {}
        _ => return Reply::error(401, "Bad credentials"),
    }
    if seg.len() < 3 || seg[0] != "repos" {
        return Reply::error(404, "Not Found");
    }
    let (owner, name) = (seg[1], seg[2]);
    let Some(repo) = s.repos.get_mut(&format!("{owner}/{name}")) else {
        return Reply::error(404, "Not Found");
    };
    let html = format!("https://github.example/{owner}/{name}");
    let body = rec.body.clone().unwrap_or(Value::Null);
    let accept = rec.accept.as_deref().unwrap_or("");
    match (rec.method.as_str(), &seg[3..]) {
        ("GET", []) => Reply::json(
            200,
            json!({ "name": name, "full_name": format!("{owner}/{name}"), "default_branch": repo.default_branch }),
        ),
        ("GET", ["git", "ref", "heads", rest @ ..]) => match repo.branches.get(&rest.join("/")) {
            Some(sha) => Reply::json(
                200,
                json!({ "ref": format!("refs/heads/{}", rest.join("/")), "object": { "type": "commit", "sha": sha } }),
            ),
            None => Reply::error(404, "Not Found"),
        },
        ("GET", ["commits", rest @ ..]) => {
            let rev = rest.join("/");
            match repo.resolve(&rev) {
                Some(sha) if accept.contains("vnd.github.sha") => Reply {
                    status: 200,
                    headers: vec![],
                    body: sha,
                },
                Some(sha) => Reply::json(200, json!({ "sha": sha })),
                None => Reply::error(422, &format!("No commit found for SHA: {rev}")),
            }
        }
        ("POST", ["git", "refs"]) => create_ref(repo, &body),
        ("GET", ["git", "trees", sha]) => match repo.commits.get(*sha) {
            Some(c) => tree(&c.tree, q.contains_key("recursive")),
            None => Reply::error(404, "Not Found"),
        },
        ("GET", ["contents", rest @ ..]) => get_contents(repo, q.get("ref"), &rest.join("/")),
        ("PUT", ["contents", rest @ ..]) => put_contents(repo, &rest.join("/"), &body),
        ("GET", ["pulls"]) => {
            let head = q
                .get("head")
                .map(|h| h.split_once(':').map_or(h.as_str(), |(_, b)| b))
                .unwrap_or("");
            let open = q.get("state").is_none_or(|st| st == "open");
            let hits: Vec<Value> = repo
                .pulls
                .iter()
                .filter(|p| (head.is_empty() || p.head == head) && (!open || p.open))
                .map(|p| json!({ "number": p.number, "html_url": format!("{html}/pull/{}", p.number), "state": "open", "draft": p.draft, "head": { "ref": p.head }, "base": { "ref": p.base } }))
                .collect();
            Reply::json(200, Value::Array(hits))
        }
        ("POST", ["pulls"]) => create_pull(repo, &body, &html, owner),
        ("POST", ["issues"]) => {
            let number = repo.next_number();
            let labels = body["labels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l.as_str().map(str::to_owned))
                .collect();
            let text = |k: &str| body[k].as_str().unwrap_or("").to_owned();
            repo.issues.push(Issue {
                number,
                title: text("title"),
                body: text("body"),
                labels,
            });
            Reply::json(
                201,
                json!({ "number": number, "html_url": format!("{html}/issues/{number}") }),
            )
        }
        ("POST", ["issues", n, what @ ("labels" | "comments")]) => {
            let number: u64 = n.parse().unwrap_or(0);
            let known = repo.pulls.iter().any(|p| p.number == number)
                || repo.issues.iter().any(|i| i.number == number);
            if !known {
                return Reply::error(404, "Not Found");
            }
            if *what == "comments" {
                repo.comments.push(Comment {
                    number,
                    body: body["body"].as_str().unwrap_or("").to_owned(),
                });
                return Reply::json(
                    201,
                    json!({ "id": repo.comments.len(), "html_url": format!("{html}/issues/{number}#c") }),
                );
            }
            let add: Vec<String> = body["labels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l.as_str().map(str::to_owned))
                .collect();
            let labels = match repo.pulls.iter_mut().find(|p| p.number == number) {
                Some(p) => &mut p.labels,
                None => {
                    &mut repo
                        .issues
                        .iter_mut()
                        .find(|i| i.number == number)
                        .unwrap()
                        .labels
                }
            };
            labels.extend(add);
            Reply::json(
                200,
                Value::Array(labels.iter().map(|l| json!({ "name": l })).collect()),
            )
        }
        _ => Reply::error(404, "Not Found"),
    }
}

fn app_endpoint(s: &mut State, method: &str, seg: &[&str]) -> Reply {
    let app = s.app.as_ref().unwrap();
    match (method, seg) {
        ("GET", ["repos", owner, _, "installation"]) => {
            match app.installations.get(&owner.to_ascii_lowercase()) {
                Some(id) => Reply::json(200, json!({ "id": id, "account": { "login": owner } })),
                None => Reply::error(404, "Not Found"),
            }
        }
        ("POST", ["app", "installations", id, "access_tokens"]) => {
            let id: u64 = id.parse().unwrap_or(0);
            if !app.installations.values().any(|i| *i == id) {
                return Reply::error(404, "Not Found");
            }
            let expires = now() + app.token_ttl.as_secs();
            s.minted += 1;
            let token = format!("ghs_fake_{id}_{}", s.minted);
            s.tokens.insert(token.clone(), Some(expires));
            Reply::json(
                201,
                json!({
                    "token": token,
                    "expires_at": rfc3339(expires),
                    "permissions": { "contents": "write", "pull_requests": "write", "issues": "write" },
                    "repository_selection": "all",
                }),
            )
        }
        _ => Reply::error(404, "Not Found"),
    }
}
