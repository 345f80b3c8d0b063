//! `offline-v2 explore` in a real browser: headless Chromium loads the Explorer page, runs its
//! script against the running server and the rendered DOM must show the model in SPEC
//! vocabulary (actions as scenario steps, states as named facts), not Rust `Debug` text.
//! Without Chromium the test reports SKIPPED (README "Tests that skip"); `scripts/test.sh`
//! installs it when the profile says `browser = true` (the `ci` profile).

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The project's convention for a test that cannot do its work here.
fn skipped(test: &str, reason: &str) {
    eprintln!("SKIPPED: {reason}");
    if let Some(path) = std::env::var_os("OFFLINE_V2_SKIP_LOG") {
        let line = format!("{}::{test}: {reason}\n", env!("CARGO_PKG_NAME"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path);
        if let Err(e) = file.and_then(|mut f| f.write_all(line.as_bytes())) {
            panic!("cannot append to OFFLINE_V2_SKIP_LOG {path:?}: {e}");
        }
    }
}

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_explorer_page_shows_spec_steps_and_named_state_facts_in_chromium() {
    let Some(browser) = chromium() else {
        skipped(
            "the_explorer_page_shows_spec_steps_and_named_state_facts_in_chromium",
            "chromium is not installed (scripts/test.sh installs it with browser = true)",
        );
        return;
    };
    let port = TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_offline-v2"))
            .args(["explore", "--port", &port.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("explore starts"),
    );
    // Wait for the server to accept (a bounded number of tries, not a timed assertion).
    let up = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(up, "explore did not start listening on {port}");
    let profile = std::env::temp_dir().join(format!("offline-v2-chromium-{}", std::process::id()));
    let out = Command::new(&browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-gpu",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
            // Let the page's script fetch the states and render them before the dump.
            "--virtual-time-budget=10000",
            "--dump-dom",
            // The initial state, then the state after its first action.
            &format!("http://127.0.0.1:{port}/#/steps/0"),
        ])
        .stderr(Stdio::null())
        .output()
        .expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "chromium failed: {dom}");
    // Actions as SPEC §7 steps (JSON is HTML-escaped in the DOM), states as named facts.
    assert!(
        dom.contains("move_group"),
        "no SPEC step in the page: {dom}"
    );
    assert!(dom.contains("group g1: owner n1"), "no named facts: {dom}");
    // Not the packed state's Debug text, nor the Action enum's.
    assert!(
        !dom.contains("MoveGroup {") && !dom.contains("owners:"),
        "Debug text: {dom}"
    );
}
