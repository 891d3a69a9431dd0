//! The HTML report in a real browser: Debian's chromium, headless. Without chromium the test
//! skips loudly, unless AGENTCORE_SUITE_REQUIRE_CHROMIUM=1 (CI) makes that a failure. The page's
//! golden snapshots are in snapshots.rs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agentcore_mcp_suite::report::html;

use super::common::{check, quick_options, reference, skip_loudly};

/// `$CHROMIUM`, else `chromium` or `chromium-browser` on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(path.into());
    }
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        let required = std::env::var("AGENTCORE_SUITE_REQUIRE_CHROMIUM").is_ok_and(|v| v == "1");
        assert!(!required, "AGENTCORE_SUITE_REQUIRE_CHROMIUM=1 but no chromium on PATH");
        skip_loudly("the HTML report's browser test needs chromium (apt-get install chromium)");
    }
    found
}

/// Loads `page` headless: the DOM after load, what the page logged to its console, and a
/// screenshot at `screenshot`.
async fn load(browser: &Path, page: &Path, screenshot: &Path) -> (String, Vec<String>) {
    let profile = page.with_extension("profile");
    let run = tokio::process::Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        .arg("--enable-logging=stderr")
        .arg("--v=0")
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg("--window-size=1200,1800")
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("chromium finishes within 90 s")
        .expect("chromium starts");
    let _ = std::fs::remove_dir_all(&profile);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Console messages (errors included) reach stderr as `…:INFO:CONSOLE(…)] "message", source: …`.
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), console)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_html_report_renders_in_a_headless_browser_without_console_errors() {
    let Some(browser) = chromium() else { return };
    let mut options = quick_options();
    options.only = vec![
        "accept".into(),
        "lifecycle".into(),
        "ping".into(),
        "latency.ping".into(),
    ];
    let report = check(&reference(&["accept-ignored", "version-echo-unknown"], false), &options).await;
    assert!(!report.passed());
    let page = html::render(&report);
    // Self-contained: nothing to fetch, no script to fail.
    for external in ["src=", "href=", "url(", "@import", "<script", "<link"] {
        assert!(!page.contains(external), "the page refers to `{external}`");
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.html");
    std::fs::write(&file, &page).unwrap();
    // Kept after the run, beside the test binary's other temporary files, for a look.
    let screenshot = dir.join("report.png");
    let (dom, console) = load(&browser, &file, &screenshot).await;
    assert!(console.is_empty(), "the page logged to the console: {console:?}");
    // The browser built what the page says: the failure (open), its evidence, the chart, the filters.
    assert!(dom.contains("<details class=\"result fail fail\" open=\"\">"), "{dom}");
    assert!(dom.contains("lifecycle.version-unknown"), "{dom}");
    assert!(dom.contains("<svg") && dom.contains("latency.ping"), "{dom}");
    assert!(dom.contains("id=\"show-problems\""), "{dom}");
    let png = std::fs::read(&screenshot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{} bytes", png.len());
}
