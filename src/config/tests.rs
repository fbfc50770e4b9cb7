use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("my.toml"))
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
    assert!(err.starts_with("my.toml:4: "), "{err}");
    assert!(err.contains("firehose_calls_per_secnd"), "{err}");
}

#[test]
fn bad_values_name_the_line_and_the_allowed_values() {
    let err = parse("[aws]\n\nfirehose_calls_per_second = 0\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("my.toml:3: "), "{err}");
    assert!(err.contains("use 1 to 100"), "{err}");
    let err = parse("[status]\nwindow = \"2h\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("my.toml:2: "), "{err}");
    assert!(err.contains("2h"), "{err}");
    let err = parse("read_only = \"yes\"\n").unwrap_err().to_string();
    assert!(err.starts_with("my.toml:1: "), "{err}");
}

#[test]
fn a_key_bound_twice_is_refused_with_its_line() {
    let err = parse("[keys]\nup = [\"k\"]\nsort = [\"j\"]\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("my.toml:3: "), "{err}");
    assert!(
        err.contains("`j` is bound to both `down` and `sort`"),
        "{err}"
    );
    let err = parse("[keys]\nup = [\"kk\"]\n").unwrap_err().to_string();
    assert!(
        err.starts_with("my.toml:2: ") && err.contains("`kk` is not a key"),
        "{err}"
    );
}

#[test]
fn remapped_keys_replace_the_defaults() {
    let c = parse("[keys]\nquit = [\"x\", \"F10\"]\n").unwrap();
    assert_eq!(c.keys.keymap().keys(crate::app::Action::Quit), "x F10");
}

#[test]
fn syntax_errors_name_the_line() {
    let err = parse("[aws]\nlist_page_size = = 3\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("my.toml:2: "), "{err}");
}

#[test]
fn windows_cycle_through_all_four() {
    let mut w = Window::H1;
    for expected in [Window::H3, Window::H12, Window::H24, Window::H1] {
        w = w.next();
        assert_eq!(w, expected);
    }
}
