//! The fake's endpoints that read a tree or write: refs, trees, contents, pull requests.

use super::Reply;
use super::store::{Pull, Repo, base64_lines, blob_sha};
use base64::Engine;
use serde_json::{Value, json};

pub fn create_ref(repo: &mut Repo, body: &Value) -> Reply {
    let (Some(r), Some(sha)) = (body["ref"].as_str(), body["sha"].as_str()) else {
        return Reply::error(422, "Invalid request.");
    };
    let Some(branch) = r.strip_prefix("refs/heads/") else {
        return Reply::error(422, "Reference name is invalid");
    };
    if repo.branches.contains_key(branch) {
        return Reply::error(422, "Reference already exists");
    }
    if !repo.commits.contains_key(sha) {
        return Reply::error(422, "Object does not exist");
    }
    repo.branches.insert(branch.to_owned(), sha.to_owned());
    Reply::json(
        201,
        json!({ "ref": r, "object": { "type": "commit", "sha": sha } }),
    )
}

pub fn tree(files: &std::collections::BTreeMap<String, String>, recursive: bool) -> Reply {
    let mut items: Vec<(String, Value)> = Repo::dirs(files)
        .into_iter()
        .map(|d| (d.clone(), json!({ "path": d, "mode": "040000", "type": "tree", "sha": blob_sha(&format!("tree {d}")) })))
        .collect();
    items.extend(files.iter().map(|(p, c)| {
        (p.clone(), json!({ "path": p, "mode": "100644", "type": "blob", "sha": blob_sha(c), "size": c.len() }))
    }));
    items.retain(|(p, _)| recursive || !p.contains('/'));
    items.sort_by(|a, b| a.0.cmp(&b.0));
    Reply::json(
        200,
        json!({ "sha": "tree", "truncated": false, "tree": items.into_iter().map(|i| i.1).collect::<Vec<_>>() }),
    )
}

pub fn get_contents(repo: &Repo, rev: Option<&String>, path: &str) -> Reply {
    let rev = rev.cloned().unwrap_or_else(|| repo.default_branch.clone());
    let Some(sha) = repo.resolve(&rev) else {
        return Reply::error(404, &format!("No commit found for the ref {rev}"));
    };
    let tree = &repo.commits[&sha].tree;
    if let Some(c) = tree.get(path) {
        let name = path.rsplit('/').next().unwrap_or(path);
        let v = json!({ "type": "file", "encoding": "base64", "size": c.len(), "name": name, "path": path, "sha": blob_sha(c), "content": base64_lines(c) });
        return Reply::json(200, v);
    }
    let under: Vec<Value> = tree
        .keys()
        .filter(|p| p.strip_prefix(path).is_some_and(|r| r.starts_with('/')))
        .map(|p| json!({ "type": "file", "path": p }))
        .collect();
    if under.is_empty() {
        Reply::error(404, "Not Found")
    } else {
        Reply::json(200, Value::Array(under))
    }
}

pub fn put_contents(repo: &mut Repo, path: &str, body: &Value) -> Reply {
    let branch = body["branch"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| repo.default_branch.clone());
    let Some(head) = repo.branches.get(&branch).cloned() else {
        return Reply::error(404, &format!("Branch {branch} not found"));
    };
    let b64 = body["content"].as_str().unwrap_or("");
    let Some(text) = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return Reply::error(422, "content is not valid Base64");
    };
    let mut tree = repo.commits[&head].tree.clone();
    if let Some(old) = tree.get(path) {
        match body["sha"].as_str() {
            None => return Reply::error(422, "Invalid request.\n\n\"sha\" wasn't supplied."),
            Some(sha) if sha != blob_sha(old) => {
                return Reply::error(409, &format!("{path} does not match {sha}"));
            }
            Some(_) => {}
        }
    }
    let created = tree.insert(path.to_owned(), text.clone()).is_none();
    let commit = repo.commit(Some(head), tree, body["message"].as_str().unwrap_or(""));
    repo.branches.insert(branch, commit.clone());
    let v =
        json!({ "content": { "path": path, "sha": blob_sha(&text) }, "commit": { "sha": commit } });
    Reply::json(if created { 201 } else { 200 }, v)
}

pub fn create_pull(repo: &mut Repo, body: &Value, html: &str, owner: &str) -> Reply {
    let text = |k: &str| body[k].as_str().unwrap_or("").to_owned();
    let (head, base) = (text("head"), text("base"));
    let head = head
        .strip_prefix(&format!("{owner}:"))
        .unwrap_or(&head)
        .to_owned();
    if !repo.branches.contains_key(&head) || !repo.branches.contains_key(&base) {
        return Reply::json(
            422,
            json!({ "message": "Validation Failed", "errors": [{ "resource": "PullRequest", "field": "head", "code": "invalid" }] }),
        );
    }
    if repo.pulls.iter().any(|p| p.open && p.head == head) {
        let msg = format!("A pull request already exists for {owner}:{head}.");
        return Reply::json(
            422,
            json!({ "message": "Validation Failed", "errors": [{ "resource": "PullRequest", "code": "custom", "message": msg }] }),
        );
    }
    let number = repo.next_number();
    let draft = body["draft"].as_bool().unwrap_or(false);
    repo.pulls.push(Pull {
        number,
        title: text("title"),
        head,
        base,
        body: text("body"),
        draft,
        open: true,
        labels: vec![],
    });
    Reply::json(
        201,
        json!({ "number": number, "html_url": format!("{html}/pull/{number}"), "state": "open", "draft": draft }),
    )
}
