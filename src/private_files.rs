//! Files that hold personal data or secrets (the SQLite database, the mail outbox with its
//! live set-password links, the generated signing secret) are readable by their owner only:
//! folders 0700, files 0600. A folder that already exists is left as it is, with a warning
//! when others can read it.

use std::fs::{DirBuilder, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

const PRIVATE_DIR: u32 = 0o700;
const PRIVATE_FILE: u32 = 0o600;

/// Creates `dir` (and missing parents) as 0700; an existing folder keeps its mode.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR)
        .create(dir)
}

/// Creates `path` empty as 0600 when it does not exist yet. SQLite gives its journal files the
/// mode of the database file, so this is enough for them too.
pub fn private_file(path: &Path) -> io::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_FILE)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to a new or truncated 0600 file.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(PRIVATE_FILE)
        .open(path)?;
    file.write_all(bytes)
}

/// True when users other than the owner may read or enter `path`.
pub fn open_to_others(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

/// Logs a warning when an existing `dir` is open to other local users.
pub fn warn_if_open_to_others(dir: &Path) {
    if open_to_others(dir) {
        tracing::warn!(
            folder = %dir.display(),
            "this folder holds personal data and other local users can read it; `chmod 700` it"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_folders_and_files_are_the_owners_only() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data/outbox");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&root.path().join("data")), 0o700);
        let db = dir.join("db.sqlite3");
        private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        let mail = dir.join("a.eml");
        write_private(&mail, b"x").unwrap();
        assert_eq!(mode(&mail), 0o600);
        assert!(!open_to_others(&dir));
    }

    #[test]
    fn an_existing_folder_is_left_alone_and_seen_as_open() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("shared");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o755);
        assert!(open_to_others(&dir));
        // An existing database file keeps its content.
        let db = dir.join("db.sqlite3");
        std::fs::write(&db, b"kept").unwrap();
        private_file(&db).unwrap();
        assert_eq!(std::fs::read(&db).unwrap(), b"kept");
    }
}
