//! The rule table: every rule names its family, the literal triggers the prefilter looks for,
//! and how a match is confirmed around a trigger (an anchored regex, the PEM scanner, or the
//! generic assignment parser). Order is priority: when two rules claim the same bytes, the
//! earlier one names the finding. Patterns are byte regexes without Unicode classes; the part
//! to replace is the group named `s` (or the whole match when there is none).

use super::family::Family;

/// How far past the end of a trigger a token may reach, in bytes.
const TOKEN_AFTER_BYTES: usize = 1024;
/// How far past a base64-PEM trigger the encoded key may reach, in bytes.
const BASE64_PEM_AFTER_BYTES: usize = 16 * 1024;

/// The validation applied to what a regex captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    /// The regex shape is enough.
    Shape,
    /// At least two character classes and no long run of one character.
    Variety,
    /// GitHub tokens: a valid CRC32 checksum, or else enough variety.
    GitHubChecksum,
    /// A user-chosen credential: anything but a placeholder or variable.
    Credential,
    /// An opaque token after a keyword: not a placeholder, at least 8 bytes, not a plain word.
    Token,
    /// Base64 that decodes to a PEM private-key header.
    Base64Pem,
    /// Base64 that decodes to `user:password`.
    BasicAuth,
    /// A password given on a command line: a credential, and not a number, port or mapping.
    CliPassword,
}

/// How a rule confirms a trigger.
#[derive(Debug, Clone, Copy)]
pub(super) enum Matcher {
    /// A regex run on the bytes from `before` bytes ahead of the trigger to `after` bytes past
    /// its end; a match must cover the trigger's first byte. With `before == 0` patterns start
    /// with `^` and `word_start` asks that the trigger not follow a letter or digit.
    Regex {
        pattern: &'static str,
        before: usize,
        after: usize,
        word_start: bool,
        check: Check,
    },
    /// A PEM private-key block (real newlines or `\n` escapes), markers kept.
    Pem,
    /// A generic `key = value` assignment whose key ends with the trigger word.
    Assignment,
}

/// One detection rule.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rule {
    pub name: &'static str,
    pub family: Family,
    /// Literals found case-insensitively by the prefilter.
    pub triggers: &'static [&'static str],
    pub matcher: Matcher,
}

/// A token that starts at its trigger, on a word start.
const fn token(
    name: &'static str,
    family: Family,
    triggers: &'static [&'static str],
    pattern: &'static str,
    check: Check,
) -> Rule {
    Rule {
        name,
        family,
        triggers,
        matcher: Matcher::Regex {
            pattern,
            before: 0,
            after: TOKEN_AFTER_BYTES,
            word_start: true,
            check,
        },
    }
}

/// A match that starts at its trigger, wherever the trigger sits.
const fn anchored(
    name: &'static str,
    family: Family,
    triggers: &'static [&'static str],
    pattern: &'static str,
    check: Check,
) -> Rule {
    Rule {
        name,
        family,
        triggers,
        matcher: Matcher::Regex {
            pattern,
            before: 0,
            after: TOKEN_AFTER_BYTES,
            word_start: false,
            check,
        },
    }
}

/// A match whose trigger sits up to `before` bytes inside it.
const fn around(
    name: &'static str,
    family: Family,
    triggers: &'static [&'static str],
    pattern: &'static str,
    before: usize,
    check: Check,
) -> Rule {
    Rule {
        name,
        family,
        triggers,
        matcher: Matcher::Regex {
            pattern,
            before,
            after: TOKEN_AFTER_BYTES,
            word_start: false,
            check,
        },
    }
}

use Check::*;
use Family::*;

/// Every rule, most specific first; the generic assignment rule comes last.
pub(super) const RULES: &[Rule] = &[
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
    // Cloud.
    token(
        "aws-access-key-id",
        Aws,
        &["AKIA", "ASIA", "ABIA", "ACCA", "A3T"],
        r"^(?P<s>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})(?:[^A-Za-z0-9]|$)",
        Shape,
    ),
    anchored(
        "aws-secret-access-key",
        Aws,
        &[
            "secret_access_key",
            "secretaccesskey",
            "secret-access-key",
            "secret access key",
            "secret_key",
            "secretkey",
            "secret key",
        ],
        r#"^(?i:secret[ _-]?(?:access[ _-]?)?key)['"]?\s*(?:=>|:=|[:=])\s*['"]?(?P<s>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        Shape,
    ),
    anchored(
        "aws-session-token",
        Aws,
        &[
            "session_token",
            "sessiontoken",
            "session-token",
            "security_token",
            "securitytoken",
        ],
        r#"^(?i:session[_-]?token|security[_-]?token)['"]?\s*(?:=>|:=|[:=])\s*['"]?(?P<s>[A-Za-z0-9/+=]{100,})"#,
        Shape,
    ),
    token(
        "aws-mws-auth-token",
        Aws,
        &["amzn.mws."],
        r"^amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        Shape,
    ),
    token(
        "aws-appsync-key",
        Aws,
        &["da2-"],
        r"^(?P<s>da2-[a-z0-9]{26})(?:[^A-Za-z0-9]|$)",
        Shape,
    ),
    token(
        "google-api-key",
        Gcp,
        &["AIza"],
        r"^AIza[0-9A-Za-z_-]{35}",
        Shape,
    ),
    token(
        "google-oauth-client-secret",
        Gcp,
        &["GOCSPX-"],
        r"^GOCSPX-[A-Za-z0-9_-]{28}",
        Shape,
    ),
    token(
        "google-oauth-access-token",
        Gcp,
        &["ya29."],
        r"^ya29\.[0-9A-Za-z_-]{20,}",
        Shape,
    ),
    token(
        "google-oauth-refresh-token",
        Gcp,
        &["1//0"],
        r"^1//0[0-9A-Za-z_-]{40,}",
        Variety,
    ),
    anchored(
        "azure-storage-key",
        Azure,
        &["accountkey", "sharedaccesskey"],
        r"^(?i:AccountKey|SharedAccessKey)\s*=\s*(?P<s>[A-Za-z0-9+/]{20,}={0,2})",
        Variety,
    ),
    around(
        "azure-sas-signature",
        Azure,
        &["sig="],
        r"^[?&;]sig=(?P<s>[A-Za-z0-9%+/=]{30,})",
        1,
        Shape,
    ),
    around(
        "azure-devops-pat",
        Azure,
        &["AZDO"],
        r"(?:^|[^A-Za-z0-9])(?P<s>[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4})(?:[^A-Za-z0-9]|$)",
        77,
        Shape,
    ),
    around(
        "azure-ad-client-secret",
        Azure,
        &["Q~"],
        r"(?:^|[^A-Za-z0-9_~.-])(?P<s>[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$)",
        5,
        Variety,
    ),
    // Version control.
    token(
        "github-token",
        GitHub,
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        r"^(?P<s>gh[pousr]_[A-Za-z0-9]{36,255})(?:[^A-Za-z0-9_]|$)",
        GitHubChecksum,
    ),
    token(
        "github-fine-grained-token",
        GitHub,
        &["github_pat_"],
        r"^github_pat_[A-Za-z0-9_]{60,255}",
        Shape,
    ),
    token(
        "gitlab-token",
        GitLab,
        &[
            "glpat-", "glptt-", "gldt-", "glrt-", "glcbt-", "gloas-", "glsoat-", "glffct-",
            "glimt-", "glagent-", "glft-",
        ],
        r"^gl(?:pat|ptt|dt|rt|cbt|oas|soat|ffct|imt|agent|ft)-[A-Za-z0-9_.-]{20,}",
        Shape,
    ),
    token(
        "gitlab-runner-registration-token",
        GitLab,
        &["GR1348941"],
        r"^GR1348941[A-Za-z0-9_-]{20,}",
        Shape,
    ),
    // Chat, payment, mail and other SaaS.
    token(
        "slack-token",
        Slack,
        &[
            "xoxa-",
            "xoxb-",
            "xoxp-",
            "xoxo-",
            "xoxs-",
            "xoxr-",
            "xoxe-",
            "xoxe.xoxp-",
        ],
        r"^xox(?:[abposre]|e\.xoxp)-[A-Za-z0-9-]{10,}",
        Shape,
    ),
    token(
        "slack-app-token",
        Slack,
        &["xapp-"],
        r"^xapp-[A-Za-z0-9/_-]{20,}",
        Shape,
    ),
    anchored(
        "slack-webhook",
        Slack,
        &["hooks.slack.com/"],
        r"^hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9/_+-]{20,})",
        Shape,
    ),
    anchored(
        "msteams-webhook",
        Saas,
        &["office.com/webhook", "office365.com/webhook"],
        r"^office(?:365)?\.com/webhook(?:b2)?/(?P<s>[A-Za-z0-9@/_-]{40,})",
        Shape,
    ),
    anchored(
        "discord-webhook",
        Saas,
        &["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"],
        r"^discord(?:app)?\.com/api/webhooks/[0-9]{6,}/(?P<s>[A-Za-z0-9_-]{40,})",
        Shape,
    ),
    token(
        "stripe-secret-key",
        Stripe,
        &[
            "sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_",
        ],
        r"^[sr]k_(?:live|test|prod)_[A-Za-z0-9]{10,}",
        Shape,
    ),
    token(
        "stripe-webhook-secret",
        Stripe,
        &["whsec_"],
        r"^whsec_[A-Za-z0-9+/=]{24,}",
        Shape,
    ),
    token(
        "twilio-api-key",
        Twilio,
        &["SK"],
        r"^(?P<s>SK[0-9a-fA-F]{32})(?:[^A-Za-z0-9]|$)",
        Shape,
    ),
    token(
        "sendgrid-api-key",
        SendGrid,
        &["SG."],
        r"^SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
        Shape,
    ),
    token(
        "mailgun-api-key",
        Mailgun,
        &["key-"],
        r"^(?P<s>key-[0-9a-f]{32})(?:[^A-Za-z0-9]|$)",
        Shape,
    ),
    around(
        "mailchimp-api-key",
        Saas,
        &["-us"],
        r"(?:^|[^0-9a-f])(?P<s>[0-9a-f]{32}-us[0-9]{1,2})(?:[^A-Za-z0-9]|$)",
        33,
        Shape,
    ),
    token(
        "shopify-token",
        Shopify,
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        r"^shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
        Shape,
    ),
    token(
        "npm-token",
        Npm,
        &["npm_"],
        r"^(?P<s>npm_[A-Za-z0-9]{36})(?:[^A-Za-z0-9]|$)",
        Variety,
    ),
    token(
        "pypi-token",
        PyPi,
        &["pypi-AgEIcHlwaS5vcmc"],
        r"^pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}",
        Shape,
    ),
    token(
        "crates-io-token",
        CratesIo,
        &["cio"],
        r"^(?P<s>cio[A-Za-z0-9]{32})(?:[^A-Za-z0-9]|$)",
        Variety,
    ),
    token(
        "docker-hub-token",
        DockerHub,
        &["dckr_pat_", "dckr_oat_"],
        r"^dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,}",
        Shape,
    ),
    token(
        "huggingface-token",
        HuggingFace,
        &["hf_", "api_org_"],
        r"^(?P<s>(?:hf_|api_org_)[A-Za-z0-9]{30,40})(?:[^A-Za-z0-9]|$)",
        Variety,
    ),
    // AI providers. Anthropic before OpenAI: both start with `sk-`.
    token(
        "anthropic-api-key",
        Anthropic,
        &["sk-ant-"],
        r"^sk-ant-[A-Za-z0-9_-]{32,}",
        Shape,
    ),
    token(
        "openai-api-key",
        OpenAi,
        &["sk-"],
        r"^sk-(?:(?:proj|svcacct|admin|None|or-v1)-)?[A-Za-z0-9_-]{20,}",
        Variety,
    ),
    token(
        "groq-api-key",
        AiProvider,
        &["gsk_"],
        r"^gsk_[A-Za-z0-9]{48,}",
        Shape,
    ),
    token(
        "tavily-api-key",
        AiProvider,
        &["tvly-"],
        r"^tvly-(?:dev-|prod-)?[A-Za-z0-9]{20,}",
        Shape,
    ),
    token(
        "firecrawl-api-key",
        AiProvider,
        &["fc-"],
        r"^(?P<s>fc-[0-9a-f]{32})(?:[^A-Za-z0-9]|$)",
        Shape,
    ),
    token(
        "jina-api-key",
        AiProvider,
        &["jina_"],
        r"^jina_[A-Za-z0-9]{40,}",
        Shape,
    ),
    token(
        "xai-api-key",
        AiProvider,
        &["xai-"],
        r"^xai-[A-Za-z0-9]{60,}",
        Shape,
    ),
    token(
        "replicate-api-token",
        AiProvider,
        &["r8_"],
        r"^(?P<s>r8_[A-Za-z0-9]{37})(?:[^A-Za-z0-9]|$)",
        Variety,
    ),
    token(
        "perplexity-api-key",
        AiProvider,
        &["pplx-"],
        r"^pplx-[A-Za-z0-9]{40,}",
        Shape,
    ),
    // Tokens with a structure of their own.
    token(
        "jwt",
        Jwt,
        &["eyJ"],
        r"^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        Shape,
    ),
    token(
        "grafana-api-key",
        Saas,
        &["eyJrIjoi"],
        r"^eyJrIjoi[A-Za-z0-9]{30,}={0,2}",
        Shape,
    ),
    token(
        "grafana-token",
        Saas,
        &["glc_", "glsa_"],
        r"^(?:glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})",
        Shape,
    ),
    token(
        "mapbox-secret-token",
        Saas,
        &["sk.eyJ", "tk.eyJ"],
        r"^[st]k\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{10,}",
        Shape,
    ),
    token(
        "adafruit-io-key",
        Saas,
        &["aio_"],
        r"^(?P<s>aio_[A-Za-z0-9]{28})(?:[^A-Za-z0-9]|$)",
        Variety,
    ),
    token(
        "adobe-client-secret",
        Saas,
        &["p8e-"],
        r"^p8e-[A-Za-z0-9_-]{32}",
        Shape,
    ),
    token(
        "artifactory-api-key",
        Saas,
        &["AKCp"],
        r"^AKCp[A-Za-z0-9]{60,}",
        Shape,
    ),
    token(
        "atlassian-api-token",
        Saas,
        &["ATATT3"],
        r"^ATATT3[A-Za-z0-9_=-]{150,}",
        Shape,
    ),
    token(
        "bitbucket-app-password",
        Saas,
        &["ATBB"],
        r"^ATBB[A-Za-z0-9]{32}",
        Shape,
    ),
    token(
        "databricks-token",
        Saas,
        &["dapi"],
        r"^(?P<s>dapi[a-f0-9]{32}(?:-[0-9]+)?)(?:[^A-Za-z0-9]|$)",
        Shape,
    ),
    token(
        "digitalocean-token",
        Saas,
        &["doo_v1_", "dop_v1_", "dor_v1_"],
        r"^do[opr]_v1_[a-f0-9]{64}",
        Shape,
    ),
    token(
        "doppler-token",
        Saas,
        &[
            "dp.ct.",
            "dp.pt.",
            "dp.st.",
            "dp.sa.",
            "dp.scim.",
            "dp.audit.",
        ],
        r"^dp\.(?:ct|pt|st|sa|scim|audit)\.(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9]{40,44}",
        Shape,
    ),
    token(
        "dropbox-token",
        Saas,
        &["sl."],
        r"^sl\.[A-Za-z0-9_-]{100,}",
        Variety,
    ),
    token(
        "dependency-track-key",
        Saas,
        &["odt_"],
        r"^odt_[A-Za-z0-9]{32,}",
        Shape,
    ),
    token(
        "dynatrace-token",
        Saas,
        &["dt0c01."],
        r"^dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}",
        Shape,
    ),
    token(
        "facebook-access-token",
        Saas,
        &["EAA"],
        r"^EAA[A-Za-z0-9_-]{60,}",
        Variety,
    ),
    token(
        "figma-token",
        Saas,
        &["figd_"],
        r"^figd_[A-Za-z0-9_-]{40}",
        Shape,
    ),
    token(
        "heroku-api-key",
        Saas,
        &["HRKU-"],
        r"^HRKU-[A-Za-z0-9_-]{60}",
        Shape,
    ),
    token(
        "linear-api-key",
        Saas,
        &["lin_api_"],
        r"^lin_api_[A-Za-z0-9]{40}",
        Shape,
    ),
    token(
        "newrelic-key",
        Saas,
        &["NRAK-", "NRAA-", "NRII-", "NRIQ-", "NRRA-", "NRJS-"],
        r"^NR(?:AK|AA|II|IQ|RA|JS)-[A-Za-z0-9_-]{20,}",
        Shape,
    ),
    around(
        "newrelic-license-key",
        Saas,
        &["NRAL"],
        r"(?:^|[^A-Za-z0-9])(?P<s>[A-Za-z0-9]{36}NRAL)(?:[^A-Za-z0-9]|$)",
        37,
        Shape,
    ),
    token(
        "newrelic-pixie-key",
        Saas,
        &["px-api-", "px-dep-"],
        r"^px-(?:api|dep)-[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}",
        Shape,
    ),
    token(
        "nuget-api-key",
        Saas,
        &["oy2"],
        r"^(?P<s>oy2[a-z0-9]{43})(?:[^A-Za-z0-9]|$)",
        Shape,
    ),
    anchored(
        "okta-api-token",
        Saas,
        &["okta"],
        r#"^(?i:okta)[A-Za-z0-9_.-]*['"]?\s*(?:=>|:=|[:=])\s*['"]?(?P<s>00[A-Za-z0-9_-]{40})(?:[^A-Za-z0-9_-]|$)"#,
        Shape,
    ),
    token(
        "okta-ssws",
        Saas,
        &["SSWS"],
        r"^SSWS\s+(?P<s>[A-Za-z0-9_-]{40,})",
        Shape,
    ),
    token(
        "postman-api-key",
        Saas,
        &["PMAK-"],
        r"^PMAK-[a-f0-9]{24}-[a-f0-9]{34}",
        Shape,
    ),
    token(
        "rubygems-api-key",
        Saas,
        &["rubygems_"],
        r"^rubygems_[a-f0-9]{48}",
        Shape,
    ),
    token(
        "salesforce-access-token",
        Saas,
        &["00D"],
        r"^00D[A-Za-z0-9]{12}!(?P<s>[A-Za-z0-9_.]{80,})",
        Shape,
    ),
    token(
        "sentry-token",
        Saas,
        &["sntrys_", "sntryu_"],
        r"^sntry[su]_[A-Za-z0-9+/=_-]{40,}",
        Shape,
    ),
    token(
        "sonarqube-token",
        Saas,
        &["sqp_", "squ_", "sqa_"],
        r"^sq[pua]_[a-f0-9]{40}",
        Shape,
    ),
    token(
        "sourcegraph-token",
        Saas,
        &["sgp_"],
        r"^sgp_(?:[a-f0-9]{16}_|local_)?[a-f0-9]{40}",
        Shape,
    ),
    token(
        "square-token",
        Saas,
        &["sq0atp-", "sq0csp-", "sq0atb-", "sq0csb-"],
        r"^sq0(?:atp|csp|atb|csb)-[A-Za-z0-9_-]{22,43}",
        Shape,
    ),
    token(
        "stackhawk-api-key",
        Saas,
        &["hawk."],
        r"^hawk\.[A-Za-z0-9_-]{20}\.[A-Za-z0-9_-]{20}",
        Shape,
    ),
    token(
        "brevo-api-key",
        Saas,
        &["xkeysib-"],
        r"^xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}",
        Shape,
    ),
    token(
        "supabase-token",
        Saas,
        &["sbp_"],
        r"^sbp_[a-f0-9]{40}",
        Shape,
    ),
    around(
        "terraform-cloud-token",
        Saas,
        &[".atlasv1."],
        r"(?:^|[^A-Za-z0-9])(?P<s>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{60,})",
        15,
        Shape,
    ),
    around(
        "telegram-bot-token",
        Saas,
        &[":AA"],
        r"(?:^|[^0-9])(?P<s>[0-9]{8,10}:AA[A-Za-z0-9_-]{32,33})(?:[^A-Za-z0-9_-]|$)",
        11,
        Shape,
    ),
    token(
        "twitch-stream-key",
        Saas,
        &["live_"],
        r"^live_[0-9]{6,12}_(?P<s>[A-Za-z0-9]{30})(?:[^A-Za-z0-9]|$)",
        Shape,
    ),
    token(
        "vault-token",
        Saas,
        &["hvs.", "hvb.", "hvr."],
        r"^hv[sbr]\.[A-Za-z0-9_-]{24,}",
        Shape,
    ),
    token(
        "vault-unseal-key",
        Saas,
        &["unseal"],
        r"^(?i:unseal)(?:(?i:\s+key\s+[0-9]+:)|\s)\s*(?P<s>[A-Za-z0-9+/]{40,}={0,2})",
        Shape,
    ),
    anchored(
        "thingsboard-access-token",
        Saas,
        &["thingsboard.cloud/api/v1/"],
        r"^thingsboard\.cloud/api/v1/(?P<s>[a-z0-9]{20})/",
        Shape,
    ),
    anchored(
        "truenas-api-key",
        Saas,
        &["login_with_api_key"],
        r#"^login_with_api_key"[^\[]{0,40}\[\s*"(?P<s>[0-9]+-[A-Za-z0-9]{64})""#,
        Shape,
    ),
    token(
        "kubernetes-bootstrap-token",
        Saas,
        &["bootstrap"],
        r#"^(?i:bootstrap)[A-Za-z0-9_-]*(?i:token)['"]?\s*[:= ]\s*['"]?(?P<s>[a-z0-9]{6}\.[a-z0-9]{16})(?:[^A-Za-z0-9]|$)"#,
        Shape,
    ),
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
        &["-u"],
        r#"^(?:-u|--user)(?:\s+|=)?['"]?[^\s:'"]{1,128}:(?P<s>[^\s'"]{3,})"#,
        Token,
    ),
    token(
        "cli-user-then-password",
        Generic,
        &["-u"],
        r#"^-u\s*['"]?[^\s'"]+['"]?\s+-p\s*['"]?(?P<s>[^\s'"]+)"#,
        CliPassword,
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
];
