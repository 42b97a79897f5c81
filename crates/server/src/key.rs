//! The key the embedded store is encrypted with (SQLCipher, AES-256): 32 random bytes, kept as 64
//! hex digits in a key file or in `CASEBOOK_SERVER_KEY`.
//!
//! Only a raw key is accepted, never a passphrase: the server starts unattended, so nobody would
//! type a strong passphrase, and a raw key skips SQLCipher's key derivation on every open.

use rand::RngCore;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum KeyError {
    #[error("{origin} is not a key: it must hold exactly 64 hexadecimal digits (32 random bytes; make one with `openssl rand -hex 32`)")]
    Malformed { origin: String },
    #[error("the key file {} does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("could not read the key file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the key file {} is readable by other accounts and could not be made private ({source}); make it readable only by the server's account (chmod 600)", path.display())]
    NotPrivate { path: PathBuf, source: std::io::Error },
    #[error("could not write the key file {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// 32 bytes of key. Never printed: `Debug` shows nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey([u8; 32]);

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(…)")
    }
}

impl StoreKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        StoreKey(bytes)
    }

    /// Parses 64 hex digits (surrounding whitespace ignored); `origin` names where they came from
    /// in the error.
    pub fn from_hex(text: &str, origin: &str) -> Result<Self, KeyError> {
        let malformed = || KeyError::Malformed { origin: origin.to_string() };
        let bytes = hex::decode(text.trim()).map_err(|_| malformed())?;
        Ok(StoreKey(bytes.try_into().map_err(|_| malformed())?))
    }

    /// Reads a key file, first making it readable only by this account if it was not.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        if !path.exists() {
            return Err(KeyError::Missing { path: path.to_path_buf() });
        }
        crate::private::private_file_if_present(path).map_err(|source| KeyError::NotPrivate { path: path.to_path_buf(), source })?;
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read { path: path.to_path_buf(), source })?;
        Self::from_hex(&text, &format!("the key file {}", path.display()))
    }

    /// Writes the key to a new file (mode 0600, its folder created 0700); never overwrites one.
    pub fn write_new_file(&self, path: &Path) -> Result<(), KeyError> {
        let write = |source| KeyError::Write { path: path.to_path_buf(), source };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !parent.exists() {
                crate::private::private_dir(parent).map_err(write)?;
            }
        }
        let mut file = crate::private::create_private_file(path).map_err(write)?;
        file.write_all(format!("{}\n", self.hex()).as_bytes()).map_err(write)?;
        file.sync_all().map_err(write)
    }

    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The value of `PRAGMA key` / `PRAGMA rekey` / `ATTACH … KEY` for a raw key (no derivation).
    pub(crate) fn sqlcipher_literal(&self) -> String {
        format!("\"x'{}'\"", self.hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_64_hex_digits_are_a_key() {
        let k = StoreKey::generate();
        assert_eq!(StoreKey::from_hex(&format!("  {}\n", k.hex()), "test").unwrap(), k);
        for bad in ["", "abc", &"0".repeat(63), &"0".repeat(66), &"g".repeat(64), "correct horse battery staple"] {
            let e = StoreKey::from_hex(bad, "CASEBOOK_SERVER_KEY").unwrap_err();
            assert!(e.to_string().starts_with("CASEBOOK_SERVER_KEY is not a key"), "{e}");
        }
        assert_eq!(format!("{k:?}"), "StoreKey(…)", "a key never reaches a log");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_is_written_private_and_never_overwritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys").join("central.key");
        let k = StoreKey::generate();
        k.write_new_file(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        assert!(matches!(StoreKey::generate().write_new_file(&path), Err(KeyError::Write { .. })));
        assert_eq!(StoreKey::from_file(&path).unwrap(), k);
        // A key file someone left world-readable is made private when it is read.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        StoreKey::from_file(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
