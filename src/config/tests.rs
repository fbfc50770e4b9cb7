use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("my.toml"), crate::keymap::check)
}

#[test]
fn shipped_file_is_the_builtin_defaults_and_sets_everything() {
    // Parsing the shipped file as a *patch* proves it names every key; as a
    // full Config proves it is complete; both agree.
    let full = Config::builtin();
    assert_eq!(parse(DEFAULT_TOML).unwrap(), full);
    assert_eq!(full.aws.firehose_calls_per_second, CallsPerSecond(4));
    assert_eq!(full.status.window, Window::H3);
    assert!(!full.read_only);
}

#[test]
fn a_user_file_changes_only_what_it_names() {
    let c = parse("[aws]\nfirehose_calls_per_second = 2\n").unwrap();
    assert_eq!(c.aws.firehose_calls_per_second, CallsPerSecond(2));
    assert_eq!(
        c.aws.describe_concurrency,
        Config::builtin().aws.describe_concurrency
    );
    assert_eq!(c.status, Config::builtin().status);
}

#[test]
fn unknown_keys_name_file_line_and_key() {
    let err = parse("read_only = true\n\n[aws]\nfirehose_calls_per_secnd = 2\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("my.toml:4: [aws] firehose_calls_per_secnd: unknown key: [aws] takes "),
        "{err}"
    );
    assert!(err.contains("call_timeout_secs"), "{err}");
    let err = parse("\n[awss]\nx = 1\n").unwrap_err().to_string();
    assert!(
        err.starts_with("my.toml:2: [awss]: unknown section: use [aws], [status]"),
        "{err}"
    );
    let err = parse("window = \"1h\"\n").unwrap_err().to_string();
    assert!(err.starts_with("my.toml:1: window: unknown key"), "{err}");
    assert!(err.contains("[status]"), "{err}");
}

#[test]
fn bad_values_name_the_line_and_the_allowed_values() {
    let err = parse("[aws]\n\nfirehose_calls_per_second = 0\n")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "my.toml:3: [aws] firehose_calls_per_second: 0 is out of range: use 1 to 100"
    );
    let err = parse("[aws]\ncall_timeout_secs = -1\n")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "my.toml:2: [aws] call_timeout_secs: -1 is out of range: use 1 to 300"
    );
    let err = parse("[status]\nwindow = \"2h\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("my.toml:2: [status] window: "), "{err}");
    assert!(err.contains("2h") && err.contains("`24h`"), "{err}");
    let err = parse("read_only = \"yes\"\n").unwrap_err().to_string();
    assert!(err.starts_with("my.toml:1: read_only: "), "{err}");
    assert!(err.contains("expected a boolean"), "{err}");
}

#[test]
fn a_key_bound_twice_is_refused_with_its_line() {
    let err = parse("[keys]\nup = [\"k\"]\nsort = [\"k\"]\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("my.toml:3: [keys] sort: "), "{err}");
    assert!(
        err.contains("`k` is bound to both `up` and `sort`"),
        "{err}"
    );
    // A default left with no key: the action the file names is pointed at.
    let err = parse("[keys]\n\nhelp = [\"s\"]\n").unwrap_err().to_string();
    assert!(err.starts_with("my.toml:3: [keys] help: "), "{err}");
    assert!(
        err.contains("`s` is bound to both `sort` and `help`"),
        "{err}"
    );
    let err = parse("[keys]\nup = [\"kk\"]\n").unwrap_err().to_string();
    assert!(
        err.starts_with("my.toml:2: [keys] up: ") && err.contains("`kk` is not a key"),
        "{err}"
    );
}

#[test]
fn a_key_the_file_binds_is_taken_from_a_default_that_keeps_another() {
    use crate::keymap::UserAction as A;
    // A file written before `x` dismissed messages, or `c` copied an ARN.
    let c = parse("[keys]\nquit = [\"x\"]\nsort = [\"j\"]\n").unwrap();
    let keymap = crate::keymap::Keymap::of(&c.keys);
    assert_eq!(keymap.keys(A::Quit), "x");
    assert_eq!(keymap.keys(A::Sort), "j");
    assert_eq!(keymap.keys(A::Down), "Down", "keeps its other key");
    assert_eq!(keymap.keys(A::Dismiss), "Delete");
}

#[test]
fn only_usable_keys_are_accepted() {
    for (text, says) in [
        ("[keys]\nhelp = [\"F0\"]\n", "F1 to F12"),
        ("[keys]\nhelp = [\"F13\"]\n", "F1 to F12"),
        ("[keys]\nhelp = [\"F99\"]\n", "F1 to F12"),
        ("[keys]\nquit = []\n", "no key to quit with"),
        ("[keys]\nup = [\"Ctrl-c\"]\n", "always quits"),
        ("[keys]\nquit = [\"Ctrl-c\"]\n", "always quits"),
        ("[keys]\nup = \"k\"\n", "a list of keys"),
    ] {
        let err = parse(text).unwrap_err().to_string();
        let action = text[7..].split(' ').next().unwrap();
        assert!(
            err.starts_with(&format!("my.toml:2: [keys] {action}: ")),
            "{text}: {err}"
        );
        assert!(err.contains(says), "{text}: {err}");
    }
    let c = parse("[keys]\nhelp = [\"F1\", \"F12\"]\n").unwrap();
    assert_eq!(
        crate::keymap::Keymap::of(&c.keys).keys(crate::keymap::UserAction::Help),
        "F1 F12"
    );
}

#[test]
fn remapped_keys_replace_the_defaults() {
    let c = parse("[keys]\nquit = [\"x\", \"F10\"]\n").unwrap();
    assert_eq!(
        crate::keymap::Keymap::of(&c.keys).keys(crate::keymap::UserAction::Quit),
        "x F10"
    );
}

#[test]
fn dialog_keys_are_remapped_like_any_other() {
    use crate::keymap::UserAction as A;
    let c = parse("[keys]\nconfirm_yes = [\"o\", \"O\"]\npicker_down = [\"Ctrl-n\", \"Tab\"]\n")
        .unwrap();
    let keymap = crate::keymap::Keymap::of(&c.keys);
    assert_eq!(keymap.keys(A::ConfirmYes), "o O");
    assert_eq!(keymap.keys(A::PickerDown), "Ctrl-n Tab");
    assert_eq!(
        keymap.keys(A::ConfirmNo),
        "n N Esc",
        "the rest keep their defaults"
    );
}

#[test]
fn a_key_may_mean_one_thing_per_mode() {
    // `j` moves down in the table and may say yes in a confirmation.
    assert!(parse("[keys]\nconfirm_yes = [\"j\"]\n").is_ok());
    let err = parse("[keys]\n\ncancel = [\"Enter\"]\n")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "my.toml:3: [keys] cancel: `Enter` is bound to both `pick` and `cancel` in the key picker: a key may serve one action there"
    );
}

#[test]
fn a_key_that_types_is_refused_in_a_text_field() {
    for (text, place) in [
        ("[keys]\nerase = [\"x\"]\n", "the filter prompt"),
        ("[keys]\npicker_up = [\"k\"]\n", "the key picker"),
        ("[keys]\nsubmit_name = [\"Space\"]\n", "the stop dialog"),
    ] {
        let err = parse(text).unwrap_err().to_string();
        let action = text[7..].split(' ').next().unwrap();
        assert!(
            err.starts_with(&format!("my.toml:2: [keys] {action}: ")),
            "{err}"
        );
        assert!(err.contains(&format!("types itself in {place}")), "{err}");
    }
    assert!(parse("[keys]\npicker_up = [\"Ctrl-p\", \"Left\"]\n").is_ok());
}

#[test]
fn every_dialog_keeps_a_key_to_leave_it() {
    let err = parse("[keys]\ncancel = []\n").unwrap_err().to_string();
    assert!(err.starts_with("my.toml:2: [keys] cancel: "), "{err}");
    assert!(err.contains("nothing leaves the key picker"), "{err}");
    // Either key of the prompt is a way out; with neither, the later line.
    assert!(parse("[keys]\nfilter_keep = []\n").is_ok());
    let err = parse("[keys]\nfilter_keep = []\nfilter_clear = []\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("my.toml:3: [keys] filter_clear: "), "{err}");
    assert!(err.contains("`filter_keep` or `filter_clear`"), "{err}");
}

#[test]
fn syntax_errors_name_the_line() {
    let err = parse("[aws]\nlist_page_size = = 3\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("my.toml:2: [aws] list_page_size: "),
        "{err}"
    );
}

#[test]
fn windows_cycle_through_all_four() {
    let mut w = Window::H1;
    for expected in [Window::H3, Window::H12, Window::H24, Window::H1] {
        w = w.next();
        assert_eq!(w, expected);
    }
}

#[test]
fn a_relative_ledger_path_is_beside_the_config_file() {
    let at = |text: &str| {
        Config::parse(text, Path::new("/etc/fk/config.toml"), crate::keymap::check)
            .map(|c| c.ledger.path)
    };
    assert_eq!(
        at("[ledger]\npath = \"team/ledger.jsonl\"\n").unwrap(),
        Path::new("/etc/fk/team/ledger.jsonl")
    );
    assert_eq!(
        at("[ledger]\npath = \"/srv/ledger.jsonl\"\n").unwrap(),
        Path::new("/srv/ledger.jsonl")
    );
    // Empty still means the platform's default.
    assert_eq!(at("[ledger]\npath = \"\"\n").unwrap(), Path::new(""));
    assert_eq!(at("").unwrap(), Path::new(""));
    // A config file named relative to the current directory still gives an
    // absolute ledger path, so a later change of directory does not move it.
    let c = parse("[ledger]\npath = \"l.jsonl\"\n").unwrap();
    assert!(c.ledger.path.is_absolute(), "{:?}", c.ledger.path);
}

#[test]
fn a_tilde_in_the_ledger_path_is_the_home_directory() {
    let home = directories::BaseDirs::new()
        .unwrap()
        .home_dir()
        .to_path_buf();
    let at = |text: &str| {
        Config::parse(text, Path::new("/etc/fk/config.toml"), crate::keymap::check)
            .map(|c| c.ledger.path)
    };
    assert_eq!(
        at("[ledger]\npath = \"~/fk/ledger.jsonl\"\n").unwrap(),
        home.join("fk/ledger.jsonl")
    );
    assert_eq!(at("[ledger]\npath = \"~\"\n").unwrap(), home);
    let err = at("[ledger]\n\npath = \"~bob/ledger.jsonl\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("/etc/fk/config.toml:3: [ledger] path: `~bob/ledger.jsonl`"),
        "{err}"
    );
}

#[test]
fn files_over_a_megabyte_are_refused_after_reading_one() {
    // A device is not read at all: refused for what it is.
    let err = Config::load(Some(Path::new("/dev/zero")), crate::keymap::check).unwrap_err();
    assert!(matches!(err, ConfigError::NotAFile { .. }), "{err}");
    let err = err.to_string();
    assert!(
        err.contains("/dev/zero") && err.contains("character device"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.toml");
    let mut text = "# padding\n".repeat(MAX_BYTES as usize / 10 + 1);
    text.truncate(MAX_BYTES as usize);
    std::fs::write(&big, &text).unwrap();
    assert!(
        Config::load(Some(&big), crate::keymap::check).is_ok(),
        "exactly the limit is read"
    );
    text.push('\n');
    std::fs::write(&big, &text).unwrap();
    let err = Config::load(Some(&big), crate::keymap::check).unwrap_err();
    assert!(matches!(err, ConfigError::TooLarge { .. }), "{err}");
}

#[test]
fn a_file_that_is_not_utf8_names_the_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.toml");
    std::fs::write(&file, b"[ui]\nmouse = true\nmarkers = \"\xc3\xa9\xff\"\n").unwrap();
    let err = Config::load(Some(&file), crate::keymap::check)
        .unwrap_err()
        .to_string();
    let expected = format!("{}:3: [ui] markers: byte 0xFF at column 13", file.display());
    assert!(err.starts_with(&expected), "{err}");
    assert!(err.contains("UTF-8"), "{err}");
}

#[test]
fn unreadable_files_name_the_file_and_the_reason_once() {
    let dir = tempfile::tempdir().unwrap();
    for (path, reason) in [
        (dir.path().to_path_buf(), "it is a directory"),
        (dir.path().join("missing.toml"), "No such file"),
    ] {
        let err = Config::load(Some(&path), crate::keymap::check).unwrap_err();
        assert!(
            matches!(err, ConfigError::Read { .. } | ConfigError::NotAFile { .. }),
            "{err}"
        );
        let text = err.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert_eq!(text.matches(reason).count(), 1, "{text}");
    }
}

#[test]
fn cloudtrail_is_read_by_default_at_a_polite_pace() {
    let c = Config::builtin().cloudtrail;
    assert!(c.enabled);
    assert_eq!(c.poll_secs, PollSecs(60));
    assert_eq!(c.calls_per_second, TrailCallsPerSecond(1));
    let off = parse("[cloudtrail]\nenabled = false\n").unwrap();
    assert!(!off.cloudtrail.enabled);
    assert_eq!(off.cloudtrail.poll_secs, PollSecs(60), "the rest stays");
    let fast = parse("[cloudtrail]\ncalls_per_second = 2\npoll_secs = 10\n").unwrap();
    assert_eq!(fast.cloudtrail.calls_per_second, TrailCallsPerSecond(2));
    assert_eq!(fast.cloudtrail.poll_secs, PollSecs(10));
}

#[test]
fn cloudtrail_mistakes_name_file_line_and_key() {
    // AWS allows 2 LookupEvents a second per account and region, no more.
    let err = parse("[cloudtrail]\n\ncalls_per_second = 3\n")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "my.toml:3: [cloudtrail] calls_per_second: 3 is out of range: use 1 to 2"
    );
    let err = parse("[cloudtrail]\npoll_secs = 5\n")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "my.toml:2: [cloudtrail] poll_secs: 5 is out of range: use 10 to 86400"
    );
    let err = parse("[cloudtrail]\nenabled = \"no\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("my.toml:2: [cloudtrail] enabled: "),
        "{err}"
    );
    assert!(err.contains("expected a boolean"), "{err}");
    let err = parse("[cloudtrail]\nenable = true\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("my.toml:2: [cloudtrail] enable: unknown key: [cloudtrail] takes "),
        "{err}"
    );
}

#[test]
fn an_aggregator_is_a_name_aws_config_takes_and_empty_is_none() {
    assert_eq!(Config::builtin().aws.aggregator, Aggregator(None));
    let c = parse("[aws]\naggregator = \"org-wide_1\"\n").unwrap();
    assert_eq!(c.aws.aggregator, Aggregator(Some("org-wide_1".into())));
    let err = parse("[aws]\n\naggregator = \"org wide\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("my.toml:3: [aws] aggregator:"), "{err}");
    assert!(
        err.contains("'org wide'") && err.contains("letters, digits"),
        "{err}"
    );
}
