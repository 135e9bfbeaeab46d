//! The minimum Rust version each crate declares, checked against the versions its dependencies
//! declare (`rust-version` in their manifests) over every target, Android and iOS included.
//! Only one toolchain can be had on these machines, so nothing is compiled with the declared
//! version: this catches a dependency update that raises the minimum, and trusts each crate's
//! own declaration (a crate that declares none is not counted).

use std::collections::HashMap;

use crate::process::output;
use crate::workspace::Workspace;

type Version = (u32, u32, u32);

/// Checks every workspace member; returns a line per member with its true minimum.
pub fn check(ws: &Workspace) -> Result<String, String> {
    let metadata = output(
        ws.cargo()
            .args(["metadata", "--format-version", "1", "--locked"]),
    )?;
    let metadata: serde_json::Value =
        serde_json::from_str(&metadata).map_err(|e| format!("cargo metadata: {e}"))?;
    let declared = declared_versions(&metadata);
    let members = members(&metadata);
    let mut lines = Vec::new();
    let mut wrong = Vec::new();
    for (name, own) in members {
        let tree = output(ws.cargo().args([
            "tree",
            "--locked",
            "-p",
            &name,
            "-e",
            "normal,build",
            "--target",
            "all",
            "--prefix",
            "none",
        ]))?;
        let (needed, by) = highest(&tree, &declared).unwrap_or(((0, 0, 0), String::new()));
        lines.push(format!(
            "{name}: declares {}, needs {} ({by})",
            show(own),
            show(Some(needed))
        ));
        if own.is_none_or(|own| own < needed) {
            wrong.push(format!(
                "{name} declares rust-version {} but {by} needs {}",
                show(own),
                show(Some(needed))
            ));
        }
    }
    if wrong.is_empty() {
        Ok(lines.join("; "))
    } else {
        Err(wrong.join("; "))
    }
}

/// What the dependencies from a registry declare; the workspace's own crates are what is checked.
fn declared_versions(metadata: &serde_json::Value) -> HashMap<(String, String), Version> {
    packages(metadata)
        .filter(|p| !p["source"].is_null())
        .filter_map(|p| {
            let version = parse(p["rust_version"].as_str()?)?;
            Some((
                (
                    p["name"].as_str()?.to_string(),
                    p["version"].as_str()?.to_string(),
                ),
                version,
            ))
        })
        .collect()
}

fn members(metadata: &serde_json::Value) -> Vec<(String, Option<Version>)> {
    let ids: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    packages(metadata)
        .filter(|p| p["id"].as_str().is_some_and(|id| ids.contains(&id)))
        .filter_map(|p| {
            let name = p["name"].as_str()?.to_string();
            Some((name, p["rust_version"].as_str().and_then(parse)))
        })
        .collect()
}

fn packages(metadata: &serde_json::Value) -> impl Iterator<Item = &serde_json::Value> {
    metadata["packages"].as_array().into_iter().flatten()
}

/// The highest version a line of `cargo tree --prefix none` (`name vX.Y.Z ...`) declares.
fn highest(tree: &str, declared: &HashMap<(String, String), Version>) -> Option<(Version, String)> {
    tree.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let version = words.next()?.strip_prefix('v')?;
            let needs = declared.get(&(name.to_string(), version.to_string()))?;
            Some((*needs, format!("{name} {version}")))
        })
        .max()
}

fn parse(text: &str) -> Option<Version> {
    let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
    Some((
        parts.next()??,
        parts.next().unwrap_or(Some(0))?,
        parts.next().unwrap_or(Some(0))?,
    ))
}

fn show(version: Option<Version>) -> String {
    match version {
        Some((major, minor, 0)) => format!("{major}.{minor}"),
        Some((major, minor, patch)) => format!("{major}.{minor}.{patch}"),
        None => "none".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_declared_version_in_the_tree_wins() {
        let declared = HashMap::from([
            (("wide".to_string(), "1.7.1".to_string()), (1, 89, 0)),
            (("uuid".to_string(), "1.29.3".to_string()), (1, 89, 1)),
            (("tokio".to_string(), "1.48.0".to_string()), (1, 70, 0)),
        ]);
        let tree =
            "omni-jitsi-core v0.1.0 (/w/core)\ntokio v1.48.0\nuuid v1.29.3\nwide v1.7.1 (*)\n";
        assert_eq!(
            highest(tree, &declared),
            Some(((1, 89, 1), "uuid 1.29.3".to_string()))
        );
        assert_eq!(parse("1.89"), Some((1, 89, 0)));
        assert_eq!(parse("1.88.0"), Some((1, 88, 0)));
        assert_eq!(parse("x"), None);
        assert_eq!(show(Some((1, 89, 0))), "1.89");
    }
}
