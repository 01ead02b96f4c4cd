//! Secrets recognised by what surrounds them: PEM and other private keys, password hashes,
//! passwords in URLs, `Authorization` headers, command lines, `.netrc`, XML and .NET config, the
//! generic `key = value` assignment and last credentials written in prose. Only the secret part
//! is the group `s`.

use super::Check::*;
use super::{BASE64_PEM_AFTER_BYTES, Matcher, Rule, anchored, token};
use crate::redact::family::Family::*;

/// Private keys come first: their bodies contain anything.
pub(super) const PRIVATE_KEYS: &[Rule] = &[
    // Private keys.
    Rule {
        name: "pem-private-key",
        family: PrivateKey,
        triggers: &["-----BEGIN"],
        matcher: Matcher::Pem,
    },
    Rule {
        name: "base64-pem-private-key",
        family: PrivateKey,
        triggers: &["LS0tLS1CRUdJTi"],
        matcher: Matcher::Regex {
            pattern: r"^LS0tLS1CRUdJTi(?:[A-Za-z0-9+/]|\\r\\n|\\n|\r?\n){40,}={0,2}",
            before: 0,
            after: BASE64_PEM_AFTER_BYTES,
            word_start: true,
            check: Base64Pem,
        },
    },
    token(
        "age-secret-key",
        Age,
        &["AGE-SECRET-KEY-1"],
        r"^AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",
        Shape,
    ),
    anchored(
        "wireguard-key",
        WireGuard,
        &["privatekey", "presharedkey"],
        r"^(?i:PrivateKey|PresharedKey)\s*=\s*(?P<s>[A-Za-z0-9+/]{42,43}=)",
        Shape,
    ),
];

/// Hashes, URL and header credentials, command lines, config formats and the generic
/// assignment (last, so specific rules name shared findings).
pub(super) const CREDENTIALS: &[Rule] = &[
    // Password hashes: the algorithm and cost stay, salt and hash go.
    anchored(
        "bcrypt-hash",
        PasswordHash,
        &["$2a$", "$2b$", "$2x$", "$2y$", "$2$"],
        r"^\$2[abxy]?\$[0-9]{2}\$(?P<s>[./A-Za-z0-9]{53})",
        Shape,
    ),
    anchored(
        "md5crypt-hash",
        PasswordHash,
        &["$1$", "$apr1$"],
        r"^\$(?:1|apr1)\$(?P<s>[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22})",
        Shape,
    ),
    anchored(
        "sha256crypt-hash",
        PasswordHash,
        &["$5$"],
        r"^\$5\$(?P<s>(?:rounds=[0-9]+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43})",
        Shape,
    ),
    anchored(
        "sha512crypt-hash",
        PasswordHash,
        &["$6$"],
        r"^\$6\$(?P<s>(?:rounds=[0-9]+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{86})",
        Shape,
    ),
    anchored(
        "cisco-pbkdf2-hash",
        PasswordHash,
        &["$8$", "$9$"],
        r"^\$[89]\$(?P<s>[./A-Za-z0-9]{14}\$[./A-Za-z0-9]{43})",
        Shape,
    ),
    anchored(
        "yescrypt-hash",
        PasswordHash,
        &["$y$"],
        r"^\$y\$(?P<s>[./A-Za-z0-9]+\$[./A-Za-z0-9]{1,86}\$[./A-Za-z0-9]{43})",
        Shape,
    ),
    anchored(
        "argon2-hash",
        PasswordHash,
        &["$argon2"],
        r"^\$argon2(?:id|i|d)\$v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$(?P<s>[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+)",
        Shape,
    ),
    anchored(
        "kerberos-hash",
        PasswordHash,
        &["$krb5asrep$", "$krb5tgs$"],
        r#"^\$krb5(?:asrep|tgs)\$[0-9]+\$(?P<s>[^\s"']{40,})"#,
        Shape,
    ),
    // Credentials in URLs, headers, command lines and config formats.
    anchored(
        "url-credentials",
        UrlCredentials,
        &["://"],
        r#"^://[^\s:/?#@'"\\\[\]<>]*:(?P<s>[^\s/?#'"\\\[\]<>]+)@[A-Za-z0-9\[%._-]"#,
        Credential,
    ),
    anchored(
        "authorization-header",
        HttpAuth,
        &["authorization"],
        r#"^(?i:authorization)['"]?\s*[:=]\s*['"]?(?:(?i:basic|bearer|token|ssws|apikey|api-key|key)\s+)?(?P<s>[A-Za-z0-9._~+/=:-]{8,})"#,
        Token,
    ),
    token(
        "bearer-token",
        HttpAuth,
        &["bearer"],
        r"^(?i:bearer)\s+(?P<s>[A-Za-z0-9._~+/-]{8,}=*)",
        Token,
    ),
    token(
        "basic-auth",
        HttpAuth,
        &["basic "],
        r"^(?i:basic)\s+(?P<s>[A-Za-z0-9+/]{8,}={0,2})",
        BasicAuth,
    ),
    token(
        "cli-user-password",
        HttpAuth,
        &["-u", "--user"],
        r#"^(?:-u|--user)(?:\s+|=)['"]?[^\s:'"=/]{1,128}:(?P<s>[^\s'"]{3,})"#,
        CliPassword,
    ),
    token(
        "cli-user-then-password",
        Generic,
        &["-u"],
        r#"^-u\s*['"]?[^\s'"=:/]+['"]?\s+-p\s*['"]?(?P<s>[^\s'"]+)"#,
        CliPassword,
    ),
    anchored(
        "presigned-url-signature",
        HttpAuth,
        &["x-amz-signature=", "x-goog-signature="],
        r"^(?i:x-amz-signature|x-goog-signature)=(?P<s>[0-9a-f]{64,})",
        Shape,
    ),
    token(
        "netrc-password",
        Netrc,
        &["machine"],
        r"^machine\s+\S+\s+login\s+\S+\s+password\s+(?P<s>\S+)",
        Credential,
    ),
    token(
        "prose-password",
        Generic,
        &["password", "passphrase"],
        r#"^(?i:password|passphrase)\s+(?:(?i:for)\s+(?:(?i:the)\s+)?(?i:user)\s+['"][^'"\r\n]{1,64}['"]\s+)?(?i:is|was|to|of)\s+['"](?P<s>[^'"\r\n]{3,64})['"]"#,
        Credential,
    ),
    anchored(
        "xml-add-key-value",
        Generic,
        &["<add"],
        r#"^<add\s+key\s*=\s*"[^"]*(?i:password|pwd|secret|token|apikey|api_key|accesskey)[^"]*"\s+value\s*=\s*"(?P<s>[^"]+)""#,
        Credential,
    ),
    anchored(
        "dotnet-network-credential",
        ConnectionString,
        &["networkcredential("],
        r#"^(?i:NetworkCredential)\(\s*"[^"]*"\s*,\s*"(?P<s>[^"]+)""#,
        Credential,
    ),
    anchored(
        "dotnet-directory-entry",
        ConnectionString,
        &["directoryentry("],
        r#"^(?i:DirectoryEntry)\(\s*"[^"]*"\s*,\s*"[^"]*"\s*,\s*"(?P<s>[^"]+)""#,
        Credential,
    ),
    anchored(
        "jenkins-initial-admin-password",
        Saas,
        &["jenkins initial setup is required"],
        r"^(?i:jenkins initial setup is required)[^\n]*\n(?:[^\n]*\n){0,4}?\s*(?P<s>[a-f0-9]{32})\s",
        Shape,
    ),
    anchored(
        "terraform-variable-default",
        Generic,
        &["variable"],
        r#"^variable\s+"[^"]*(?i:token|secret|password|passwd|api_key|apikey|private_key)"\s*\{[^}]{0,200}?default\s*=\s*"(?P<s>[^"]+)""#,
        Token,
    ),
    // Last: `key|token|secret|password = value` in code, env files, YAML, JSON and shell.
    Rule {
        name: "generic-assignment",
        family: Generic,
        triggers: &[
            "password",
            "passwd",
            "passphrase",
            "pwd",
            "pass",
            "secret",
            "token",
            "crumb",
            "_pat",
            "-pat",
            "key",
            "auth",
            "login",
            "credential",
            "credentials",
        ],
        matcher: Matcher::Assignment,
    },
    // After it: the same words in prose ("my db password is …", "pw: …", "the token is …").
    Rule {
        name: "prose-credential",
        family: Generic,
        triggers: &[
            "password",
            "passwd",
            "passphrase",
            "passcode",
            "pwd",
            "pw",
            "pass",
            "pin",
            "secret",
            "token",
            "key",
        ],
        matcher: Matcher::Prose,
    },
];
