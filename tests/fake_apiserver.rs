mod support;

use support::FakeApiServer;

#[tokio::test(flavor = "multi_thread")]
async fn smoke() {
    let server = FakeApiServer::start().await;
    let _ = server.client();
}
