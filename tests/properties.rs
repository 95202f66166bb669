//! Property tests: what the writers produce, the parsers read back unchanged.
//!
//! The Basic decoder's properties are in `src/basic/credentials.rs`, next to the decoder
//! (crate-private since 0.2).

use proptest::prelude::*;
use tower_httpauth::header::{AuthParams, Challenge, MAX_PARAMS, is_token, is_token68, split_scheme, write_quoted};

/// Text a quoted-string can carry: anything but control characters (HTAB allowed), with the
/// characters that need escaping over-represented.
fn quotable() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => prop::sample::select(vec!['"', '\\', '\t', ' ', ',', '=', 'ä', '€', '😀']),
            5 => any::<char>().prop_filter("no controls", |c| !c.is_control()),
        ],
        0..40,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn token() -> impl Strategy<Value = String> {
    "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,16}"
}

fn token68() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~+/-]{1,64}={0,3}"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn quoted_strings_round_trip(name in token(), value in quotable()) {
        let mut list = format!("{name}=");
        write_quoted(&mut list, &value).unwrap();
        let params = AuthParams::parse(list.as_bytes()).unwrap();
        prop_assert_eq!(params.len(), 1);
        prop_assert_eq!(params.get(&name), Some(value.as_str()));
        prop_assert!(params.get_value(&name).unwrap().was_quoted());
        // Names match case-insensitively.
        prop_assert_eq!(params.get(&name.to_ascii_uppercase()), Some(value.as_str()));
    }

    #[test]
    fn control_characters_are_refused_by_the_writer(
        before in quotable(),
        ctl in prop::sample::select((0u8..0x20).filter(|&b| b != b'\t').chain([0x7f]).collect::<Vec<_>>()),
        after in quotable(),
    ) {
        let value = format!("{before}{}{after}", char::from(ctl));
        prop_assert!(write_quoted(&mut String::new(), &value).is_err());
        prop_assert!(Challenge::new("Basic").quoted("realm", &value).to_header_value().is_err());
    }

    #[test]
    fn challenges_round_trip(
        scheme in token(),
        params in prop::collection::vec((token(), prop_oneof![quotable().prop_map(Ok), token().prop_map(Err)]), 0..MAX_PARAMS),
    ) {
        // Names must be unique (case-insensitively) in one challenge.
        let mut seen = std::collections::HashSet::new();
        let params: Vec<_> = params.into_iter().filter(|(n, _)| seen.insert(n.to_ascii_lowercase())).collect();
        let mut c = Challenge::new(&scheme);
        for (name, value) in &params {
            c = match value {
                Ok(q) => c.quoted(name, q),
                Err(t) => c.token(name, t),
            };
        }
        let header = c.to_header_value().unwrap();
        // Non-ASCII values travel as obs-text: compare bytes.
        prop_assert_eq!(header.as_bytes(), c.as_str().as_bytes());
        let (s, rest) = split_scheme(header.as_bytes()).unwrap();
        prop_assert_eq!(s, scheme.as_str());
        let parsed = AuthParams::parse(rest).unwrap();
        prop_assert_eq!(parsed.len(), params.len());
        for ((name, value), (pn, pv)) in params.iter().zip(parsed.iter()) {
            prop_assert_eq!(name.as_str(), pn);
            match value {
                Ok(q) => { prop_assert_eq!(q.as_str(), pv.as_str()); prop_assert!(pv.was_quoted()); }
                Err(t) => { prop_assert_eq!(t.as_str(), pv.as_str()); prop_assert!(!pv.was_quoted()); }
            }
        }
    }

    #[test]
    fn token68_accepts_its_alphabet_and_nothing_else(t in token68(), bad in "[^A-Za-z0-9._~+/=-]", at in any::<prop::sample::Index>()) {
        prop_assert!(is_token68(t.as_bytes()));
        let body_len = t.trim_end_matches('=').len();
        let mut broken = t.clone();
        broken.insert_str(at.index(body_len + 1).min(body_len), &bad);
        prop_assert!(!is_token68(broken.as_bytes()), "{:?}", broken);
        // '=' only as trailing padding.
        let leading = format!("={}", t);
        prop_assert!(!is_token68(leading.as_bytes()));
        // Every token68 character but '/' is also a tchar.
        prop_assert!(is_token(t.trim_end_matches('=').as_bytes()) || t.contains('/'));
    }
}
