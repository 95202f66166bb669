//! The runner of the test binaries that drive outside programs (`tests/interop`, and the
//! examples' tests in `examples/tests`): libtest-mimic instead of libtest, so that a test
//! whose program is missing is reported in the summary as `ignored (needs curl)` instead of
//! passing silently, and fails under `CI=true` (where `.ci/run` has installed everything).
//! After the summary one line lists what was missing.
//!
//! A module of such a binary writes its tests as plain functions (`#[tokio::main]` on an
//! `async fn` gives it a runtime, as `#[tokio::test]` would) and lists them with [`cases!`]:
//!
//! ```ignore
//! pub const TESTS: &[Case] = cases![curl_basic: [CURL], wget_md5: [WGET], no_program_needed: []];
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

/// Something a test needs from the machine, checked before the test runs.
#[derive(Clone, Copy)]
pub struct Need {
    /// What to install, as the skip reason names it (`curl`, `python3 module requests`).
    pub what: &'static str,
    /// Whether it is there.
    pub found: fn() -> bool,
}

/// Whether `name` is a program on the `PATH`.
pub fn have_program(name: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether python3 can import `module`.
pub fn have_python_module(module: &str) -> bool {
    Command::new("python3")
        .arg("-c")
        .arg(format!("import {module}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

pub const CURL: Need = Need {
    what: "curl",
    found: || have_program("curl"),
};
pub const WGET: Need = Need {
    what: "wget",
    found: || have_program("wget"),
};
pub const HTPASSWD: Need = Need {
    what: "htpasswd (apache2-utils)",
    found: || have_program("htpasswd"),
};
pub const HTDIGEST: Need = Need {
    what: "htdigest (apache2-utils)",
    found: || have_program("htdigest"),
};
pub const REDIS_SERVER: Need = Need {
    what: "redis-server",
    found: || have_program("redis-server"),
};
pub const NODE: Need = Need {
    what: "node",
    found: || have_program("node"),
};
pub const CHROMIUM: Need = Need {
    what: "chromium",
    found: || have_program("chromium"),
};
pub const PY_REQUESTS: Need = Need {
    what: "python3 module requests",
    found: || have_python_module("requests"),
};
pub const PY_HTTPX: Need = Need {
    what: "python3 module httpx",
    found: || have_python_module("httpx"),
};

/// One test: its name, what it needs, and the function that runs it (a panic fails it).
pub struct Case {
    /// `module_path!()` where the case was listed; the binary's name is dropped from it.
    pub module: &'static str,
    pub name: &'static str,
    pub needs: &'static [Need],
    pub run: fn(),
}

/// Lists a module's tests: `cases![name: [NEED, …], …]`.
#[allow(unused_macros)] // `tests/it` includes this file and runs no cases
macro_rules! cases {
    ($($name:ident: [$($need:expr),* $(,)?]),* $(,)?) => {
        &[$($crate::support::harness::Case {
            module: module_path!(),
            name: stringify!($name),
            needs: &[$($need),*],
            run: $name,
        }),*]
    };
}
#[allow(unused_imports)]
pub(crate) use cases;

/// Runs `cases` as libtest would (the same arguments: filters, `--list`, `--test-threads`),
/// then prints what was missing, and exits with the result.
pub fn run(cases: &[&[Case]]) -> ! {
    let args = Arguments::from_args();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    // Each need is looked up once.
    let mut found: BTreeMap<&str, bool> = BTreeMap::new();
    let mut missing = BTreeSet::new();
    let mut trials = Vec::new();
    for case in cases.iter().flat_map(|c| c.iter()) {
        let module = case.module.split_once("::").map_or("", |(_, rest)| rest);
        let name = if module.is_empty() {
            case.name.to_owned()
        } else {
            format!("{module}::{}", case.name)
        };
        let lacking: Vec<&str> = case
            .needs
            .iter()
            .filter(|n| !*found.entry(n.what).or_insert_with(n.found))
            .map(|n| n.what)
            .collect();
        let run = case.run;
        let trial = if lacking.is_empty() {
            Trial::test(name, move || {
                run();
                Ok(())
            })
        } else {
            let reason = format!("needs {}", lacking.join(", "));
            if ci {
                Trial::test(name, move || {
                    Err(Failed::from(format!(
                        "{reason}: not installed, and CI=true requires it (.ci/run installs it)"
                    )))
                })
            } else {
                Trial::ignorable_test(name, move || Ok(Completion::ignored_with(reason)))
            }
        };
        if !args.is_filtered_out(&trial) {
            missing.extend(lacking);
        }
        trials.push(trial);
    }
    let conclusion = libtest_mimic::run(&args, trials);
    if !args.list {
        if missing.is_empty() {
            println!("skip report: nothing skipped, every outside program these tests drive is installed\n");
        } else {
            let missing: Vec<&str> = missing.into_iter().collect();
            println!(
                "skip report: missing {} (their tests {} above; README's Development section lists every program; .ci/run installs them)\n",
                missing.join(", "),
                if ci { "FAILED" } else { "are ignored" },
            );
        }
    }
    conclusion.exit()
}
