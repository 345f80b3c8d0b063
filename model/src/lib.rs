//! Independent stateright model of the OfflineV2 cluster (SPEC §3–§6).
