//! The wrapped data key.
//!
//! The database is encrypted with a random 256-bit data key. That key is stored only wrapped
//! (XChaCha20-Poly1305) by a key derived from the clinician's passphrase with Argon2id and a
//! per-store salt. Changing the passphrase rewraps this one small file and rewrites nothing else;
//! a wrong passphrase fails authentication here, before the database is touched.

use crate::error::StoreError;
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::Path;
use zeroize::{Zeroize, Zeroizing};

pub const KEYRING_FILE: &str = "keyring.json";

/// The data key, wiped from memory when dropped (every clone too).
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn random() -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(k.as_mut());
        DataKey(k)
    }

    /// The SQLCipher raw-key literal (`x'…'`), itself wiped when dropped.
    pub fn sqlcipher_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", hex::encode(self.0.as_ref())))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl KdfParams {
    /// OWASP's first recommended Argon2id setting (m = 19 MiB, t = 2, p = 1) is the floor; we use
    /// 64 MiB and 3 passes, which takes a few hundred milliseconds on a clinician's laptop: slow
    /// for an attacker guessing offline, unnoticed at unlock.
    pub const DEFAULT: KdfParams = KdfParams { m_cost_kib: 64 * 1024, t_cost: 3, p_cost: 1 };
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeyringFile {
    format: u32,
    store_id: String,
    kdf: String,
    kdf_params: KdfParams,
    salt: String,
    cipher: String,
    nonce: String,
    wrapped_key: String,
}

pub struct Keyring {
    file: KeyringFile,
}

fn derive(passphrase: &str, salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; 32]>, StoreError> {
    let p = Params::new(params.m_cost_kib, params.t_cost, params.p_cost, Some(32))
        .map_err(|e| StoreError::Keyring(format!("the key settings are not valid ({e})")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, p)
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| StoreError::Keyring(format!("the passphrase could not be processed ({e})")))?;
    Ok(out)
}

fn wrap(key: &DataKey, passphrase: &str, store_id: &str, params: KdfParams) -> Result<KeyringFile, StoreError> {
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let kek = derive(passphrase, &salt, params)?;
    let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
    let wrapped = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: key.0.as_ref(), aad: store_id.as_bytes() })
        .map_err(|_| StoreError::Keyring("the data key could not be wrapped".into()))?;
    Ok(KeyringFile {
        format: 1,
        store_id: store_id.to_string(),
        kdf: "argon2id-v19".into(),
        kdf_params: params,
        salt: hex::encode(salt),
        cipher: "xchacha20poly1305".into(),
        nonce: hex::encode(nonce),
        wrapped_key: hex::encode(wrapped),
    })
}

impl Keyring {
    /// Makes a new keyring for a new store and returns it with the fresh data key.
    pub fn create(passphrase: &str, store_id: &str, params: KdfParams) -> Result<(Keyring, DataKey), StoreError> {
        let key = DataKey::random();
        let file = wrap(&key, passphrase, store_id, params)?;
        Ok((Keyring { file }, key))
    }

    pub fn load(dir: &Path) -> Result<Keyring, StoreError> {
        let path = dir.join(KEYRING_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotInitialised { dir: dir.to_path_buf() })
            }
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let file: KeyringFile = serde_json::from_str(&text)
            .map_err(|e| StoreError::Keyring(format!("{} is damaged ({e})", path.display())))?;
        if file.format != 1 || file.kdf != "argon2id-v19" || file.cipher != "xchacha20poly1305" {
            return Err(StoreError::Keyring(format!(
                "{} was written by a newer version of Casebook; update Casebook to open it",
                path.display()
            )));
        }
        Ok(Keyring { file })
    }

    pub fn store_id(&self) -> &str {
        &self.file.store_id
    }

    /// Unwraps the data key. A wrong passphrase fails the authentication tag: nothing is touched.
    pub fn unlock(&self, passphrase: &str) -> Result<DataKey, StoreError> {
        let damaged = || StoreError::Keyring("the key file is damaged".into());
        let salt = hex::decode(&self.file.salt).map_err(|_| damaged())?;
        let nonce = hex::decode(&self.file.nonce).map_err(|_| damaged())?;
        let wrapped = hex::decode(&self.file.wrapped_key).map_err(|_| damaged())?;
        if nonce.len() != 24 {
            return Err(damaged());
        }
        let kek = derive(passphrase, &salt, self.file.kdf_params)?;
        let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
        let mut plain = cipher
            .decrypt(XNonce::from_slice(&nonce), Payload { msg: &wrapped, aad: self.file.store_id.as_bytes() })
            .map_err(|_| StoreError::WrongPassphrase)?;
        if plain.len() != 32 {
            plain.zeroize();
            return Err(damaged());
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&plain);
        plain.zeroize();
        Ok(DataKey(key))
    }

    /// Rewraps the same data key under a new passphrase (with a new salt and nonce).
    pub fn rewrap(&self, key: &DataKey, new_passphrase: &str) -> Result<Keyring, StoreError> {
        Ok(Keyring { file: wrap(key, new_passphrase, &self.file.store_id, self.file.kdf_params)? })
    }

    /// Writes the keyring atomically: a crash leaves either the old file or the new one, never a
    /// half-written key (which would lock the clinician out of every note).
    pub fn save(&self, dir: &Path) -> Result<(), StoreError> {
        let path = dir.join(KEYRING_FILE);
        let tmp = dir.join(format!("{KEYRING_FILE}.tmp"));
        let text = serde_json::to_string_pretty(&self.file).expect("keyring serialises");
        let write = || -> std::io::Result<()> {
            // 0600 from its creation: the wrapped key is still something to keep from others.
            let mut f = casebook_private_files::replace_private_file(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            fs::File::open(dir)?.sync_all()
        };
        write().map_err(|e| StoreError::io(&path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: KdfParams = KdfParams { m_cost_kib: 1024, t_cost: 1, p_cost: 1 };

    #[test]
    fn unwraps_with_the_right_passphrase_only() {
        let dir = tempfile::tempdir().unwrap();
        let (ring, key) = Keyring::create("correct horse", "store-1", FAST).unwrap();
        ring.save(dir.path()).unwrap();
        let loaded = Keyring::load(dir.path()).unwrap();
        assert_eq!(loaded.unlock("correct horse").unwrap().0.as_ref(), key.0.as_ref());
        assert!(matches!(loaded.unlock("wrong horse"), Err(StoreError::WrongPassphrase)));
    }

    #[test]
    fn rewrap_keeps_the_key_and_drops_the_old_passphrase() {
        let (ring, key) = Keyring::create("old phrase", "store-1", FAST).unwrap();
        let new = ring.rewrap(&key, "new phrase").unwrap();
        assert_eq!(new.unlock("new phrase").unwrap().0.as_ref(), key.0.as_ref());
        assert!(matches!(new.unlock("old phrase"), Err(StoreError::WrongPassphrase)));
        assert_ne!(new.file.salt, ring.file.salt);
    }

    #[test]
    fn a_keyring_moved_to_another_store_does_not_unlock() {
        let (ring, _) = Keyring::create("phrase", "store-1", FAST).unwrap();
        let mut moved = ring.file.clone();
        moved.store_id = "store-2".into();
        assert!(matches!(Keyring { file: moved }.unlock("phrase"), Err(StoreError::WrongPassphrase)));
    }
}
