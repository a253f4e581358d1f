//! `measure sizes`: binary and zipped `bootstrap` sizes.

use crate::Result;
use crate::report::{mib, verdict};
use rollcall::Kind;
use rollcall_testkit::runtime_api::binary_path_in;
use std::path::{Path, PathBuf};

/// The size of `binary` zipped as a Lambda package (`bootstrap`, deflate at the default level).
pub(crate) fn zipped_size(binary: &Path) -> Result<u64> {
    let temp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let bootstrap = temp.path().join("bootstrap");
    std::fs::copy(binary, &bootstrap).map_err(|e| format!("{}: {e}", binary.display()))?;
    let zip = temp.path().join("bootstrap.zip");
    // Deflate at the default level, as `cargo lambda` and the `zip` command package a Lambda.
    let status = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z: z.write(sys.argv[2], 'bootstrap')",
        ])
        .arg(&zip)
        .arg(&bootstrap)
        .status()
        .map_err(|e| format!("python3: {e}"))?;
    if !status.success() {
        return Err("zipping failed".into());
    }
    std::fs::metadata(&zip)
        .map(|m| m.len())
        .map_err(|e| e.to_string())
}

/// The binary `name` of `folder`: `folder/NAME` as cargo writes it, else `folder/NAME/bootstrap` as
/// `cargo lambda build` (and so `sam build`) does.
fn package_binary(folder: &Path, name: &str) -> PathBuf {
    let plain = binary_path_in(folder, name);
    if plain.is_file() {
        plain
    } else {
        folder.join(name).join("bootstrap")
    }
}

/// Prints the size and zipped size of every function, `consumer` and `hello`, in `dir` and each `LABEL=DIR` of `also`.
pub(crate) fn run(dir: &Path, also: &[String]) -> Result<()> {
    let mut folders = vec![("host".to_string(), dir.to_path_buf())];
    for entry in also {
        let (label, path) = entry
            .split_once('=')
            .ok_or_else(|| format!("--also {entry}: expected LABEL=DIR"))?;
        folders.push((label.to_string(), PathBuf::from(path)));
    }
    let mut binaries: Vec<String> = Kind::ALL.iter().map(|k| k.binary()).collect();
    binaries.push("consumer".into());
    binaries.push("hello".into());
    println!("### Package size (release profile; zipped = `bootstrap` deflated)\n");
    println!("| build | binary | size (MiB) | zipped (MiB) | goal ≤ 2.5 MiB zipped |");
    println!("| --- | --- | --: | --: | --- |");
    for (label, folder) in &folders {
        for binary in &binaries {
            let path = package_binary(folder, binary);
            let Ok(meta) = std::fs::metadata(&path) else {
                if binary == "hello" && label != "host" {
                    continue; // the reference is the host's; other builds are of the functions only
                }
                println!("| {label} | {binary} | not built | | |");
                continue;
            };
            let zipped = zipped_size(&path)?;
            let goal = if binary == "hello" {
                "reference"
            } else {
                verdict(mib(zipped), 2.5)
            };
            println!(
                "| {label} | {binary} | {:.2} | {:.2} | {goal} |",
                mib(meta.len()),
                mib(zipped)
            );
        }
    }
    println!();
    Ok(())
}
