//! Puts an rpath to libtorch into lego-model's tests, so they run without `LD_LIBRARY_PATH`,
//! and passes the directory on to dependents (`links` metadata) for their binaries. torch-sys exports its library directory to direct dependents as
//! `DEP_TCH_LIBTORCH_LIB`.
//!
//! `--no-as-needed -ltorch` keeps `libtorch.so` (which pulls in `libtorch_cuda.so`) linked even
//! though no symbol of it is referenced directly; without it `Cuda::is_available()` is silently
//! false on CUDA machines. On a CPU-only libtorch, `libtorch.so` exists too and the flag is
//! harmless.

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        // For crates linking lego-model, whose own build scripts add the same flags.
        println!("cargo:libtorch_lib={lib}");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
        println!("cargo:rustc-link-arg=-L{lib}");
        println!("cargo:rustc-link-arg=-ltorch");
    }
}
