//! A build without the `seeded-bugs` feature (every normal and release build) has no seeded
//! bug: the control export answers the SEEDED_BUG op as an unknown op
//! (ERROR_INVALID_FUNCTION), through the loaded cdylib. `scripts/check-no-seeded-bugs.sh`
//! runs this against the release cdylib. (Compiled out when the feature is on, e.g. under
//! `cargo test --workspace`, where `offline-v2-properties`' dev-dependency enables it.)
#![cfg(not(feature = "seeded-bugs"))]

use offline_v2::abi::types::control_op;
use offline_v2::loader::LoadedDll;
use offline_v2::types::ErrorCode;

#[test]
fn without_the_feature_the_seeded_bug_op_is_an_unknown_op() {
    let dll = LoadedDll::open_built().expect("the reference cdylib is built");
    let instance = dll.instance().expect("an instance");
    for name in ["ReservedIgnored", "None", "NoSuchBug"] {
        let units: Vec<u16> = name.encode_utf16().collect();
        assert_eq!(
            instance.send_control_raw(control_op::SEEDED_BUG, &units),
            ErrorCode::ERROR_INVALID_FUNCTION,
            "{} answered the SEEDED_BUG op for {name:?}: it was built with seeded bugs",
            dll.path().display()
        );
    }
}
