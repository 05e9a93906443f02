//! Puts an rpath to libtorch into the `lego-torch` binary (and its tests), so it runs without
//! `LD_LIBRARY_PATH`; lego-model passes on the directory torch-sys built against. See
//! lego-model's `build.rs` for `--no-as-needed -ltorch`.

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_LEGO_MODEL_LIBTORCH_LIB");
    if let Ok(lib) = std::env::var("DEP_LEGO_MODEL_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
        println!("cargo:rustc-link-arg=-L{lib}");
        println!("cargo:rustc-link-arg=-ltorch");
    }
}
