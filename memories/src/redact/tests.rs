//! Unit tests of the redaction rules: one positive and one near miss per family, structure kept,
//! idempotence, PEM blocks in every shape, and what must never be redacted.

use pretty_assertions::assert_eq;

use super::*;

/// `input` redacts to `expected`, and a finding of `family` is among the findings.
#[track_caller]
fn assert_redacts(family: Family, input: &str, expected: &str) {
    let result = redact(input);
    assert_eq!(result.text, expected);
    assert!(
        result.findings.iter().any(|f| f.family == family),
        "no {family} finding in {:?}",
        result.findings
    );
    assert_eq!(redact(&result.text).text, result.text, "not idempotent");
}

/// `input` comes back unchanged.
#[track_caller]
fn assert_keeps(input: &str) {
    let result = redact(input);
    assert_eq!(result.text, input, "findings: {:?}", result.findings);
    assert!(!contains_secret(input));
}

#[test]
fn aws_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Aws,
        r#"export AWS_ACCESS_KEY_ID=AKIA80O2RAK1VRJNVGFY
aws_secret_access_key = mTSHf6pWkLUyifDLkDmWJ6UuVTAIjvFu7WICPhDe
"#,
        r#"export AWS_ACCESS_KEY_ID=[REDACTED_SECRET]
aws_secret_access_key = [REDACTED_SECRET]
"#,
    );
    assert_keeps(
        r#"AKIA1234 is too short; arn:aws:iam::123456789012:user/deploy stays
"#,
    );
}

#[test]
fn gcp_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Gcp,
        r#"{"api_key": "AIzaOZIiBOB-Y6sHrFH2ZUCr-lgotu2iXW7GboI"}"#,
        r#"{"api_key": "[REDACTED_SECRET]"}"#,
    );
    assert_keeps(r#"see https://console.cloud.google.com/apis/credentials?project=AIzaProject"#);
}

#[test]
fn azure_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Azure,
        r#"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=RoL3u6aHwnMztVuaP+coUNEhEkk+iqq8vH2BzNZV45pFCiRcDCajhDieQjEJ+Bq8F80ymm3T207gmhZRnFyy5r==;EndpointSuffix=core.windows.net"#,
        r#"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=[REDACTED_SECRET];EndpointSuffix=core.windows.net"#,
    );
    assert_keeps(r#"AccountName=<YOUR_ACCOUNT_NAME>;AccountKey=<YOUR_ACCOUNT_KEY>;"#);
}

#[test]
fn github_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::GitHub,
        r#"git remote set-url origin https://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@github.com/acme/app.git
GH_FINE=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"#,
        r#"git remote set-url origin https://[REDACTED_SECRET]@github.com/acme/app.git
GH_FINE=[REDACTED_SECRET]"#,
    );
    assert_keeps(r#"the ghp_ prefix marks a classic token; gho_short is not one"#);
}

#[test]
fn gitlab_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::GitLab,
        r#"--build-arg 'GO_REPO_TOKEN=glpat-iEZpFfk1OHAOEHYqM6Oj'"#,
        r#"--build-arg 'GO_REPO_TOKEN=[REDACTED_SECRET]'"#,
    );
    assert_keeps(r#"glpat-short and glpat- prefixes are documented"#);
}

#[test]
fn slack_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Slack,
        r#"SLACK_BOT_TOKEN=xoxb-079911838425-1354278498084-7Qg84iqh4gVJjrsMnTvnRO2q
hook: https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/aBcDeFgHiJkLmNoPqRsTuVwX"#,
        r#"SLACK_BOT_TOKEN=[REDACTED_SECRET]
hook: https://hooks.slack.com/services/[REDACTED_SECRET]"#,
    );
    assert_keeps(
        r#"post to https://hooks.slack.com/services/ once configured; xoxb-tokens start so"#,
    );
}

#[test]
fn stripe_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Stripe,
        r#"Stripe.api_key = "sk_live_GFq562dfOB1rcavXiOqkVCJT""#,
        r#"Stripe.api_key = "[REDACTED_SECRET]""#,
    );
    assert_keeps(r#"const publishable = "pk_live_51Habcdefghijklmnop"; // sk_live_ is secret"#);
}

#[test]
fn twilio_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Twilio,
        r#"const apiKeySid = 'SKd03241b4d419b1b673bd4755d05ad785';"#,
        r#"const apiKeySid = '[REDACTED_SECRET]';"#,
    );
    assert_keeps(r#"SKIPPED 12 tests; SKU 8f14e45fceea167a5a36dedd4bea2543"#);
}

#[test]
fn sendgrid_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::SendGrid,
        r#"sendgrid.setApiKey('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')"#,
        r#"sendgrid.setApiKey('[REDACTED_SECRET]')"#,
    );
    assert_keeps(r#"SG.example is the SendGrid prefix"#);
}

#[test]
fn mailgun_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Mailgun,
        r#"var apiKey = process.env.MAILGUN_API || 'key-eee6f529a279764017f2ed6cfc7403d7'"#,
        r#"var apiKey = process.env.MAILGUN_API || '[REDACTED_SECRET]'"#,
    );
    assert_keeps(r#"primary key-value store; key-rotation-policy"#);
}

#[test]
fn shopify_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Shopify,
        r#"$token = "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";"#,
        r#"$token = "[REDACTED_SECRET]";"#,
    );
    assert_keeps(r#"shop: acme.myshopify.com; shpat_ marks an admin token"#);
}

#[test]
fn npm_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Npm,
        r#"//registry.npmjs.org/:_authToken=npm_ySjTneAAvIDAdn1Ay5XL8Sb24WKyEa8wtWy2"#,
        r#"//registry.npmjs.org/:_authToken=[REDACTED_SECRET]"#,
    );
    assert_keeps(r#"npm_config_cache=/tmp/npm-cache npm_lifecycle_event=test"#);
}

#[test]
fn pypi_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::PyPi,
        r#"password: pypi-AgEIcHlwaS5vcmc1C_CI3_dXRZv7qdYdk2r7xgHWPB6PRWJ1Gk8cgSCifdFzctEq8oB7GVvouNn"#,
        r#"password: [REDACTED_SECRET]"#,
    );
    assert_keeps(r#"twine upload --username __token__ --password "$PYPI_TOKEN" dist/*"#);
}

#[test]
fn crates_io_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::CratesIo,
        r#"CARGO_REGISTRY_TOKEN=cioLb7tKR69yz8TmeLS1OpgSXt2RMZhYKYc"#,
        r#"CARGO_REGISTRY_TOKEN=[REDACTED_SECRET]"#,
    );
    assert_keeps(r#"cargo publish --token "${CARGO_REGISTRY_TOKEN}"; precious ciphers"#);
}

#[test]
fn docker_hub_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::DockerHub,
        r#"docker login -u acme -p dckr_pat_S2ViRb1_n3U6t3wI973IPFlJ5F7"#,
        r#"docker login -u acme -p [REDACTED_SECRET]"#,
    );
    assert_keeps(r#"docker run -u 1000 -p 8080:80 nginx"#);
}

#[test]
fn huggingface_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::HuggingFace,
        r#"HF_TOKEN:"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""#,
        r#"HF_TOKEN:"[REDACTED_SECRET]""#,
    );
    assert_keeps(r#"from huggingface_hub import hf_hub_download  # hf_transfer enabled"#);
}

#[test]
fn openai_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::OpenAi,
        r#"client = OpenAI(api_key="sk-proj-_5clLCZFNV8S2QT6INGDpyOpxyB9JKmyLDUwMbqJfgLq_nbK")"#,
        r#"client = OpenAI(api_key="[REDACTED_SECRET]")"#,
    );
    assert_keeps(r#"pip install scikit-learn  # import sklearn; see sk-learn docs"#);
}

#[test]
fn anthropic_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Anthropic,
        r#"ANTHROPIC_API_KEY=sk-ant-api03-894RxgG9oiZ_jgttMkFp1CW54M2NhmABHkuEwjua058LeDKK6jDHz2oCtIsjhvNK4p7MZI-4kf3PGdlDcIfw84Jx3_l8SAA"#,
        r#"ANTHROPIC_API_KEY=[REDACTED_SECRET]"#,
    );
    assert_keeps(r#"keys start with sk-ant- and are long"#);
}

#[test]
fn ai_provider_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::AiProvider,
        r#"const apiKey = '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';"#,
        r#"const apiKey = '[REDACTED_SECRET]';"#,
    );
    assert_keeps(r#"gsk_ prefixed keys come from console.groq.com"#);
}

#[test]
fn saas_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Saas,
        r#"DOPPLER_TOKEN=dp.pt.sC4SFhbOMZpTktJaJAfo16hD8hP1jF7TsGTrA1EEpDJ"#,
        r#"DOPPLER_TOKEN=[REDACTED_SECRET]"#,
    );
    assert_keeps(r#"dp.pt. prefixes a Doppler personal token"#);
}

#[test]
fn jwt_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Jwt,
        r#"Cookie: session=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFkYSJ9.sXyriJ1RIaKM_t59SQW6PyEXD0fO8WXt-eqQm4m6bs0"#,
        r#"Cookie: session=[REDACTED_SECRET]"#,
    );
    assert_keeps(r#"the eyeball test; eyJhbGciOiJIUzI1NiJ9 alone is only a header"#);
}

#[test]
fn wireguard_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::WireGuard,
        r#"[Interface]
PrivateKey = tj8HRYkQWO+eiEKDl3mm4vMdfPhLTV3sF0xvwkWE/sD=
Address = 10.0.0.2/32
"#,
        r#"[Interface]
PrivateKey = [REDACTED_SECRET]
Address = 10.0.0.2/32
"#,
    );
    assert_keeps(
        r#"[Peer]
PublicKey = tj8HRYkQWO+eiEKDl3mm4vMdfPhLTV3sF0xvwkWE/sD=
AllowedIPs = 0.0.0.0/0
"#,
    );
}

#[test]
fn age_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Age,
        r#"# public key: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
AGE-SECRET-KEY-1ASASQAJ2YUKNMSANVC7X0CKJJPE3QRLJWKWVSGXZNUZHG9J56TVGH32S7J
"#,
        r#"# public key: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
[REDACTED_SECRET]
"#,
    );
    assert_keeps(
        r#"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p is a recipient"#,
    );
}

#[test]
fn a_token_after_an_escaped_newline_in_json_text_is_redacted() {
    // JSON-escaped text (a tool output quoted in a log line or an error body): the `n` of `\n`
    // is a letter, but the escape ends the word before the token.
    assert_redacts(
        Family::Age,
        r#"{"output":"key file:\nAGE-SECRET-KEY-1ASASQAJ2YUKNMSANVC7X0CKJJPE3QRLJWKWVSGXZNUZHG9J56TVGH32S7J\n"}"#,
        r#"{"output":"key file:\n[REDACTED_SECRET]\n"}"#,
    );
    assert_redacts(
        Family::GitHub,
        r#"{"error":"bad credentials\t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"}"#,
        r#"{"error":"bad credentials\t[REDACTED_SECRET]"}"#,
    );
    assert_keeps(r#"the prefixAGE-SECRET-KEY-1 glued to a word is not a key"#);
}

#[test]
fn password_hash_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::PasswordHash,
        r#"admin:$2b$12$Ro7jsCYUlYbHp6VHWVnD8dPCi7M0orfeM/omErX6V1t1m.0JeVB44:19000:0:99999:7:::"#,
        r#"admin:$2b$12$[REDACTED_SECRET]:19000:0:99999:7:::"#,
    );
    assert_keeps(r#"price: $2 and $5 and $6 each; echo $1$2"#);
}

#[test]
fn url_credentials_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::UrlCredentials,
        r#"DATABASE_URL=postgres://app:s3cr3t-Pa55@db.internal:5432/app"#,
        r#"DATABASE_URL=postgres://app:[REDACTED_SECRET]@db.internal:5432/app"#,
    );
    assert_keeps(
        r#"DATABASE_URL=postgres://app@db.internal:5432/app and https://example.com:8443/x@y"#,
    );
}

#[test]
fn connection_string_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::ConnectionString,
        r#"Server=sql01;Database=Orders;User Id=svc_orders;Password=Xk9#mP2q;Encrypt=True;"#,
        r#"Server=sql01;Database=Orders;User Id=svc_orders;Password=[REDACTED_SECRET];Encrypt=True;"#,
    );
    assert_keeps(r#"Server=sql01;Database=Orders;Integrated Security=True;Encrypt=True;"#);
}

#[test]
fn http_auth_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::HttpAuth,
        r#"curl -H "Authorization: Bearer a1F9x0Qz7Lm3Kp2Rt8Vw" https://api.example.com"#,
        r#"curl -H "Authorization: Bearer [REDACTED_SECRET]" https://api.example.com"#,
    );
    assert_keeps(r#"Bearer authentication is described in RFC 6750; use Basic auth only over TLS"#);
}

#[test]
fn netrc_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Netrc,
        r#"machine api.example.com
  login deploy
  password Tr0ub4dor&3
"#,
        r#"machine api.example.com
  login deploy
  password [REDACTED_SECRET]
"#,
    );
    assert_keeps(r#"machine learning pipelines log in with a password manager"#);
}

#[test]
fn generic_secrets_are_redacted_and_near_misses_kept() {
    assert_redacts(
        Family::Generic,
        r#"DB_PASSWORD=hunter2-prod
api_token: "f9A2kQ7zL0pX3mN8"
"#,
        r#"DB_PASSWORD=[REDACTED_SECRET]
api_token: "[REDACTED_SECRET]"
"#,
    );
    assert_keeps(
        r#"password = None
token = getToken()
password: "changeme"
secret: <your-password>
TOKEN=${GITHUB_TOKEN}
api_key: xxx
"#,
    );
}

#[test]
fn the_rule_set_compiles() {
    assert!(
        scan::RULE_SET.as_ref().is_ok(),
        "{:?}",
        scan::RULE_SET.as_ref().err()
    );
}

#[test]
fn only_the_value_is_replaced_and_key_separator_and_quotes_stay() {
    let input = r#"password = "Zq7!mR2#vL9x"
config = { 'api_key': 'k7Qm2xR9vL3pW8sN4tY6' }
export GITHUB_TOKEN='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'
{"client_secret":"Hq8vN2mL5xR7kP3w"}
"#;
    let expected = r#"password = "[REDACTED_SECRET]"
config = { 'api_key': '[REDACTED_SECRET]' }
export GITHUB_TOKEN='[REDACTED_SECRET]'
{"client_secret":"[REDACTED_SECRET]"}
"#;
    assert_eq!(redact(input).text, expected);
}

#[test]
fn findings_point_at_the_secret_bytes_of_the_input() {
    let input = "user=ada password=Xk9mP2qL7 next";
    let result = redact(input);
    assert_eq!(
        result.findings,
        vec![Finding {
            family: Family::Generic,
            rule: "generic-password",
            span: 18..27,
        }]
    );
    assert_eq!(&input[18..27], "Xk9mP2qL7");
}

#[test]
fn redacting_redacted_text_changes_nothing() {
    let inputs = [
        "password = \"[REDACTED_SECRET]\"",
        "postgres://user:[REDACTED_SECRET]@host/db",
        "Authorization: Bearer [REDACTED_SECRET]",
        "TOKEN=[REDACTED_SECRET]\nsecret: [REDACTED_SECRET]",
        "-----BEGIN PRIVATE KEY-----\n[REDACTED_SECRET]\n-----END PRIVATE KEY-----",
        "[REDACTED_SECRET]",
    ];
    for input in inputs {
        assert_keeps(input);
    }
    let once = redact(
        "DB_PASSWORD=hunter2-prod 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 postgres://a:b3cr3t@h/d",
    )
    .text;
    assert_eq!(redact(&once).text, once);
}

#[test]
fn placeholders_variables_and_calls_stay() {
    assert_keeps(
        r#"password = None
token = getToken()
password: "changeme"
password = "<your-password>"
secret = "${VAR}"
api_key = "xxx"
self.password = password
token: str
password = os.environ["DB_PASSWORD"]
api_key = settings.OPENAI_API_KEY
password: ${{ secrets.DB_PASSWORD }}
"#,
    );
}

#[test]
fn a_multi_line_pem_block_keeps_its_markers() {
    let input = "key:\n-----BEGIN RSA PRIVATE KEY-----\nEUmVThYJyp6lBcgQFqAiABDQsaJsqGwodqbTEPcwHgq1oi85Un5CfM6dh9Z2n+4j\nkPsiqJPWL63moB35D0R6Z1mO2OGVt8ilkl3mVqhQp0T2gKNTnBt9CnSVoJC2dIdx\n-----END RSA PRIVATE KEY-----\ndone\n";
    assert_redacts(
        Family::PrivateKey,
        input,
        "key:\n-----BEGIN RSA PRIVATE KEY-----\n[REDACTED_SECRET]\n-----END RSA PRIVATE KEY-----\ndone\n",
    );
}

#[test]
fn a_pem_block_inside_a_json_string_with_escaped_newlines_is_caught() {
    let input = r#"tool output: {"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\nEUmVThYJyp6lBcgQFqAiABDQsaJsqGwodqbTEPcwHgq1oi85Un5CfM6dh9Z2n+4j\nkPsiqJPWL63moB35D0R6Z1mO2OGVt8ilkl3mVqhQp0T2gKNTnBt9CnSVoJC2dIdx\n-----END PRIVATE KEY-----\n", "client_email": "ci@acme.iam.gserviceaccount.com"}"#;
    assert_redacts(
        Family::PrivateKey,
        input,
        r#"tool output: {"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\n[REDACTED_SECRET]\n-----END PRIVATE KEY-----\n", "client_email": "ci@acme.iam.gserviceaccount.com"}"#,
    );
}

#[test]
fn a_pem_block_cut_before_its_end_marker_is_redacted_to_its_last_key_line() {
    let input = "-----BEGIN OPENSSH PRIVATE KEY-----\nEUmVThYJyp6lBcgQFqAiABDQsaJsqGwodqbTEPcwHgq1oi85Un5CfM6dh9Z2n+4j\nkPsiqJPWL63moB35D0R6Z1mO2OGVt8ilkl3mVqhQp0T2gKNTnBt9CnSVoJC2dIdx\n[... 812 bytes omitted ...]\n";
    assert_redacts(
        Family::PrivateKey,
        input,
        "-----BEGIN OPENSSH PRIVATE KEY-----\n[REDACTED_SECRET]\n[... 812 bytes omitted ...]\n",
    );
}

#[test]
fn a_pem_block_built_by_string_concatenation_is_caught() {
    let input = "String key = \"-----BEGIN EC PRIVATE KEY-----\" +\n\"EUmVThYJyp6lBcgQFqAiABDQsaJsqGwodqbTEPcwHgq1oi85Un5CfM6dh9Z2n+4j\" +\n\"-----END EC PRIVATE KEY-----\";";
    assert_redacts(
        Family::PrivateKey,
        input,
        "String key = \"-----BEGIN EC PRIVATE KEY-----\" +\n\"[REDACTED_SECRET]\" +\n\"-----END EC PRIVATE KEY-----\";",
    );
}

#[test]
fn a_public_key_or_certificate_is_not_a_secret() {
    assert_keeps(
        "-----BEGIN PUBLIC KEY-----\nEUmVThYJyp6lBcgQFqAiABDQsaJsqGwodqbTEPcwHgq1oi85Un5CfM6dh9Z2n+4j\n-----END PUBLIC KEY-----\n",
    );
    assert_keeps(
        "-----BEGIN CERTIFICATE-----\nkPsiqJPWL63moB35D0R6Z1mO2OGVt8ilkl3mVqhQp0T2gKNTnBt9CnSVoJC2dIdx\n-----END CERTIFICATE-----\n",
    );
}

#[test]
fn git_shas_uuids_integrity_hashes_and_images_are_never_redacted() {
    assert_keeps(
        r#"commit 9fceb02d0ae598e95dc970b74767f19372d61af8
merge: 3f786850e387550fdab836ed7e6dc881de23001b7c1a4f1d2b6b4ae0f4a1a4c1
Change-Id: I8f2e9c1d3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d
request_id: 123e4567-e89b-12d3-a456-426614174000
"key": "018f3a2b-7c4d-7e5f-8a9b-0c1d2e3f4a5b",
"integrity": "sha512-Vx6PqGHgrPzg4mg1A+H1Cs9mOQ9Ui6SNyEVfBFaJSdo2xkqKdqGlbt6E/BQbyD9JG8uNOAuvG5oPq2VPoT9g6Q==",
"integrity": "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
checksum = "a9e4a2d1c1f6f3f6b6dcb6f0a3ef6d3a3bcfb0e2f8b6a2c3d4e5f60718293a4b"
cache key: sccache-v1-2d5f7a9c1e3b4d6f8a0c2e4f6a8b0d2f
<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==">
"#,
    );
}

#[test]
fn github_tokens_carry_a_crc32_checksum() {
    assert_eq!(validate::crc32(b"123456789"), 0xcbf4_3926);
    assert!(validate::passes(
        rules::Check::GitHubChecksum,
        b"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"
    ));
}

#[test]
fn contains_secret_agrees_with_redact() {
    assert!(contains_secret(
        "export OPENAI_API_KEY=sk-proj-_5clLCZFNV8S2QT6INGDpyOpxyB9JKmyLDUwMbqJfgLq_nbK"
    ));
    assert!(!contains_secret(
        "plain text about keys, tokens and passwords"
    ));
    assert!(!contains_secret(""));
}

#[test]
fn non_ascii_text_around_a_secret_stays_intact() {
    assert_redacts(
        Family::Generic,
        "mot de passe — password: «Zq7mR2vL9» — fin",
        "mot de passe — password: «[REDACTED_SECRET]» — fin",
    );
}

#[test]
fn session_shapes_are_caught() {
    assert_redacts(
        Family::Generic,
        r#"{"auths": {"ghcr.io": {"auth": "YWRhOmdocF9zM2NyM3Q="}}}"#,
        r#"{"auths": {"ghcr.io": {"auth": "[REDACTED_SECRET]"}}}"#,
    );
    assert_redacts(
        Family::HttpAuth,
        "curl --user admin:admin https://jenkins.internal/api/json",
        "curl --user admin:[REDACTED_SECRET] https://jenkins.internal/api/json",
    );
    assert_redacts(
        Family::HttpAuth,
        "https://b.s3.amazonaws.com/f.zip?X-Amz-Expires=300&X-Amz-Signature=0f3c9a1b2d4e6f8a0c2e4a6b8d0f2a4c6e8a0b2d4f6a8c0e2a4b6d8f0a2c4e6f8a",
        "https://b.s3.amazonaws.com/f.zip?X-Amz-Expires=300&X-Amz-Signature=[REDACTED_SECRET]",
    );
    assert_redacts(
        Family::Generic,
        r#"{"output": "export API_TOKEN=f9A2kQ7zL0pX3mN8\nexport DEBUG=1\n"}"#,
        r#"{"output": "export API_TOKEN=[REDACTED_SECRET]\nexport DEBUG=1\n"}"#,
    );
    assert_redacts(
        Family::Generic,
        r#"\"password\": \"Zq7mR2vL9x\""#,
        r#"\"password\": \"[REDACTED_SECRET]\""#,
    );
    assert_keeps(
        "sudo -u postgres psql; git push -u origin main:main; docker run -u 1000:1000 img",
    );
}

#[test]
fn arbitrary_input_never_panics_and_redaction_is_idempotent() {
    const PIECES: &[&str] = &[
        "password",
        "token",
        "key",
        "secret",
        "pass",
        "pwd",
        "auth",
        "-u",
        "--user",
        "://",
        "@",
        ":",
        "=",
        "==",
        ":=",
        "=>",
        ",",
        ";",
        "\"",
        "'",
        "`",
        "\\\"",
        "\\n",
        "\\",
        "\n",
        " ",
        "\t",
        "$",
        "${",
        "{",
        "}",
        "[",
        "]",
        "(",
        ")",
        "-----BEGIN PRIVATE KEY-----",
        "-----END PRIVATE KEY-----",
        "ghp_",
        "sk-",
        "xoxb-",
        "AKIA",
        "eyJ",
        "Bearer ",
        "Basic ",
        "$2b$12$",
        "machine ",
        "LS0tLS1CRUdJTi",
        "«",
        "»",
        "é",
        "日本",
        "🔑",
        "Zq7mR2vL9x",
        "a1F9x0Qz7Lm3Kp2Rt8Vw",
        "0123456789abcdef",
        "AZDO",
        "NRAL",
        ":AA",
        "Q~",
        "-us",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..3000 {
        let len = (next() % 40) as usize;
        let input: String = (0..len)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect();
        let once = redact(&input);
        for finding in &once.findings {
            assert!(
                input.is_char_boundary(finding.span.start)
                    && input.is_char_boundary(finding.span.end)
            );
        }
        assert_eq!(redact(&once.text).text, once.text, "input: {input:?}");
        assert_eq!(
            contains_secret(&input),
            !once.findings.is_empty(),
            "input: {input:?}"
        );
    }
}

#[test]
fn a_token_longer_than_the_first_window_is_redacted_whole() {
    let payload = "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFkYSJ9".repeat(2000);
    let input = format!(
        "export AWS_SESSION_TOKEN=\"eyJhbGciOiJIUzUxMiJ9.{payload}.sXyriJ1RIaKM_t59SQW6PyEXD0fO8WXt\"\n"
    );
    assert_redacts(
        Family::Jwt,
        &input,
        "export AWS_SESSION_TOKEN=\"[REDACTED_SECRET]\"\n",
    );
}

#[test]
fn a_url_option_is_not_a_user_flag() {
    assert_keeps("jfrog rt dl --url=http://localhost:8071/artifactory generic-local/hello.txt");
}

#[test]
fn a_random_token_that_happens_to_start_like_a_placeholder_is_still_redacted() {
    // Found by the benchmark's dense corpus: a bearer token beginning with "yOuR".
    let input = "curl -H \"Authorization: Bearer yOuR3FAQ9gD9oRIeHzWxr7iHKqQNrNTbXXQaGRxg\" https://api.example.com/v1/items";
    let redacted = redact(input);
    assert!(!redacted.text.contains("yOuR3FAQ9gD9"), "{}", redacted.text);
    assert_keeps("password = \"your-password-here\"\napi_key = \"YOUR_API_KEY\"\n");
}
