//! Copying a repository tree as it is: symbolic links stay links, modes are kept.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::error::{Error, Result};

/// Copies `from` (a directory) to `to` (which must not exist), `.git` included. Symbolic links
/// are recreated with the same target, never followed; permissions are kept; special files
/// (fifos, sockets, devices) are skipped.
pub(crate) fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir(to).map_err(|e| Error::io("create", to, e))?;
    let entries = fs::read_dir(from).map_err(|e| Error::io("read", from, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read", from, e))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| Error::io("stat", &src, e))?;
        if kind.is_symlink() {
            let target = fs::read_link(&src).map_err(|e| Error::io("read link", &src, e))?;
            symlink(&target, &dst).map_err(|e| Error::io("create link", &dst, e))?;
        } else if kind.is_dir() {
            copy_tree(&src, &dst)?;
            let perms = fs::metadata(&src)
                .map_err(|e| Error::io("stat", &src, e))?
                .permissions();
            fs::set_permissions(&dst, perms).map_err(|e| Error::io("chmod", &dst, e))?;
        } else if kind.is_file() {
            // `fs::copy` keeps the permission bits.
            fs::copy(&src, &dst).map_err(|e| Error::io("copy", &src, e))?;
        }
    }
    Ok(())
}
