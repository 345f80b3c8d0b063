//! The `offline-v2` command line (filled in by later issues).
fn main() {
    println!("offline-v2: not yet implemented");
}
