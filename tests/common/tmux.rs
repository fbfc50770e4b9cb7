//! The real binary in a real pseudo-terminal: a tmux server of the test's
//! own, and the shell line that runs firekeeper in the sandbox's environment.

use std::process::Command;
use std::time::{Duration, Instant};

use super::Sandbox;

/// A tmux server of our own, so tests never touch the user's sessions.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `script` (a shell command line) in an 80x24 window.
    pub fn start(script: &str) -> Tmux {
        Tmux::start_sized(script, 80, 24)
    }

    /// Runs `script` in a window of `width` columns and `height` rows.
    pub fn start_sized(script: &str, width: u16, height: u16) -> Tmux {
        assert!(
            Command::new("tmux").arg("-V").output().is_ok(),
            "tmux is required for the end-to-end tests: scripts/test installs it"
        );
        let socket = format!(
            "fk-e2e-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        let t = Tmux { socket };
        let ok = t
            .tmux(&[
                "new-session",
                "-d",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
                script,
            ])
            .status
            .success();
        assert!(ok, "tmux could not start");
        t
    }

    pub fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p"]).stdout).into_owned()
    }

    /// The screen with wrapped lines joined, for text longer than a line.
    pub fn joined_screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-J"]).stdout).into_owned()
    }

    pub fn wait_for(&self, text: &str) -> String {
        self.wait_within(text, 30)
    }

    /// `wait_for`, for a screen that takes longer than 30 s to show `text`.
    pub fn wait_within(&self, text: &str, secs: u64) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(secs),
                "waited {secs} s for {text:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends keys one at a time, as typed: a lone Esc followed at once by a
    /// key would read as Alt-key.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// A shell line that runs firekeeper with the sandbox's environment, then
/// reports how it exited and lingers so the screen can be read.
pub fn script(sandbox: &Sandbox, env: &[(&str, &str)], args: &str) -> String {
    let home = sandbox.dir.path();
    let mut vars = vec![
        format!("PATH='{}'", std::env::var("PATH").unwrap_or_default()),
        format!("HOME='{}'", home.display()),
        format!("XDG_CONFIG_HOME='{}'", home.join("config").display()),
        format!("XDG_DATA_HOME='{}'", home.join("data").display()),
        format!("XDG_STATE_HOME='{}'", home.join("state").display()),
        format!("XDG_CACHE_HOME='{}'", home.join("cache").display()),
        format!("AWS_CONFIG_FILE='{}'", home.join("aws-config").display()),
        format!(
            "AWS_SHARED_CREDENTIALS_FILE='{}'",
            home.join("aws-credentials").display()
        ),
        "AWS_EC2_METADATA_DISABLED=true".to_string(),
        "TERM=xterm-256color".to_string(),
    ];
    vars.extend(env.iter().map(|(k, v)| format!("{k}='{v}'")));
    let pid = home.join("pid");
    format!(
        "sh -c \"echo \\$\\$ > '{}'; exec env -i {} '{}' {args}\"; echo EXITED $?; sleep 60",
        pid.display(),
        vars.join(" "),
        env!("CARGO_BIN_EXE_firekeeper"),
    )
}
