//! The queue file on disk: created readable by its owner only, and watched for being deleted or replaced while
//! in use.

use std::path::{Path, PathBuf};

/// Creates the file (and its folder) readable by the owner only, and tightens an existing file.
pub(super) fn create_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        if let Some(parent) = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty() && !p.exists())
        {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
    }
    #[cfg(not(unix))]
    {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(drop)
    }
}

/// A file's device and inode (on other systems, only that it exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId(u64, u64);

impl FileId {
    fn of(path: &Path) -> std::io::Result<FileId> {
        let metadata = std::fs::metadata(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Ok(FileId(metadata.dev(), metadata.ino()))
        }
        #[cfg(not(unix))]
        {
            let _ = metadata;
            Ok(FileId(0, 0))
        }
    }
}

/// The queue file, its write-ahead log and the log's index as opened. SQLite goes on writing through the handles
/// it opened: once a path names another file or none (deleted, moved, replaced), commits reach nothing that a
/// restart, `drain` or `stats` would read (or, for the index, another process no longer sees this one's log).
/// Three `stat` calls per commit tell.
pub(super) struct OpenedFiles(Vec<(PathBuf, FileId)>);

impl OpenedFiles {
    pub(super) fn of(path: &Path) -> std::io::Result<OpenedFiles> {
        let beside = |suffix: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        [path.to_owned(), beside("-wal"), beside("-shm")]
            .into_iter()
            .map(|p| FileId::of(&p).map(|id| (p, id)))
            .collect::<std::io::Result<_>>()
            .map(OpenedFiles)
    }

    /// Why the files are no longer the ones opened, if they are not.
    pub(super) fn changed(&self) -> Option<String> {
        self.0
            .iter()
            .find_map(|(path, opened)| match FileId::of(path) {
                Ok(id) if id == *opened => None,
                Ok(_) => Some(format!(
                    "the queue file {} was replaced while in use",
                    path.display()
                )),
                Err(e) => Some(format!("the queue file {} is gone: {e}", path.display())),
            })
    }
}
