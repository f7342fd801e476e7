//! Shared documents are re-read before the write and re-merged: a concurrent foreign edit of the
//! findings bucket policy is never lost, and a writer that overwrites ours does not leave the
//! detectors locked out. The emulator's concurrent writer makes each race land at an exact point.

use crate::engine_support::*;
use integration_tests::{SeedSpec, emulator};
use orchestrator::engine;

const FOREIGN_SID: &str = "CustomerConcurrentEdit";

fn foreign_statement() -> serde_json::Value {
    serde_json::json!({
        "Sid": FOREIGN_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:DeleteBucket",
        "Resource": format!("arn:aws:s3:::{GD_BUCKET}"),
    })
}

/// Onboards 3 accounts while the armed edit races the product's write, then checks that the
/// foreign statement and the product's statements are both in the final document.
#[expect(
    clippy::expect_used,
    reason = "test helper: a failed run must fail the test"
)]
async fn onboard_while_racing(operation: &str, stale: bool) {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 3,
        regions: vec!["us-east-1".into()],
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&["us-east-1"], "");
    let ctx = context(aws.clone(), 4);
    emu.arm_concurrent_edit(GD_BUCKET, operation, 1, stale, &foreign_statement());

    let outcome = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!outcome.has_failures(), "{:#?}", outcome.accounts);
    assert!(emu.concurrent_edit_fired(), "the race did not happen");

    let doc = bucket_policy(&aws, GD_BUCKET).await;
    let foreign: Vec<_> = doc.foreign_statements().map(|s| s.to_value()).collect();
    assert_eq!(
        foreign,
        vec![foreign_statement()],
        "the foreign edit was lost"
    );
    assert!(
        doc.owned_statements().count() >= 1,
        "the product's statements were lost: {}",
        doc.to_json_minified()
    );
    // The document admits every detector: nothing is left to change.
    let again = engine::plan(&cfg, &ctx).await.expect("plan");
    assert!(!again.has_changes(), "{:#?}", again.changes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_made_between_our_read_and_our_write_is_merged_not_lost() {
    onboard_while_racing("GetBucketPolicy", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_writer_that_replaces_our_write_is_merged_into() {
    onboard_while_racing("PutBucketPolicy", true).await;
}
