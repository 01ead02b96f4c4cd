//! The families a finding belongs to: the kind of credential, named for people reading a
//! report. A family groups rules; it never changes what is redacted.

use std::fmt;

/// The kind of credential a rule detects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// AWS access key ids, secret access keys, session tokens, MWS and AppSync keys.
    Aws,
    /// Google Cloud / Google: API keys, OAuth client secrets, access and refresh tokens.
    Gcp,
    /// Azure storage keys, SAS signatures, DevOps tokens, AD client secrets.
    Azure,
    /// GitHub classic, fine-grained, OAuth, user-to-server, app and refresh tokens.
    GitHub,
    /// GitLab personal, pipeline, deploy and runner tokens.
    GitLab,
    /// Slack bot, user and app tokens and webhooks.
    Slack,
    /// Stripe secret and restricted keys, webhook secrets.
    Stripe,
    /// Twilio API keys.
    Twilio,
    /// SendGrid API keys.
    SendGrid,
    /// Mailgun API keys.
    Mailgun,
    /// Shopify access tokens and app secrets.
    Shopify,
    /// npm access tokens.
    Npm,
    /// PyPI upload tokens.
    PyPi,
    /// crates.io API tokens.
    CratesIo,
    /// Docker Hub personal and organisation access tokens.
    DockerHub,
    /// HuggingFace user and organisation tokens.
    HuggingFace,
    /// OpenAI API keys (every `sk-` form).
    OpenAi,
    /// Anthropic API keys (`sk-ant-`).
    Anthropic,
    /// Other AI providers: Groq, Tavily, Firecrawl, Jina, xAI, Replicate, Perplexity.
    AiProvider,
    /// Other SaaS tokens: Atlassian, DigitalOcean, Doppler, Vault, New Relic, Okta, …
    Saas,
    /// JSON Web Tokens.
    Jwt,
    /// PEM and base64-PEM private keys.
    PrivateKey,
    /// WireGuard private and preshared keys.
    WireGuard,
    /// age secret keys.
    Age,
    /// Password hashes: bcrypt, md5crypt, sha256crypt, sha512crypt, yescrypt, argon2, Kerberos.
    PasswordHash,
    /// Passwords inside URLs (`scheme://user:pass@host`).
    UrlCredentials,
    /// Passwords in ODBC / .NET connection strings and credential constructors.
    ConnectionString,
    /// `Authorization:` header values, `Bearer` and `Basic` credentials, `curl -u`.
    HttpAuth,
    /// `.netrc` passwords.
    Netrc,
    /// Generic `key|token|secret|password = value` assignments and command-line flags.
    Generic,
}

impl Family {
    /// The stable lowercase name used in reports and `--json` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Aws => "aws",
            Family::Gcp => "gcp",
            Family::Azure => "azure",
            Family::GitHub => "github",
            Family::GitLab => "gitlab",
            Family::Slack => "slack",
            Family::Stripe => "stripe",
            Family::Twilio => "twilio",
            Family::SendGrid => "sendgrid",
            Family::Mailgun => "mailgun",
            Family::Shopify => "shopify",
            Family::Npm => "npm",
            Family::PyPi => "pypi",
            Family::CratesIo => "crates-io",
            Family::DockerHub => "docker-hub",
            Family::HuggingFace => "huggingface",
            Family::OpenAi => "openai",
            Family::Anthropic => "anthropic",
            Family::AiProvider => "ai-provider",
            Family::Saas => "saas",
            Family::Jwt => "jwt",
            Family::PrivateKey => "private-key",
            Family::WireGuard => "wireguard",
            Family::Age => "age",
            Family::PasswordHash => "password-hash",
            Family::UrlCredentials => "url-credentials",
            Family::ConnectionString => "connection-string",
            Family::HttpAuth => "http-auth",
            Family::Netrc => "netrc",
            Family::Generic => "generic",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
