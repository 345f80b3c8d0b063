//! The scenario format: parsing, JSON paths of errors, writing, the round trip on generated
//! scenarios, and the committed JSON Schema.

use std::path::Path;

use offline_v2::types::{ErrorCode, OfflineFlags, OfflineReason, ResourceState, WorkMode};
use proptest::prelude::*;

use super::*;

const EXAMPLE: &str = include_str!("../../scenarios/r12-r17-spec-example-return-to-source.json");

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse(text, Path::new("t.json"))
}

fn error_of(text: &str) -> ScenarioError {
    parse(text).expect_err("must be rejected")
}

const HEAD: &str = r#""nodes":["n1","n2"],"groups":[{"name":"g1","owner":"n1","resources":[{"name":"vm1","persistent":"online"}]}]"#;

fn with_steps(steps: &str) -> String {
    format!("{{{HEAD},\"steps\":{steps}}}")
}

#[test]
fn spec_example_parses() {
    let s = parse(EXAMPLE).expect("the SPEC §7 example is valid");
    assert_eq!(s.nodes, ["n1", "n2"]);
    assert_eq!(s.steps.len(), 7);
    assert_eq!(s.config.pending_timeout, 180_000);
    let Step::CheckCalls(calls) = &s.steps[5] else {
        panic!("step 5 is check_calls")
    };
    assert_eq!(
        calls[0].flags,
        OfflineFlags::RETURN_TO_SOURCE_NODE_ON_ERROR | OfflineFlags::DO_NOT_UPDATE_PERSISTENT_STATE
    );
}

#[test]
fn malformed_files_name_the_json_path() {
    let cases = [
        ("{", "$ (line 1, column 1)"),
        ("[]", "$"),
        (&with_steps(r#"[{"call":"fly"}]"#), "$.steps[0].call"),
        (
            &with_steps(r#"[{"event":"complete_offline","resource":"vm9"}]"#),
            "$.steps[0].resource",
        ),
        (
            &with_steps(r#"[{"call":"move_group","group":"g1","flags":["NOPE"]}]"#),
            "$.steps[0].flags[0]",
        ),
        (
            &with_steps(r#"[{"flags":[1, "NOPE"],"group":"g1","call":"move_group"}]"#),
            "$.steps[0].flags[1]",
        ),
        (
            &with_steps(r#"[{"call":"move_group","group":"g1","expect":"ERROR_NOPE"}]"#),
            "$.steps[0].expect",
        ),
        (
            &with_steps(r#"[{"check":{"state":{"vm1":"Sleeping"}}}]"#),
            "$.steps[0].check.state.vm1",
        ),
        (
            &with_steps(r#"[{"check":{"owner":{"g1":"n7"}}}]"#),
            "$.steps[0].check.owner.g1",
        ),
        (
            &with_steps(r#"[{"event":"tick","ms":"ten"}]"#),
            "$.steps[0].ms",
        ),
        (
            &with_steps(r#"[{"check_completions":[{"step":0,"result":"ERROR_SUCCESS"}]}]"#),
            "$.steps[0].check_completions[0].step",
        ),
        (
            &with_steps(r#"[{"event":"tick","ms":1,"extra":true}]"#),
            "$.steps[0].extra",
        ),
        (
            &with_steps(r#"[{"call":"raw_offline_v2","node":"n1","resid":1,"inbuf":"abc"}]"#),
            "$.steps[0].inbuf",
        ),
        (
            &with_steps(r#"[{"call":"raw_offline_v2","node":"n1","resid":1,"flagz":1}]"#),
            "$.steps[0].flagz",
        ),
        (
            &with_steps(r#"[{"call":"raw_offline_v2","node":"n9","resid":1}]"#),
            "$.steps[0].node",
        ),
        (
            &with_steps(r#"[{"check_calls":[{"node":"n1","entry":"Open","resource":"vm1"}]}]"#),
            "$.steps[0].check_calls[0].entry",
        ),
        (
            &with_steps(
                r#"[{"check_calls":[{"node":"n1","entry":"OnlineV2","resource":"vm1","dest":"n2"}]}]"#,
            ),
            "$.steps[0].check_calls[0]",
        ),
        (&with_steps(r#"[{"comment":"no kind"}]"#), "$.steps[0]"),
        (
            &with_steps(r#"[{"check":{},"event":"tick"}]"#),
            "$.steps[0].check",
        ),
        (r#"{"nodes":["n_1"],"groups":[],"steps":[]}"#, "$.nodes[0]"),
        (
            r#"{"nodes":["n1","n1"],"groups":[],"steps":[]}"#,
            "$.nodes[1]",
        ),
        (r#"{"nodes":[],"groups":[],"steps":[]}"#, "$.nodes"),
        (
            r#"{"nodes":["n1"],"groups":[],"steps":[],"stepz":[]}"#,
            "$.stepz",
        ),
        (
            r#"{"nodes":["n1"],"groups":[{"name":"g","owner":"n2","resources":[]}],"steps":[]}"#,
            "$.groups[0].owner",
        ),
    ];
    for (text, path) in cases {
        let e = error_of(text);
        assert_eq!(e.path, path, "{text}: {e}");
        assert!(e.to_string().starts_with("t.json: "), "{e}");
    }
}

#[test]
fn messages_say_what_was_expected() {
    let e = error_of(&with_steps(
        r#"[{"call":"move_group","group":"g1","flags":["RETURN_TO_SOURCE"]}]"#,
    ));
    assert!(
        e.message.starts_with("unknown flag \"RETURN_TO_SOURCE\" (expected one of: IGNORE_RESOURCE_STATUS, RETURN_TO_SOURCE_NODE_ON_ERROR"),
        "{e}"
    );
    let e = error_of(&with_steps(r#"[{"call":"fly"}]"#));
    assert!(
        e.message
            .starts_with("unknown call \"fly\" (expected one of: offline_resource"),
        "{e}"
    );
    let e = error_of(&with_steps(
        r#"[{"event":"complete_offline","resource":"vm9"}]"#,
    ));
    assert_eq!(e.message, "undeclared resource \"vm9\"");
    let e = error_of(&with_steps(r#"[{"event":"tick","ms":1,"extra":true}]"#));
    assert_eq!(e.message, "unknown field `extra`, expected `ms`");
}

#[test]
fn unknown_names_in_calls_are_legal() {
    let s = parse(&with_steps(
        r#"[{"call":"move_group","group":"nope","dest":"n9","expect":5013},{"call":"online_resource","resource":"vm9"}]"#,
    ))
    .expect("calls may name unknown things");
    assert!(matches!(
        s.steps[0],
        Step::Call {
            expect: Some(ErrorCode::ERROR_GROUP_NOT_FOUND),
            ..
        }
    ));
}

/// Issue 14's format bug: SPEC §7 says a raw call's `resource` is passed as the RESID the
/// node holds for it, or a never-issued one — an undeclared resource is legal input.
#[test]
fn a_raw_call_may_name_an_undeclared_resource() {
    let s = parse(&with_steps(
        r#"[{"call":"raw_offline_v2","node":"n1","resource":"ghost","flags":0,"expect":"ERROR_RESOURCE_NOT_FOUND"}]"#,
    ))
    .expect("an undeclared resource in raw_offline_v2 is legal");
    let Step::Call {
        call: Call::RawOfflineV2(raw),
        ..
    } = &s.steps[0]
    else {
        panic!("a raw call")
    };
    assert_eq!(raw.resid, RawResidSpec::Resource("ghost".into()));
    assert_eq!(raw.inbuf_size, 0);
}

#[test]
fn names_are_case_insensitive_and_flags_may_be_numbers() {
    let s = parse(&with_steps(
        r#"[{"call":"move_group","group":"g1","flags":["return_to_source_node_on_error",32],"expect":"error_io_pending"},
            {"check":{"state":{"vm1":"onlinepending"},"persistent":{"vm1":"OFFLINE"}}},
            {"check_calls":[{"node":"n1","entry":"offlinev2","resource":"vm1","result":"error_success"}]}]"#,
    ))
    .expect("valid");
    let Step::Call {
        call: Call::MoveGroup(m),
        expect,
    } = &s.steps[0]
    else {
        panic!("a move")
    };
    assert_eq!(m.flags.bits(), 0x2 | 32);
    assert_eq!(*expect, Some(ErrorCode::ERROR_IO_PENDING));
    let Step::Check(c) = &s.steps[1] else {
        panic!("a check")
    };
    assert_eq!(c.state, [("vm1".to_owned(), ResourceState::OnlinePending)]);
}

#[test]
fn defaults_and_comments() {
    let s = parse(
        r#"{"nodes":["n1"],"description":"d","config":{"retry_interval":5},
            "groups":[{"name":"g","owner":"n1","resources":[{"name":"r","persistent":"Offline","offline":"SYNC"}]}],
            "steps":[{"call":"raw_offline_v2","node":"n1","resid":7,"inbuf":"00ff","comment":"c"},
                     {"event":"tick","ms":1,"comment":"c"},{"check":{},"comment":"c"}]}"#,
    )
    .expect("valid");
    assert_eq!(s.config.pending_timeout, 180_000);
    assert_eq!(s.config.retry_interval, 5);
    assert_eq!(s.description.as_deref(), Some("d"));
    let r = &s.groups[0].resources[0];
    assert_eq!((r.offline, r.online), (WorkMode::Sync, WorkMode::Pending));
    let Step::Call {
        call: Call::RawOfflineV2(raw),
        ..
    } = &s.steps[0]
    else {
        panic!("a raw call")
    };
    assert_eq!((raw.inbuf_size, raw.flags, raw.reserved), (2, 0, 0));
}

#[test]
fn round_trip_of_the_spec_example_and_of_unknown_bits() {
    let s = parse(EXAMPLE).expect("valid");
    assert_eq!(parse(&s.to_text()).expect("written text parses"), s);
    let text = r#"{"nodes":["n1"],"groups":[{"name":"g","owner":"n1","resources":[{"name":"r","persistent":"offline"}]}],
        "steps":[{"call":"move_group","group":"g","dest":null,"flags":["QUEUE_ENABLED",64],"expect":87},
                 {"call":"raw_offline_v2","node":"n1","resid":0,"dest":"x y","flags":255,"inbuf":"00ff","inbuf_size":9,"reserved":1}]}"#;
    let s = parse(text).expect("valid");
    assert_eq!(parse(&s.to_text()).expect("written text parses"), s);
}

#[test]
fn every_call_and_event_name_is_the_one_written() {
    let s = parse(EXAMPLE).expect("valid");
    let text = s.to_text();
    for name in [
        "move_group",
        "complete_offline",
        "fail_online",
        "check_calls",
    ] {
        assert!(text.contains(&format!("\"{name}\"")), "{text}");
    }
    let schema = json_schema().to_string();
    for name in Call::names().iter().chain(&Event::names()) {
        assert!(
            schema.contains(&format!("\"const\":\"{name}\"")),
            "{name} is in the schema"
        );
    }
}

/// `docs/scenario.schema.json` is what the types generate. To regenerate it:
/// `cargo run -q -p offline-v2-properties --bin offline-v2 -- schema > docs/scenario.schema.json`
#[test]
fn the_committed_json_schema_is_the_generated_one() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/scenario.schema.json");
    let committed = std::fs::read_to_string(&file).expect("docs/scenario.schema.json exists");
    assert!(
        committed == schema_text(),
        "docs/scenario.schema.json is stale; regenerate it with\n  cargo run -q -p offline-v2-properties --bin offline-v2 -- schema > docs/scenario.schema.json"
    );
}

/// The text `offline-v2 schema` prints.
fn schema_text() -> String {
    format!("{}\n", json_schema_text())
}

fn names(prefix: &'static str, n: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(".{0,5}", n).prop_map(move |v| {
        v.iter()
            .enumerate()
            .map(|(i, s)| format!("{prefix}{i}{s}"))
            .collect()
    })
}

fn code() -> impl Strategy<Value = ErrorCode> {
    prop_oneof![
        prop::sample::select(ErrorCode::ALL.to_vec()),
        any::<u32>().prop_map(ErrorCode)
    ]
}

fn declarations() -> impl Strategy<Value = (Vec<String>, Vec<GroupDecl>)> {
    let node = "[A-Za-z0-9-]{1,15}";
    (
        prop::collection::btree_set(node, 1..4),
        prop::collection::vec(0usize..3, 0..3),
    )
        .prop_flat_map(|(nodes, sizes)| {
            let nodes: Vec<String> = nodes.into_iter().collect();
            let total: usize = sizes.iter().sum();
            let resource = (
                prop::sample::select(vec![PersistentState::Online, PersistentState::Offline]),
                prop::sample::select(vec![WorkMode::Sync, WorkMode::Pending]),
                prop::sample::select(vec![WorkMode::Sync, WorkMode::Pending]),
            );
            (
                Just(nodes.clone()),
                Just(sizes.clone()),
                names("g", sizes.len()),
                names("r", total),
                prop::collection::vec(prop::sample::select(nodes), sizes.len()),
                prop::collection::vec(resource, total),
            )
        })
        .prop_map(|(nodes, sizes, gnames, rnames, owners, rs)| {
            let mut next = 0;
            let groups = sizes
                .iter()
                .zip(gnames)
                .zip(owners)
                .map(|((&n, name), owner)| {
                    let resources = (next..next + n)
                        .map(|k| ResourceDecl {
                            name: rnames[k].clone(),
                            persistent: rs[k].0,
                            offline: rs[k].1,
                            online: rs[k].2,
                        })
                        .collect();
                    next += n;
                    GroupDecl {
                        name,
                        owner,
                        resources,
                    }
                })
                .collect();
            (nodes, groups)
        })
}

fn call(nodes: Vec<String>) -> impl Strategy<Value = Call> {
    let resid = prop_oneof![
        any::<u64>().prop_map(RawResidSpec::Value),
        ".*".prop_map(RawResidSpec::Resource)
    ];
    let raw = (
        prop::sample::select(nodes),
        resid,
        prop::option::of(".*"),
        any::<u32>(),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..6)),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(node, resid, dest, flags, inbuf, inbuf_size, reserved)| RawCall {
                node,
                resid,
                dest,
                flags,
                inbuf,
                inbuf_size,
                reserved,
            },
        );
    prop_oneof![
        (
            ".*",
            any::<u32>(),
            prop::sample::select(OfflineReason::ALL.to_vec())
        )
            .prop_map(
                |(resource, f, reason)| Call::OfflineResource(OfflineResourceCall {
                    resource,
                    flags: OfflineResourceFlags::from_bits_retain(f),
                    reason
                })
            ),
        ".*".prop_map(|r| Call::OnlineResource(r.into())),
        (".*", prop::option::of(".*"), any::<u32>()).prop_map(|(group, dest, f)| {
            Call::MoveGroup(MoveGroupCall {
                group,
                dest,
                flags: MoveGroupFlags::from_bits_retain(f),
            })
        }),
        (".*", any::<u32>()).prop_map(|(group, reserved)| Call::CancelGroupOperation(CancelCall {
            group,
            reserved
        })),
        raw.prop_map(Call::RawOfflineV2),
    ]
}

fn event(nodes: Vec<String>, resources: Vec<String>) -> BoxedStrategy<Event> {
    let node = prop::sample::select(nodes);
    let mut kinds = vec![
        any::<u64>().prop_map(|ms| Event::Tick(ms.into())).boxed(),
        (node.clone(), node.clone())
            .prop_map(|(a, b)| Event::NetDown(LinkArgs::new(a, b)))
            .boxed(),
        (node.clone(), node.clone())
            .prop_map(|(a, b)| Event::NetUp(LinkArgs::new(a, b)))
            .boxed(),
        node.clone()
            .prop_map(|n| Event::CrashNode(n.into()))
            .boxed(),
        node.prop_map(|n| Event::StartNode(n.into())).boxed(),
    ];
    if !resources.is_empty() {
        let makers: [fn(ResourceArg) -> Event; 10] = [
            Event::CompleteOffline,
            Event::FailOffline,
            Event::CompleteOnline,
            Event::FailOnline,
            Event::Lock,
            Event::Unlock,
            Event::Busy,
            Event::Unbusy,
            Event::EmbeddedFailure,
            Event::InjectPanic,
        ];
        kinds.push(
            (
                prop::sample::select(makers.to_vec()),
                prop::sample::select(resources),
            )
                .prop_map(|(make, r)| make(r.into()))
                .boxed(),
        );
    }
    prop::strategy::Union::new(kinds).boxed()
}

/// A check of a random subset of the declared groups and resources.
fn check(
    nodes: Vec<String>,
    groups: Vec<String>,
    resources: Vec<String>,
) -> impl Strategy<Value = Check> {
    let n_g = groups.len();
    let n_r = resources.len();
    (
        prop::collection::vec(prop::option::of(prop::sample::select(nodes)), n_g),
        prop::collection::vec(
            prop::option::of(prop::sample::select(ResourceState::ALL.to_vec())),
            n_r,
        ),
        prop::collection::vec(
            prop::option::of(prop::sample::select(vec![
                PersistentState::Online,
                PersistentState::Offline,
            ])),
            n_r,
        ),
        prop::collection::vec(prop::option::of(any::<bool>()), n_r),
        prop::collection::vec(prop::option::of(any::<bool>()), n_g),
    )
        .prop_map(move |(owner, state, persistent, locked, queued)| {
            fn keep<V: Clone>(names: &[String], values: Vec<Option<V>>) -> Vec<(String, V)> {
                names
                    .iter()
                    .zip(values)
                    .filter_map(|(n, v)| v.map(|v| (n.clone(), v)))
                    .collect()
            }
            Check {
                owner: keep(&groups, owner),
                state: keep(&resources, state),
                persistent: keep(&resources, persistent),
                locked: keep(&resources, locked),
                queued: keep(&groups, queued),
            }
        })
}

fn expected_call(
    nodes: Vec<String>,
    resources: Vec<String>,
) -> impl Strategy<Value = ExpectedCall> {
    let node = prop::sample::select(nodes);
    (
        node.clone(),
        prop::sample::select(vec![
            CallEntry::OnlineV2,
            CallEntry::OfflineV2,
            CallEntry::Terminate,
        ]),
        prop::sample::select(resources),
        prop::option::of(node),
        any::<u32>(),
        prop::option::of(code()),
    )
        .prop_map(|(node, entry, resource, dest, f, result)| {
            let offline = entry == CallEntry::OfflineV2;
            ExpectedCall {
                node,
                entry,
                resource,
                dest: dest.filter(|_| offline),
                flags: OfflineFlags::from_bits_retain(if offline { f } else { 0 }),
                result,
            }
        })
}

fn step(nodes: Vec<String>, groups: Vec<String>, resources: Vec<String>) -> BoxedStrategy<Step> {
    let mut kinds = vec![
        (call(nodes.clone()), prop::option::of(code()))
            .prop_map(|(call, expect)| Step::Call { call, expect })
            .boxed(),
        event(nodes.clone(), resources.clone())
            .prop_map(Step::Event)
            .boxed(),
        check(nodes.clone(), groups, resources.clone())
            .prop_map(Step::Check)
            .boxed(),
        prop::collection::vec((any::<prop::sample::Index>(), code()), 0..3)
            .prop_map(|list| {
                // Placeholder indices; `scenario()` points them at earlier calls.
                Step::CheckCompletions(
                    list.into_iter()
                        .map(|(i, result)| ExpectedCompletion {
                            step: i.index(usize::MAX),
                            result,
                        })
                        .collect(),
                )
            })
            .boxed(),
    ];
    if !resources.is_empty() {
        kinds.push(
            prop::collection::vec(expected_call(nodes, resources), 0..3)
                .prop_map(Step::CheckCalls)
                .boxed(),
        );
    }
    prop::strategy::Union::new(kinds).boxed()
}

/// Valid scenarios: declared names where the format wants them, anything where it allows it.
fn scenario() -> impl Strategy<Value = Scenario> {
    declarations()
        .prop_flat_map(|(nodes, groups)| {
            let gnames: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
            let rnames: Vec<String> = groups
                .iter()
                .flat_map(|g| g.resources.iter().map(|r| r.name.clone()))
                .collect();
            (
                ".*",
                prop::option::of(".*"),
                any::<(u64, u64)>(),
                Just(nodes.clone()),
                Just(groups),
                prop::collection::vec(step(nodes, gnames, rnames), 0..10),
            )
        })
        .prop_map(|(name, description, (p, r), nodes, groups, mut steps)| {
            let mut calls = Vec::new();
            for (i, s) in steps.iter_mut().enumerate() {
                match s {
                    Step::Call { .. } => calls.push(i),
                    Step::CheckCompletions(list) if calls.is_empty() => list.clear(),
                    Step::CheckCompletions(list) => {
                        for c in list {
                            c.step = calls[c.step % calls.len()];
                        }
                    }
                    _ => {}
                }
            }
            Scenario {
                file: "gen.json".into(),
                name,
                description,
                config: Config {
                    pending_timeout: p,
                    retry_interval: r,
                },
                nodes,
                groups,
                steps,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    /// parse ∘ write = id: every scenario the types can hold is written so that it reads back
    /// equal (one schema for reading and writing).
    #[test]
    fn writing_then_parsing_gives_the_same_scenario(s in scenario()) {
        let text = s.to_text();
        let back = Scenario::parse(&text, Path::new("gen.json"));
        prop_assert_eq!(back.as_ref(), Ok(&s), "{}", text);
    }
}
