//! The GitOps repository a fix is proposed to: [`github`] reads and writes it through the
//! GitHub REST API, [`auth`] holds who the client is (token or GitHub App).

pub mod auth;
pub mod github;
