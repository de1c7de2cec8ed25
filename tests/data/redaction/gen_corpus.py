#!/usr/bin/env python3
"""Generates the redaction corpus (secrets.txt, ordinary.txt) deterministically.

Every secret here is synthetic: random strings shaped like the real thing. Re-run after
editing templates: `python3 tests/data/redaction/gen_corpus.py`.

secrets.txt:  line<TAB>secret1[<TAB>secret2...]   every secret must be gone after redaction
ordinary.txt: one line per row                      must come back unchanged
"""
import base64, json, os, random, string, urllib.parse

R = random.Random(20240611)
HERE = os.path.dirname(os.path.abspath(__file__))
A = string.ascii_letters + string.digits

def rs(n, alphabet=A): return "".join(R.choice(alphabet) for _ in range(n))
def hexs(n): return rs(n, "0123456789abcdef")
def b64(n): return rs(n, A + "+/")
def upper_alnum(n): return rs(n, string.ascii_uppercase + "234567")
def pw():
    words = ["Summer", "Winter", "orange", "Tiger", "blue", "Falcon", "river", "Maple", "Quartz", "delta"]
    return R.choice([
        lambda: R.choice(words) + str(R.randint(10, 9999)) + R.choice("!@#$%&*?"),
        lambda: rs(R.randint(10, 20)),
        lambda: rs(6, string.ascii_lowercase) + str(R.randint(100, 999)),
        lambda: R.choice(words) + "_" + R.choice(words).lower() + str(R.randint(1, 99)),
        lambda: rs(4) + "#" + rs(5) + "^" + rs(3),
    ])()
def jwt():
    h = base64.urlsafe_b64encode(json.dumps({"alg": R.choice(["HS256", "RS256"]), "typ": "JWT"}).encode()).decode().rstrip("=")
    p = base64.urlsafe_b64encode(json.dumps({"sub": str(R.randint(1000, 99999)), "iat": R.randint(1600000000, 1700000000), "role": R.choice(["admin", "svc"])}).encode()).decode().rstrip("=")
    return f"{h}.{p}.{rs(43, A + '-_')}"
def akia(): return R.choice(["AKIA", "ASIA"]) + upper_alnum(16)
def aws_secret(): return rs(40, A + "/+")
def gcp(): return "AIza" + rs(35, A + "-_")
def ghp(): return R.choice(["ghp_", "gho_", "ghs_", "ghu_", "ghr_"]) + rs(36)
def ghpat(): return "github_pat_" + rs(22) + "_" + rs(59)
def slack(): return R.choice(["xoxb-", "xoxp-"]) + str(R.randint(10**11, 10**12)) + "-" + str(R.randint(10**12, 10**13)) + "-" + rs(24)
def xapp(): return f"xapp-1-A{upper_alnum(10)}-{R.randint(10**12, 10**13)}-{hexs(64)}"
def hook(): return f"T{upper_alnum(8)}/B{upper_alnum(10)}/{rs(24)}"
def stripe(): return R.choice(["sk_live_", "rk_live_", "sk_test_"]) + rs(24)
def acct_key(): return rs(86, A + "+/") + "=="
def sas_sig(): return urllib.parse.quote(base64.b64encode(bytes(R.getrandbits(8) for _ in range(32))).decode(), safe="")
def basic(u, p): return base64.b64encode(f"{u}:{p}".encode()).decode()
def pem_body(): return "MIIE" + rs(60, A + "+/")
def opaque(n=32): return rs(n, A + "-_")
def ip(): return f"10.{R.randint(0,255)}.{R.randint(0,255)}.{R.randint(1,254)}"
def uuid(): return f"{hexs(8)}-{hexs(4)}-4{hexs(3)}-a{hexs(3)}-{hexs(12)}"
def ts(): return f"2024-06-{R.randint(10,28)}T{R.randint(10,23)}:{R.randint(10,59)}:{R.randint(10,59)}.{R.randint(100,999)}Z"
def user(): return R.choice(["app", "orders_svc", "admin", "postgres", "billing", "reporting", "sa", "root", "svc-payments"])
def host(): return R.choice(["db.prod.internal", "orders-db", "10.0.3.17", "pg-primary.data.svc.cluster.local", "mysql-0.mysql", "cache-redis-master"])

# Each template returns (line, [secrets]). Defaults hold the fake secrets, so the list is
# rebuilt (and the secrets regenerated) for every instantiation round.
def secret_templates(): return [
    # --- key=value / logfmt / Go / Python / Java / Node
    lambda s=pw(): (f'time="{ts()}" level=info msg="connecting" user={user()} password={s}', [s]),
    lambda s=pw(): (f'{ts()} INFO  [main] c.e.DbConfig - datasource url=jdbc:postgresql://{host()}/orders username={user()} password={s}', [s]),
    lambda s=pw(): (f'DEBUG:root:settings loaded: DB_PASSWORD={s} DEBUG=False', [s]),
    lambda s=pw(): (f'{ts()} debug: effective config {{"db":{{"host":"{host()}","password":"{s}"}}}}', [s]),
    lambda s=opaque(): (f'level=debug ts={ts()} caller=client.go:88 msg="using credentials" access_token={s}', [s]),
    lambda s=opaque(40): (f'I0611 10:22:01.123456       1 auth.go:57] refreshed token, refresh_token={s} expires_in=3600', [s]),
    lambda s=pw(): (f'[2024-06-11 10:22:01,123] WARNING django.db: retrying connect with PASSWORD=\'{s}\'', [s]),
    lambda s=pw(): (f'Properties{{url=jdbc:mysql://{host()}:3306/app, user={user()}, password={s}, poolSize=10}}', [s]),
    lambda s=pw(): (f'DataSourceConfig(jdbcUrl=jdbc:postgresql://{host()}/app, username={user()}, password={s})', [s]),
    lambda s=pw(): (f'{{"level":"error","ts":"{ts()}","msg":"login failed","request":{{"username":"{user()}","password":"{s}"}}}}', [s]),
    lambda s=opaque(): (f'{{"severity":"DEBUG","message":"calling upstream","headers":{{"x-api-key":"{s}","accept":"application/json"}}}}', [s]),
    lambda s=opaque(48): (f'{{"@timestamp":"{ts()}","log.level":"info","event":"token.issued","client_secret":"{s}"}}', [s]),
    lambda s=pw(): (f'app  | {ts()} config: {{ user: "{user()}", password: "{s}", host: "{host()}" }}', [s]),
    lambda s=pw(): (f'Starting with args: Namespace(db_host=\'{host()}\', db_password=\'{s}\', workers=4)', [s]),
    lambda s=opaque(): (f'settings = {{"SECRET_KEY": "{s}", "DEBUG": False, "ALLOWED_HOSTS": ["*"]}}', [s]),
    lambda s=hexs(64): (f'Rails booting, SECRET_KEY_BASE={s} RAILS_ENV=production', [s]),
    lambda s=pw(): (f'panic: dial tcp: config {{Host:{host()} Port:5432 User:{user()} Password:{s} Database:orders}}', [s]),
    lambda s=opaque(): (f'{ts()} [worker-3] DEBUG HttpClient - >> X-Api-Key: {s}', [s]),
    lambda s=opaque(24): (f'{ts()} WARN  sending webhook with signing_secret={s} to endpoint', [s]),
    lambda s=pw(): (f'2024/06/11 10:22:01 redis: connecting addr={host()}:6379 db=0 password={s}', [s]),
    lambda s=opaque(): (f'msg="loaded secret" apiKey={s} region=eu-west-1', [s]),
    lambda s=opaque(): (f'Config: ApiToken={s}; Timeout=30; Retries=3', [s]),
    lambda s=pw(): (f'    password: {s}', [s]),
    lambda s=pw(): (f'  - name: admin password: "{s}"', [s]),
    lambda s=opaque(): (f'  client_secret: {s}', [s]),
    lambda s=pw(): (f'spring.datasource.password={s}', [s]),
    lambda s=pw(): (f'-Dspring.datasource.password={s} -Xmx512m -jar app.jar', [s]),
    lambda s=opaque(): (f'export GITLAB_PRIVATE_TOKEN={s}', [s]),
    lambda s=pw(): (f'set REDIS_PASSWORD={s} && node server.js', [s]),
    lambda s=pw(): (f'[config] smtp_pass = {s}', [s]),
    lambda s=pw(): (f'[mysqld] user=mysql passwd={s} bind-address=0.0.0.0', [s]),
    lambda s=pw(): (f'<add key="DbPassword" value="x"/> <password>{s}</password>', [s]),
    lambda s=opaque(): (f'SOAP request: <auth><username>{user()}</username><apiToken>{s}</apiToken></auth>', [s]),
    lambda s=pw(): (f'"{{\\"user\\":\\"{user()}\\",\\"password\\":\\"{s}\\"}}"', [s]),
    lambda s=pw(): (f'{{"log":"{ts()} db connect password=\'{s}\' failed\\n","stream":"stderr"}}', [s]),
    lambda s=opaque(): (f'hash => {{:api_secret => "{s}", :env => "prod"}}', [s]),
    lambda s=pw(): (f'INFO  ldap bind dn=cn=admin,dc=example,dc=org bindPassword={s}', [s]),
    lambda s=pw(): (f'keytool -importkeystore -srckeystore in.p12 -srcstorepass {s} -destkeystore out.jks', [s]),
    lambda s=opaque(): (f'otel exporter headers: dd-api-key={s}', [s]),
    lambda s=hexs(32): (f'newrelic: license_key={s} app_name=orders', [s]),
    lambda s=opaque(): (f'sentry init dsn=https://{hexs(32)}@o123.ingest.sentry.io/456 auth_token={s}', [s]),
    lambda s=pw(): (f'vault: wrote secret/data/app, value={{"password":"{s}"}}', [s]),
    lambda s=opaque(): (f'ENCRYPTION_KEY={s} loaded from environment', [s]),
    lambda s=opaque(): (f'[Nest] 42  - {ts()}  LOG [ConfigService] JWT_SECRET={s}', [s]),
    lambda s=pw(): (f'PGPASSWORD={s} psql -h {host()} -U {user()} -c "select 1"', [s]),
    lambda s=opaque(): (f'env: OPENAI_API_KEY={s}', [s]),
    lambda s=pw(): (f'{{"name":"DB_PASSWORD","value":"{s}"}}', [s]),
    lambda s=pw(): (f'env[3]: name=ADMIN_PASSWORD value=... ADMIN_PASSWORD={s}', [s]),
    lambda s=pw(): (f'      DB_PASSWORD:  {s}', [s]),
    lambda s=opaque(): (f'      API_TOKEN:    {s}', [s]),
    # --- query strings (nginx / envoy / ALB)
    lambda s=opaque(): (f'{ip()} - - [11/Jun/2024:10:22:01 +0000] "GET /api/v1/orders?token={s}&page=2 HTTP/1.1" 200 512 "-" "curl/8.5.0"', [s]),
    lambda s=opaque(): (f'{ip()} - - [11/Jun/2024:10:22:01 +0000] "GET /download?file=report.pdf&access_token={s} HTTP/2.0" 302 0', [s]),
    lambda s=gcp(): (f'{ip()} - - [11/Jun/2024:10:22:01 +0000] "GET /maps/api/geocode/json?address=Berlin&key={s} HTTP/1.1" 200 1432', [s]),
    lambda s=opaque(): (f'[{ts()}] "POST /webhook?api_key={s} HTTP/1.1" 401 12 "-" "Go-http-client/1.1"', [s]),
    lambda s=opaque(), t=opaque(): (f'GET /oauth/callback?code={s}&state=xyz HTTP/1.1 then /api?client_secret={t}', [t]),
    lambda s=pw(): (f'{ip()} "GET /login?user={user()}&password={urllib.parse.quote(s)} HTTP/1.1" 200', [urllib.parse.quote(s)]),
    lambda s=sas_sig(): (f'PUT https://acct{R.randint(1,99)}.blob.core.windows.net/backups/db.bak?sv=2022-11-02&ss=b&srt=o&sp=rwc&se=2024-07-01T00:00:00Z&spr=https&sig={s} 201', [s]),
    lambda s=sas_sig(): (f'AzCopy: transferring to https://store.blob.core.windows.net/c?sp=r&st=2024-06-11&se=2024-06-12&sv=2022-11-02&sr=c&sig={s}', [s]),
    lambda s=hexs(64), a=akia(): (f'GET https://bucket.s3.amazonaws.com/obj?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={a}%2F20240611%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature={s}', [s, a]),
    lambda s=opaque(): (f'upstream request: https://api.example.com/v2/items?apikey={s}&limit=50', [s]),
    lambda s=opaque(): (f'envoy: [{ts()}] "GET /stream?auth_token={s}" 200 - 0 3021 12 "10.1.2.3"', [s]),
    lambda s=opaque(): (f'redirecting to https://app.example.com/#access_token={s}&token_type=Bearer&expires_in=3600', [s]),
    lambda s=opaque(40): (f'GET /socket.io/?EIO=4&transport=websocket&sid={s}', [s]),
    # --- URL userinfo / connection strings
    lambda s=pw(): (f'connecting to postgres://{user()}:{s}@{host()}:5432/orders?sslmode=require', [s]),
    lambda s=pw(): (f'DATABASE_URL=postgresql://{user()}:{s}@{host()}/app', [s]),
    lambda s=pw(): (f'pymongo: MongoClient(mongodb+srv://{user()}:{s}@cluster0.ab12c.mongodb.net/?retryWrites=true)', [s]),
    lambda s=pw(): (f'mongodb://{user()}:{s}@mongo-0.mongo:27017,mongo-1.mongo:27017/admin?replicaSet=rs0', [s]),
    lambda s=pw(): (f'Error: connect ECONNREFUSED while connecting to redis://:{s}@{host()}:6379/0', [s]),
    lambda s=pw(): (f'amqp://{user()}:{s}@rabbitmq.messaging:5672/%2f connection closed', [s]),
    lambda s=pw(): (f'celery broker_url=redis://default:{s}@redis:6379/1', [s]),
    lambda s=pw(): (f'{ts()} ERROR sqlalchemy: (psycopg2.OperationalError) could not connect mysql+pymysql://{user()}:{s}@{host()}/db', [s]),
    lambda s=ghp(): (f'fatal: unable to access \'https://x-access-token:{s}@github.com/org/repo.git/\': 403', [s]),
    lambda s=opaque(20): (f'git clone https://oauth2:glpat-{s}@gitlab.example.com/group/app.git', ["glpat-" + s]),
    lambda s=pw(): (f'proxy configured http://{user()}:{s}@proxy.corp:3128', [s]),
    lambda s=pw(): (f'ftp://deploy:{s}@files.example.com/releases/', [s]),
    lambda s=pw(): (f'Server=tcp:{host()},1433;Initial Catalog=orders;User ID={user()};Password={s};Encrypt=True;', [s]),
    lambda s=pw(): (f'Data Source={host()};Database=app;Uid={user()};Pwd={s};', [s]),
    lambda s=pw(): (f'Driver={{ODBC Driver 18}};Server={host()};UID={user()};PWD={{{s}}};', [s]),
    lambda s=acct_key(): (f'AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=prodstore;AccountKey={s};EndpointSuffix=core.windows.net', [s]),
    lambda s=acct_key(): (f'BlobServiceClient.from_connection_string("DefaultEndpointsProtocol=https;AccountName=logs;AccountKey={s}")', [s]),
    lambda s=rs(44, A + "+/") : (f'Endpoint=sb://orders-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={s}=', [s]),
    lambda s=pw(): (f'jdbc:sqlserver://{host()}:1433;databaseName=app;user={user()};password={s}', [s]),
    lambda s=pw(): (f'jdbc:mysql://{host()}:3306/app?user={user()}&password={s}&useSSL=true', [s]),
    # --- Authorization headers / bearer / basic / cookies
    lambda s=jwt(): (f'{ts()} DEBUG request headers: Authorization: Bearer {s}', [s]),
    lambda s=opaque(40): (f'curl -s -H "Authorization: Bearer {s}" https://api.internal/v1/rollouts', [s]),
    lambda s=opaque(): (f'map[Accept:[application/json] Authorization:[Bearer {s}] User-Agent:[Go-http-client/1.1]]', [s]),
    lambda u=user(), p=pw(): (f'outgoing request authorization: Basic {basic(u, p)}', [basic(u, p)]),
    lambda u=user(), p=pw(): (f'{{"headers":{{"Authorization":"Basic {basic(u, p)}"}}}}', [basic(u, p)]),
    lambda s=ghp(): (f'> GET /repos/org/app HTTP/1.1\\r\\n> Authorization: token {s}', [s]),
    lambda s=opaque(): (f'{ts()} http: proxy-authorization: Bearer {s}', [s]),
    lambda s=opaque(): (f'retrying with bearer {s} after 401', [s]),
    lambda s=jwt(): (f'jwt verification failed for token {s}: signature is invalid', [s]),
    lambda s=jwt(): (f'{{"level":"warn","msg":"expired","id_token":"{s}"}}', [s]),
    lambda s=jwt(): (f'kubectl --token={s} get pods', [s]),
    lambda s=hexs(32): (f'< Set-Cookie: session={s}; Path=/; HttpOnly; Secure', [s]),
    lambda s=opaque(40), t=hexs(32): (f'Cookie: _ga=GA1.2.3; JSESSIONID={t}; remember_token={s}', [s, t]),
    lambda s=hexs(26): (f'"cookie": "PHPSESSID={s}; lang=en"', [s]),
    # --- vendor tokens
    lambda s=akia(), t=aws_secret(): (f'aws_access_key_id={s} aws_secret_access_key={t}', [s, t]),
    lambda s=akia(), t=aws_secret(): (f'{{"AccessKeyId":"{s}","SecretAccessKey":"{t}","SessionToken":"{opaque(120)}"}}', [s, t]),
    lambda s=akia(), t=aws_secret(): (f'credentials.csv: {user()},{s},{t}', [s, t]),
    lambda s=akia(): (f'botocore: Found credentials in environment variables. key id {s}', [s]),
    lambda s=akia(): (f'An error occurred (InvalidClientTokenId) for access key {s}', [s]),
    lambda t=aws_secret(): (f'AWS_SECRET_ACCESS_KEY={t}', [t]),
    lambda t=aws_secret(): (f'aws_secret_access_key = {t}', [t]),
    lambda s=gcp(): (f'firebase config apiKey "{s}" authDomain "app.firebaseapp.com"', [s]),
    lambda s=gcp(): (f'GOOGLE_MAPS_KEY={s}', [s]),
    lambda s=pem_body(): (f'{{"type": "service_account", "project_id": "prod-123", "private_key_id": "{hexs(40)}", "private_key": "-----BEGIN PRIVATE KEY-----\\n{s}\\n{b64(64)}\\n-----END PRIVATE KEY-----\\n", "client_email": "sa@prod-123.iam.gserviceaccount.com"}}', [s]),
    lambda s=pem_body(): (f'-----BEGIN RSA PRIVATE KEY----- {s} {b64(64)} -----END RSA PRIVATE KEY-----', [s]),
    lambda s=pem_body(): (f'tls.key: -----BEGIN EC PRIVATE KEY-----\\n{s}\\n-----END EC PRIVATE KEY-----', [s]),
    lambda s=pem_body(): (f'-----BEGIN OPENSSH PRIVATE KEY----- {s}', [s]),
    lambda s=rs(64, A + "+/"): (f'{s}', [s]),
    lambda s=ghp(): (f'GITHUB_TOKEN={s}', [s]),
    lambda s=ghp(): (f'remote: Invalid username or token {s}', [s]),
    lambda s=ghpat(): (f'gh auth login --with-token <<< {s}', [s]),
    lambda s=ghpat(): (f'{{"token":"{s}","scopes":["repo"]}}', [s]),
    lambda s=slack(): (f'slack client init token={s}', [s]),
    lambda s=slack(): (f'posting to #alerts with {s} failed: not_in_channel', [s]),
    lambda s=xapp(): (f'socket mode: app token {s}', [s]),
    lambda s=hook(): (f'notify: POST https://hooks.slack.com/services/{s} -> 200', [s]),
    lambda s=hook(): (f'{{"slack_webhook_url":"https://hooks.slack.com/services/{s}"}}', [s]),
    lambda s=stripe(): (f'stripe.api_key set to {s}', [s]),
    lambda s=stripe(): (f'Stripe::AuthenticationError: Invalid API Key provided: {s}', [s]),
    lambda s="whsec_" + rs(32): (f'verifying webhook with endpoint secret {s}', [s]),
    lambda s="sk-proj-" + rs(48, A + "-_"): (f'openai.AuthenticationError: Incorrect API key provided: {s}', [s]),
    lambda s="SG." + rs(22, A + "-_") + "." + rs(43, A + "-_"): (f'sendgrid client created with {s}', [s]),
    lambda s="npm_" + rs(36): (f'//registry.npmjs.org/:_authToken={s}', [s]),
    lambda s="ya29." + rs(60, A + "-_"): (f'google-auth: access token ya29 obtained {s}', [s]),
    lambda s=rs(3) + "8Q~" + rs(34, A + "_~.-"): (f'AZURE_CLIENT_SECRET={s}', [s]),
    lambda s=rs(3) + "8Q~" + rs(34, A + "_~.-"): (f'msal: acquiring token with client credential {s}', [s]),
    lambda s=base64.b64encode(json.dumps({"auths": {"registry.example.com": {"auth": basic("ci", pw())}}}).encode()).decode(): (f'.dockerconfigjson: {s}', [s]),
    lambda u=user(), p=pw(): (f'{{"auths":{{"ghcr.io":{{"auth":"{basic(u, p)}"}}}}}}', [basic(u, p)]),
    # --- CLI args / container args / k8s events
    lambda s=pw(): (f'args: [--db-password={s} --port=8080 --log-level=info]', [s]),
    lambda s=pw(): (f'["/app/server", "--password", "{s}", "--verbose"]', [s]),
    lambda s=opaque(): (f'command: ./migrate --database-url postgres://db/app --auth-token {s}', [s]),
    lambda s=pw(): (f'mysql -h {host()} -u {user()} -p{s} orders < dump.sql', [s]),
    lambda s=pw(): (f'mysqladmin -u root --password={s} ping', [s]),
    lambda s=pw(): (f'redis-cli -h {host()} -a {s} INFO replication', [s]),
    lambda s=pw(): (f'sqlcmd -S {host()} -U sa -P x -p {s}', [s]),
    lambda s=opaque(): (f'helm upgrade app ./chart --set image.tag=v2 --set api.secret={s}', [s]),
    lambda s=pw(): (f'docker login -u ci --password {s} registry.example.com', [s]),
    lambda s=opaque(): (f'vault login -method=userpass username=ci password={s}', [s]),
    lambda s=opaque(): (f'Container args changed: [serve --client-secret={s}]', [s]),
    lambda s=pw(): (f'Warning  Failed  3m  kubelet  Error: failed to start container: exec: "sh -c PGPASSWORD={s} pg_isready": not found', [s]),
    lambda s=opaque(): (f'Normal  Pulling  2m  kubelet  Pulling image with registry auth token={s}', [s]),
    lambda s=pw(): (f'Error from server (BadRequest): container "app" env: DB_PASS={s} invalid', [s]),
    lambda s=opaque(): (f'AnalysisRun failed: web metric query https://prom/api?query=up&api_key={s} returned 401', [s]),
    lambda s=jwt(): (f'Warning  FailedMount  kubelet  MountVolume.SetUp failed: token "{s}" rejected', [s]),
    lambda s=opaque(): (f'readinessProbe: httpGet: path: /health?token={s}', [s]),
    lambda s=pw(): (f'lifecycle.postStart: /bin/sh -c "echo {user()}:{s} | chpasswd" -- user password={s}', [s]),
    lambda s=pw(): (f'initContainer wait-for-db: pg_isready -d "postgresql://{user()}:{s}@{host()}/app"', [s]),
    lambda s=opaque(): (f'{ts()} WARN deprecated flag -api-key {s} ignored', [s]),
    lambda s=pw(): (f'ansible: ok: [host] => {{"changed": false, "ansible_password": "{s}"}}', [s]),
    lambda s=opaque(): (f'{ts()} kafka sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="{user()}" password="{s}";', [s]),
    lambda s=opaque(): (f'{ts()} elastic client headers Authorization: ApiKey {s}', [s]),
    lambda s=pw(): (f'smtp: AUTH LOGIN user={user()}@example.com pass={s}', [s]),
    lambda s=opaque(): (f'grpc metadata: [authorization: Bearer {s}] method=/orders.v1.Orders/Get', [s]),
    lambda s=opaque(): (f'{ts()} |ERROR| oauth2: cannot fetch token: 401 response: {{"error":"invalid_client"}} client_secret={s}', [s]),
    lambda s=opaque(): (f'Secret data (decoded): {{"api-key": "{s}"}}', [s]),
    lambda s=pw(): (f'ConfigMap app-config: application.yaml: |- datasource: password: {s}', [s]),
]

ORDINARY_TEMPLATES = [
    lambda: f'{ts()} INFO  request completed status=200 duration_ms={R.randint(1,900)} request_id={uuid()}',
    lambda: f'time="{ts()}" level=info msg="token usage" prompt_tokens={R.randint(10,4000)} completion_tokens={R.randint(10,900)} total_tokens={R.randint(100,5000)}',
    lambda: f'level=info msg="llm call" model=gpt-4o max_tokens={R.choice([256,1024,4096])} token_count={R.randint(1,99)}',
    lambda: f'{ts()} INFO password reset email sent to user {R.randint(1000,99999)}',
    lambda: f'{ts()} WARN password reset requested for account id={R.randint(100,9999)}',
    lambda: f'{ts()} ERROR failed to validate token: context deadline exceeded',
    lambda: f'{ts()} ERROR invalid token: {R.choice(["expired", "malformed", "signature mismatch", "audience mismatch"])}',
    lambda: f'Warning  FailedMount  {R.randint(1,59)}m  kubelet  MountVolume.SetUp failed for volume "db-creds" : secret "db-credentials" not found',
    lambda: f'Warning  Failed  {R.randint(1,59)}s  kubelet  Error: secret "{R.choice(["api-keys", "tls-cert", "app-secrets"])}" not found',
    lambda: f'Normal  Pulling  {R.randint(1,59)}s  kubelet  Pulling image "registry.example.com/orders@sha256:{hexs(64)}"',
    lambda: f'Normal  Pulled  {R.randint(1,59)}s  kubelet  Successfully pulled image "ghcr.io/org/app:v{R.randint(1,9)}.{R.randint(0,20)}.{R.randint(0,9)}" in {R.randint(100,9000)}ms',
    lambda: f'image digest sha256:{hexs(64)} verified',
    lambda: f'{ts()} request_id={uuid()} trace_id={hexs(32)} span_id={hexs(16)} GET /api/v1/orders 200',
    lambda: f'{{"level":"info","msg":"handled","trace_id":"{hexs(32)}","path":"/healthz","status":200}}',
    lambda: f'The client must send a Bearer token in the Authorization header',
    lambda: f'{ts()} WARN missing Authorization header; expected Bearer scheme',
    lambda: f'{ts()} INFO Basic authentication disabled for /metrics',
    lambda: f'{ts()} DEBUG auth middleware: scheme=Bearer claims validated for sub={R.randint(1000,9999)}',
    lambda: f'  valueFrom: secretKeyRef: {{name: db, key: password}}',
    lambda: f'env DB_PASSWORD from secretKeyRef {R.choice(["db-creds", "pg-secret"])}/password',
    lambda: f'{ts()} INFO cache key=default/web-{hexs(9)}-{rs(5, string.ascii_lowercase + string.digits)} hit=true',
    lambda: f'I0611 {R.randint(10,23)}:{R.randint(10,59)}:01.123456 1 controller.go:{R.randint(100,400)}] "Reconciling" key="argo-rollouts/{R.choice(["web", "api", "worker"])}"',
    lambda: f'{ts()} INFO reconcile rollout={R.choice(["web", "api"])} namespace=prod revision={R.randint(1,40)} phase=Degraded',
    lambda: f'Rollout "{R.choice(["web", "checkout", "api"])}" step {R.randint(0,8)}/9: setWeight {R.choice([10,20,50])}',
    lambda: f'AnalysisRun {R.choice(["web", "api"])}-{hexs(10)}-{R.randint(1,9)} metric "success-rate" failed: value 0.{R.randint(10,94)} < 0.95',
    lambda: f'{ts()} ERROR login failed for user {R.choice(["alice", "bob", "svc"])}: invalid password',
    lambda: f'{ts()} WARN user {R.randint(10,999)} entered wrong password {R.randint(1,5)} times',
    lambda: f'{ts()} INFO password policy: min_length=12 require_symbols=true',
    lambda: f'{ts()} INFO token refreshed, expires_in=3600 token_type=Bearer',
    lambda: f'{ts()} INFO session started session_count={R.randint(1,500)}',
    lambda: f'{ts()} DEBUG using api_key from env var API_KEY (len={R.randint(20,60)})',
    lambda: f'{ts()} INFO secret rotation completed for {R.choice(["db", "redis", "stripe"])} in {R.randint(1,99)}ms',
    lambda: f'{ts()} WARN secret "{R.choice(["payments", "orders"])}/tls" expires in {R.randint(1,30)} days',
    lambda: f'password_file=/run/secrets/db_password token_file=/var/run/secrets/kubernetes.io/serviceaccount/token',
    lambda: f'TOKEN_TTL=3600 KEY_PREFIX=orders: SESSION_TIMEOUT=30m',
    lambda: f'{ts()} INFO base64 payload decoded: {base64.b64encode(("event-" + str(R.randint(1,999))).encode()).decode()} ({R.randint(10,99)} bytes)',
    lambda: f'{ts()} DEBUG etag="{hexs(32)}" content-md5={base64.b64encode(bytes(R.getrandbits(8) for _ in range(16))).decode()}',
    lambda: f'pod/{R.choice(["web", "api", "worker"])}-{hexs(10)}-{rs(5, string.ascii_lowercase + string.digits)} Running 0 {R.randint(1,59)}m',
    lambda: f'replicaset.apps/{R.choice(["web", "api"])}-{hexs(9)} scaled to {R.randint(0,9)}',
    lambda: f'{ts()} INFO listening on 0.0.0.0:{R.choice([8080, 9090, 3000])}',
    lambda: f'{ip()} - - [11/Jun/2024:10:22:01 +0000] "GET /api/v1/orders?page={R.randint(1,9)}&limit=50 HTTP/1.1" 200 {R.randint(100,9999)} "-" "kube-probe/1.29"',
    lambda: f'{ip()} - - [11/Jun/2024:10:22:01 +0000] "POST /api/v1/login HTTP/1.1" 401 {R.randint(10,99)} "-" "Mozilla/5.0"',
    lambda: f'{ip()} - - [11/Jun/2024:10:22:01 +0000] "GET /password-reset?step=2 HTTP/1.1" 200 {R.randint(100,999)}',
    lambda: f'{ip()} - - [11/Jun/2024:10:22:01 +0000] "GET /api/tokens?page_size=20 HTTP/1.1" 200 {R.randint(100,999)}',
    lambda: f'{ts()} INFO GET /api/v1/items?next_page_token= returned {R.randint(1,99)} items',
    lambda: f'{ts()} ERROR connect to postgres://{host()}:5432/orders failed: connection refused',
    lambda: f'{ts()} INFO connecting to https://{R.choice(["api.stripe.com", "hooks.example.com", "auth.example.com"])}/v1/charges',
    lambda: f'{ts()} INFO redis at redis://{host()}:6379/0 ready',
    lambda: f'{ts()} INFO key rotation scheduled key_id={uuid()} algorithm=RS256',
    lambda: f'{ts()} INFO jwks fetched kid={hexs(16)} alg=RS256 use=sig',
    lambda: f'{ts()} INFO signature verified for webhook delivery {uuid()}',
    lambda: f'{ts()} DEBUG signal=SIGTERM received, draining connections',
    lambda: f'{ts()} INFO kafka partition_key=order-{R.randint(1000,99999)} routing_key=orders.created offset={R.randint(1,99999)}',
    lambda: f'{ts()} INFO idempotency_key={uuid()} duplicate request ignored',
    lambda: f'{ts()} WARN auth=oidc issuer=https://login.example.com audience=orders',
    lambda: f'{ts()} INFO session=new user_agent="Mozilla/5.0 (X11; Linux x86_64)"',
    lambda: f'panic: runtime error: invalid memory address or nil pointer dereference [signal SIGSEGV: segmentation violation code=0x1 addr=0x{hexs(2)} pc=0x{hexs(7)}]',
    lambda: f'goroutine {R.randint(1,999)} [running]:',
    lambda: f'main.(*Server).handleToken(0xc{hexs(9)}, {{0x{hexs(7)}, 0xc{hexs(9)}}})',
    lambda: f'\tat com.example.auth.TokenService.validate(TokenService.java:{R.randint(10,400)})',
    lambda: f'Traceback (most recent call last): File "/app/auth/password.py", line {R.randint(10,300)}, in check_password',
    lambda: f'jwt.exceptions.ExpiredSignatureError: Signature has expired',
    lambda: f'TypeError: Cannot read properties of undefined (reading \'token\') at /app/dist/auth.js:{R.randint(10,999)}:{R.randint(1,80)}',
    lambda: f'{ts()} INFO feature flag "new-password-hashing" enabled for {R.randint(1,100)}% of users',
    lambda: f'{ts()} DEBUG bcrypt cost={R.choice([10,12])} hashing took {R.randint(50,400)}ms',
    lambda: f'{ts()} INFO Generated {R.randint(1,50)} api keys for tenant {R.randint(100,999)}',
    lambda: f'{ts()} INFO secrets-store-csi mounted {R.randint(1,9)} objects',
    lambda: f'Normal  Created  {R.randint(1,59)}s  kubelet  Created container {R.choice(["app", "istio-proxy", "vault-agent"])}',
    lambda: f'Warning  BackOff  {R.randint(1,59)}s (x{R.randint(2,40)} over {R.randint(1,20)}m)  kubelet  Back-off restarting failed container',
    lambda: f'Warning  Unhealthy  {R.randint(1,59)}s  kubelet  Readiness probe failed: HTTP probe failed with statuscode: 503',
    lambda: f'Warning  FailedScheduling  {R.randint(1,59)}s  default-scheduler  0/{R.randint(3,9)} nodes are available: insufficient memory',
    lambda: f'Normal  ScalingReplicaSet  {R.randint(1,59)}s  rollouts-controller  Scaled up ReplicaSet web-{hexs(9)} to {R.randint(1,5)}',
    lambda: f'Warning  Failed  {R.randint(1,59)}s  kubelet  Failed to pull image "private.registry/app:v2": pull access denied, repository does not exist or may require authorization',
    lambda: f'Warning  Failed  kubelet  Error: ImagePullBackOff (imagePullSecrets: regcred)',
    lambda: f'Error: couldn\'t find key password in Secret prod/db-creds',
    lambda: f'{ts()} INFO OIDC discovery: token_endpoint=https://login.example.com/oauth2/token authorization_endpoint=https://login.example.com/authorize',
    lambda: f'{ts()} INFO oauth2 grant_type=client_credentials scope=orders.read',
    lambda: f'{ts()} WARN rate limited: {R.randint(1,99)} requests remaining, reset in {R.randint(1,59)}s',
    lambda: f'{ts()} INFO uploaded s3://backups/{R.choice(["db", "logs"])}/{R.randint(2020,2024)}/{R.randint(1,12)}/dump-{hexs(8)}.gz',
    lambda: f'{ts()} INFO object key=uploads/{uuid()}.png size={R.randint(1000,999999)}',
    lambda: f'{ts()} DEBUG sort_key=created_at primary_key=id table=orders',
    lambda: f'{ts()} INFO public_key fingerprint SHA256:{rs(43, A + "+/")}',
    lambda: f'ssh-keygen: Your public key has been saved in /home/ci/.ssh/id_ed25519.pub',
    lambda: f'The key fingerprint is SHA256:{rs(43, A + "+/")} ci@runner',
    lambda: f'{ts()} INFO certificate CN=orders.example.com serial={hexs(32)} notAfter=2025-01-01',
    lambda: f'{ts()} INFO tls: loaded certificate from /etc/tls/tls.crt and key from /etc/tls/tls.key',
    lambda: f'{ts()} INFO git commit {hexs(40)} deployed by {R.choice(["argo", "ci"])}',
    lambda: f'Switching to revision {hexs(40)} (HEAD -> main)',
    lambda: f'{ts()} INFO processed batch {uuid()} items={R.randint(1,999)} failed=0',
    lambda: f'{ts()} INFO cron job "rotate-keys" finished in {R.randint(1,99)}s',
    lambda: f'{ts()} WARN slow query ({R.randint(500,9000)}ms): SELECT id, email_hash FROM users WHERE token_id = $1',
    lambda: f'{ts()} ERROR pq: password authentication failed for user "{user()}"',
    lambda: f'{ts()} ERROR Access denied for user \'{user()}\'@\'{ip()}\' (using password: YES)',
    lambda: f'FATAL:  password authentication failed for user "{user()}"',
    lambda: f'{ts()} ERROR redis: NOAUTH Authentication required.',
    lambda: f'{ts()} ERROR WRONGPASS invalid username-password pair or user is disabled.',
    lambda: f'{ts()} ERROR aws: ExpiredToken: The security token included in the request is expired',
    lambda: f'{ts()} ERROR googleapi: Error 403: The caller does not have permission, forbidden',
    lambda: f'{ts()} ERROR stripe: No API key provided. Set your API key using "stripe.api_key = <API-KEY>"',
    lambda: f'{ts()} ERROR slack: invalid_auth',
    lambda: f'{ts()} ERROR github: 401 Bad credentials',
    lambda: f'{ts()} INFO using credentials from instance metadata (role={R.choice(["orders-task", "web-node"])})',
    lambda: f'{ts()} INFO Found credentials in shared credentials file: ~/.aws/credentials',
    lambda: f'{ts()} DEBUG token bucket refill rate={R.randint(1,100)}/s burst={R.randint(1,500)}',
    lambda: f'{ts()} INFO tokenizer loaded vocab_size={R.randint(30000,100000)} eos_token=</s>',
    lambda: f'{ts()} INFO csrf protection enabled, cookie name=csrftoken',
    lambda: f'{ts()} DEBUG set cookie theme=dark; Path=/',
    lambda: f'{ts()} INFO {R.randint(1,99)} sessions active, {R.randint(1,9)} expired',
    lambda: f'{ts()} INFO auth_mode=jwt auth_required=true authz=rbac',
    lambda: f'{ts()} WARN request authorization: denied for sub={R.randint(100,999)} action=delete',
    lambda: f'{ts()} INFO keyspace=orders keys={R.randint(100,9999)} expires={R.randint(1,99)}',
    lambda: f'{ts()} INFO Keycloak realm={R.choice(["prod", "staging"])} client_id=orders-web',
    lambda: f'{ts()} INFO client_id={uuid()} tenant_id={uuid()} subscription_id={uuid()}',
    lambda: f'{ts()} INFO AWS region=us-east-1 account={R.randint(100000000000, 999999999999)} role=arn:aws:iam::{R.randint(100000000000, 999999999999)}:role/orders',
    lambda: f'{ts()} INFO gcp project=prod-{R.randint(100,999)} service_account=orders@prod.iam.gserviceaccount.com',
    lambda: f'{ts()} INFO azure storage account=prodstore container=backups',
    lambda: f'{ts()} INFO mysql -h {host()} -u {user()} orders: connected',
    lambda: f'mkdir -p /var/lib/{R.choice(["data", "app", "cache"])} && chown 1000:1000 /var/lib/data',
    lambda: f'ssh -p {R.choice([22, 2222])} deploy@bastion "systemctl restart app"',
    lambda: f'docker run -p {R.choice([8080, 3000])}:80 -e LOG_LEVEL=debug nginx:1.25',
    lambda: f'args: [--port=8080 --log-level=info --metrics-addr=:9090 --leader-elect]',
    lambda: f'["/app/server", "--config", "/etc/app/config.yaml", "--verbose"]',
    lambda: f'command: ./migrate --database-url-file /etc/db/url --timeout 30s',
    lambda: f'args: [--token-file=/var/run/secrets/token --password-file /run/secrets/pw]',
    lambda: f'{ts()} INFO started with --secret-name=app-secrets --key-ring=prod',
    lambda: f'helm upgrade app ./chart --set image.tag=v{R.randint(1,9)}.{R.randint(0,9)} --set replicas={R.randint(1,9)}',
    lambda: f'kubectl create secret generic db-creds --from-file=password=./pw.txt',
    lambda: f'kubectl get secret db-creds -o jsonpath={{.data.password}}',
    lambda: f'{ts()} INFO Applied Secret prod/db-creds (keys: username, password)',
    lambda: f'secretName: {R.choice(["tls-orders", "db-creds"])}  key: tls.key',
    lambda: f'      - secretRef: {{name: app-env}}',
    lambda: f'  password:',
    lambda: f'  token: {{}}',
    lambda: f'  apiKey: ${{API_KEY}}',
    lambda: f'  password: $(DB_PASSWORD)',
    lambda: f'  clientSecret: "<redacted>"',
    lambda: f'password=****** user={user()}',
    lambda: f'token=[REDACTED] user={user()}',
    lambda: f'api_key=<hidden> region=eu-west-1',
    lambda: f'{{"password": null, "password_set": true}}',
    lambda: f'{{"token": "", "token_type": "Bearer", "expires_in": 3600}}',
    lambda: f'{{"secret": false, "public": true, "id": "{uuid()}"}}',
    lambda: f'{ts()} INFO schema field "password" marked sensitive',
    lambda: f'{ts()} INFO validated form fields: username, password, remember_me',
    lambda: f'{ts()} INFO Bearer tokens expire after 3600 seconds',
    lambda: f'{ts()} DEBUG http: TLS handshake error from {ip()}:{R.randint(30000,60000)}: EOF',
    lambda: f'{ts()} INFO websocket connected sid_count={R.randint(1,99)}',
    lambda: f'{ts()} INFO side={R.choice(["buy", "sell"])} inside_spread=true',
    lambda: f'{ts()} INFO passthrough=true bypass_cache=false compass_heading={R.randint(0,359)}',
    lambda: f'{ts()} INFO design=v2 assigned_to=team-{R.randint(1,9)}',
    lambda: f'{ts()} INFO turkey=false monkey_patch=enabled hockey_score={R.randint(0,9)}',
    lambda: f'{ts()} INFO base64 config blob length={R.randint(100,9999)} checksum={hexs(8)}',
    lambda: f'{ts()} INFO message_id={R.randint(10**9,10**10)} dedup_key=order-{R.randint(1,9999)}',
    lambda: f'{ts()} INFO lock key=rollout/{R.choice(["web", "api"])} acquired by {R.choice(["pod-a", "pod-b"])}',
    lambda: f'{ts()} INFO label key=app.kubernetes.io/name value=orders',
    lambda: f'{ts()} INFO annotation key=rollout.argoproj.io/revision value={R.randint(1,99)}',
    lambda: f'{ts()} WARN Deprecated: use --auth-type instead of --auth',
    lambda: f'{ts()} INFO version 1.{R.randint(0,20)}.{R.randint(0,9)} build {hexs(7)} go1.22.4',
    lambda: f'{ts()} INFO uptime={R.randint(1,9999)}s goroutines={R.randint(1,999)} heap_mb={R.randint(1,999)}',
    lambda: f'{ts()} INFO user alice@example.com logged in from {ip()}',
    lambda: f'{ts()} INFO mail sent to ops@example.com subject="Rollout degraded"',
    lambda: f'{ts()} INFO email verification token sent (expires in 24h)',
    lambda: f'{ts()} INFO oauth callback received state={hexs(8)}',
    lambda: f'{ts()} INFO 2FA code sent via sms to ***-***-{R.randint(1000,9999)}',
    lambda: f'{ts()} INFO pagination cursor=eyJpZCI6{R.randint(10,99)}fQ has_more=true',
    lambda: f'{ts()} DEBUG decoded state={{"step":{R.randint(1,9)},"ok":true}}',
    lambda: f'{ts()} INFO generated UUID {uuid()} for job',
    lambda: f'{ts()} INFO checksum sha512={hexs(128)}',
    lambda: f'{ts()} INFO nonce={hexs(12)} iteration={R.randint(1,99)}',
    lambda: f'{ts()} INFO metric http_requests_total{{code="200",method="GET"}} {R.randint(1,99999)}',
    lambda: f'rollouts-controller: step index {R.randint(0,9)}, weight {R.randint(0,100)}, paused=false, abort=true',
    lambda: f'{ts()} ERROR upstream connect error or disconnect/reset before headers. reset reason: connection failure',
    lambda: f'{ts()} WARN OOMKilled: container app exceeded memory limit {R.choice([256,512,1024])}Mi',
    lambda: f'{ts()} INFO Authorization policy {R.choice(["allow-orders", "deny-all"])} applied',
    lambda: f'{ts()} INFO authorization check passed for sub={R.randint(100,999)} resource=orders',
    lambda: f'{ts()} INFO Using Basic auth for registry mirror',
    lambda: f'{ts()} INFO credentials provider chain: env -> file -> imds',
    lambda: f'{ts()} INFO cookie consent banner shown',
    lambda: f'{ts()} INFO keyboard layout us, key repeat 25ms',
    lambda: f'{ts()} INFO tokens_per_second={R.randint(10,99)}.{R.randint(0,9)}',
    lambda: f'{ts()} INFO secretary service ready',
    lambda: f'{ts()} INFO passport.js strategy=local initialized',
    lambda: f'{ts()} INFO KEY_ID={uuid()} ROTATED_AT={ts()}',
]

def main():
    secrets = []
    for rep in range(2):
        for t in secret_templates():
            line, ss = t()
            assert "\t" not in line and "\n" not in line, line
            for s in ss:
                assert s and s in line, (line, s)
            secrets.append("\t".join([line] + ss))
    ordinary = []
    for rep in range(4):
        for t in ORDINARY_TEMPLATES:
            line = t()
            assert "\n" not in line, line
            if line not in ordinary:
                ordinary.append(line)
    with open(os.path.join(HERE, "secrets.txt"), "w") as f:
        f.write("# line<TAB>secret[<TAB>secret...]: every secret must be gone after Redactor::line\n")
        f.write("\n".join(secrets) + "\n")
    with open(os.path.join(HERE, "ordinary.txt"), "w") as f:
        f.write("# ordinary log lines with no secrets: Redactor::line must return them unchanged\n")
        f.write("\n".join(ordinary) + "\n")
    print(len(secrets), "secret lines,", len(ordinary), "ordinary lines")

if __name__ == "__main__":
    main()
