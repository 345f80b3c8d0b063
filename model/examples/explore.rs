//! Serves stateright's Explorer for the default model on 127.0.0.1 (port 3000, or argv[1]).
//!
//! `cargo run -p offline-v2-model --example explore -- 3000`, then open http://127.0.0.1:3000/.
//! Pass `large` as argv[2] to browse the larger configuration.

use offline_v2_model::ModelConfig;
use stateright::Model;

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let cfg = match std::env::args().nth(2).as_deref() {
        Some("large") => ModelConfig::large(),
        _ => ModelConfig::default(),
    };
    println!("Explorer on http://127.0.0.1:{port}/");
    cfg.checker().serve(("127.0.0.1", port));
}
