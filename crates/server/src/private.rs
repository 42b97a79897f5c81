//! Files only the server's own account may read: the store's folder is 0700 and every file in it
//! (database, write-ahead log, shared memory, key, backups) 0600. On other systems the folder's
//! inherited access control is left alone.

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
            return Err(io::Error::other("it is a folder shared by every account; give the store a folder of its own"));
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
