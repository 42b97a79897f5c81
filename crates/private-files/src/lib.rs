//! Folders and files only this account may read: folders 0700, files 0600, created that way and
//! tightened when found open (a store made before it was kept private). Used by the laptop's store
//! (keyring, database, WAL) and the central store (database, key, backups). Elsewhere than Unix the
//! folder's inherited access control is left alone.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `dir` (and missing parents) private to this account, or makes an existing one private.
/// The folder must be the store's own: a shared one such as /tmp (sticky bit) is refused rather
/// than taken away from everyone else.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(dir)?.permissions().mode() & 0o1000 != 0 {
            return Err(io::Error::other("it is a folder shared by every account; use a folder of its own for the store"));
        }
    }
    restrict(dir, 0o700)
}

/// Creates a new, empty file readable only by this account; fails if it already exists, so
/// nothing (a backup, a key) is ever overwritten.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    // The mode given at creation is narrowed by the umask, never widened, but an odd umask must
    // not leave a group bit the mode never asked for either way: set it outright.
    restrict(path, 0o600)?;
    Ok(file)
}

/// Creates a file readable only by this account, replacing one left there (a temporary file a
/// crash left behind), for files that are written then renamed into place.
pub fn replace_private_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    restrict(path, 0o600)?;
    Ok(file)
}

/// Makes an existing regular file readable only by this account, if it exists. Anything else
/// (a device such as /dev/stdin, a pipe from a secret manager) is left alone: its mode is not
/// ours to change.
pub fn private_file_if_present(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => restrict(path, 0o600),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let current = std::fs::metadata(path)?.permissions().mode() & 0o777;
    // Only ever take permissions away: a stricter mode someone chose (0400 on a key) is kept.
    if current & !mode != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(current & mode))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn folders_and_files_are_made_private_and_open_ones_tightened_never_widened() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("store/inner");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("key");
        create_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(create_private_file(&file).unwrap_err().kind(), io::ErrorKind::AlreadyExists, "never overwritten");
        replace_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        private_file_if_present(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).unwrap();
        private_file_if_present(&file).unwrap();
        assert_eq!(mode(&file), 0o400, "a stricter mode is kept");
        private_file_if_present(&dir.join("absent")).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let shared = root.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(private_dir(&shared).unwrap_err().to_string().contains("shared by every account"));
    }
}
