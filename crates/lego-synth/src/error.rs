use std::path::PathBuf;

/// What can go wrong while looking for bug candidates.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A directory or file of the repository could not be read.
    #[error("failed to read {path}")]
    Read {
        /// The directory or file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The Python grammar could not be loaded into the parser (a tree-sitter ABI mismatch).
    #[error("failed to load the tree-sitter Python grammar")]
    Grammar(#[source] tree_sitter::LanguageError),
    /// A modifier name that no modifier has.
    #[error("unknown modifier `{name}` (known: {known})")]
    UnknownModifier {
        /// The name asked for.
        name: String,
        /// The known names, comma-separated.
        known: String,
    },
}

/// lego-synth's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
