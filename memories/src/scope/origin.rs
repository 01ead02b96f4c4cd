//! A git remote URL turned into the project key it names: `host/path`, lower-case host, no
//! scheme, user, password, token, port, query, trailing `/` or `.git`. So
//! `git@github.com:acme/ledger.git`, `https://user:token@GitHub.com/acme/ledger/` and
//! `ssh://git@github.com:22/acme/ledger.git` are one project, `github.com/acme/ledger`, and no
//! credential in a URL ever reaches a key, a file name or the index. A local remote (an absolute
//! path or `file://`) keys by its path; a relative one names no project (`None`).

/// Hosts whose repository paths are case-insensitive: their paths are lower-cased too, so
/// `github.com/Acme/Ledger` and `github.com/acme/ledger` are one project.
const CASE_INSENSITIVE_HOSTS: &[&str] = &["github.com", "gitlab.com", "bitbucket.org"];

/// The project key that the remote `url` names, or `None` when it names none (blank, relative
/// path, no host or no path).
pub fn normalize_origin(url: &str) -> Option<String> {
    let url = url.trim();
    if url.is_empty() {
        return None;
    }
    let (host, path) = match url.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("file") => {
            return local_path_key(rest);
        }
        Some((_, rest)) => {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            (host_of(authority), path)
        }
        None if url.starts_with('/') => return local_path_key(url),
        None => {
            // scp-like `[user@]host:path`; a colon after the first slash is a relative path.
            let (authority, path) = url.split_once(':')?;
            if authority.contains('/') || authority.is_empty() {
                return None;
            }
            // `host:path` keeps any `:port`-looking text in the path, as git does.
            (host_of_scp(authority), path)
        }
    };
    let host = host?;
    let path = clean_repo_path(path)?;
    let path = if CASE_INSENSITIVE_HOSTS.contains(&host.as_str()) {
        path.to_lowercase()
    } else {
        path
    };
    let (host, path) = azure_devops_https_form(host, path);
    Some(format!("{host}/{path}"))
}

/// The host of a URL authority `[user[:password]@]host[:port]`, lower-cased.
fn host_of(authority: &str) -> Option<String> {
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if let Some(bracketed) = host.strip_prefix('[') {
        // An IPv6 literal `[::1]:22`.
        bracketed.split_once(']').map(|(inside, _)| inside)?
    } else {
        host.split_once(':').map_or(host, |(host, _)| host)
    };
    let host = host.trim().to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// The host of an scp-like authority `[user@]host`, lower-cased.
fn host_of_scp(authority: &str) -> Option<String> {
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = host.trim().to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

/// The repository path without query, fragment, surrounding slashes, empty segments or a
/// trailing `.git`; `None` when nothing is left.
fn clean_repo_path(path: &str) -> Option<String> {
    let path = path.split(['?', '#']).next().unwrap_or("");
    let segments: Vec<&str> = path
        .split('/')
        .filter(|segment| !segment.is_empty() && *segment != ".")
        .collect();
    let mut path = segments.join("/");
    while let Some(stripped) = path.strip_suffix(".git") {
        path = stripped.trim_end_matches('/').to_string();
    }
    (!path.is_empty()).then_some(path)
}

/// A local remote (`/srv/git/ledger.git`, `file:///srv/git/ledger.git`) keys by its absolute
/// path without `.git`.
fn local_path_key(path: &str) -> Option<String> {
    // `file://host/path` is rare; `file:///path` leaves `/path` here.
    let path = if path.starts_with('/') {
        path
    } else {
        &path[path.find('/')?..]
    };
    clean_repo_path(path).map(|cleaned| format!("/{cleaned}"))
}

/// Azure DevOps answers one repository at `ssh.dev.azure.com:v3/org/project/repo` and
/// `dev.azure.com/org/project/_git/repo`: both become the HTTPS form.
fn azure_devops_https_form(host: String, path: String) -> (String, String) {
    if host != "ssh.dev.azure.com" {
        return (host, path);
    }
    let Some(rest) = path.strip_prefix("v3/") else {
        return (host, path);
    };
    match rest.splitn(3, '/').collect::<Vec<_>>().as_slice() {
        [org, project, repo] => (
            "dev.azure.com".to_string(),
            format!("{org}/{project}/_git/{repo}"),
        ),
        _ => (host, path),
    }
}
