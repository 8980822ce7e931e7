//! Status lists ([`gatehouse_store::StatusLists`]): blocks of indexes, revoked bits, and the
//! epochs a list publishes, on both stores. Each answer is computed from what was written.

use gatehouse_core::clock::UnixSeconds;
use gatehouse_core::revocation::EpochSubject;
use gatehouse_core::status_list::PublishedEpoch;
use gatehouse_store::StoredList;

use super::*;

async fn blocks_of_indexes_follow_one_another_and_lists_are_apart(store: Arc<dyn Store>) {
    let blocks = [(7, 1024), (7, 1024), (8, 10), (7, 5)];
    let mut reserved: std::collections::HashMap<u64, u64> = Default::default();
    for (window, count) in blocks {
        let first = store.reserve_status_indexes(window, count).await.unwrap();
        let size = reserved.entry(window).or_default();
        assert_eq!(first, *size, "window {window}");
        *size += count;
    }
    for (window, size) in reserved {
        assert_eq!(store.status_list(window).await.unwrap().size, size);
    }
    assert_eq!(store.status_list(9).await.unwrap(), StoredList::default());
}

async fn revoked_indexes_are_kept_once_each_across_chunks(store: Arc<dyn Store>) {
    store.reserve_status_indexes(3, 100_000).await.unwrap();
    // Indexes in three chunks, one sent twice (a retry).
    let revoked = [5, 40_000, 99_999, 5, 32_767, 32_768];
    for index in revoked {
        store.revoke_status_index(3, index).await.unwrap();
    }
    let mut expected: Vec<u64> = revoked.to_vec();
    expected.sort_unstable();
    expected.dedup();
    let list = store.status_list(3).await.unwrap();
    assert_eq!((list.size, list.revoked), (100_000, expected));
    assert!(store.status_list(4).await.unwrap().revoked.is_empty());
}

async fn a_list_publishes_each_subjects_latest_epoch_after_its_start(store: Arc<dyn Store>) {
    let second = |s: u64| UnixSeconds(t0().floor_seconds().0 + s);
    let customer = |id: &str| EpochSubject::Owner {
        mode: Mode::Test,
        owner_type: "Customer".into(),
        id: id.into(),
    };
    let app = EpochSubject::Application {
        id: "app_erp".into(),
    };
    let writes = [
        (customer("cus_a"), 10),
        (customer("cus_a"), 30),
        (customer("cus_b"), 5),
        (app.clone(), 20),
    ];
    for (subject, at) in &writes {
        store.write_epoch(subject, second(*at)).await.unwrap();
    }
    for after in [0, 10, 25, 40] {
        // Each subject's latest epoch, when it is after `after`.
        let mut expected: Vec<PublishedEpoch> = Vec::new();
        for (subject, _) in &writes {
            let latest = writes
                .iter()
                .filter(|(s, _)| s == subject)
                .map(|(_, at)| *at)
                .max()
                .unwrap();
            let entry = PublishedEpoch {
                subject: subject.key(),
                before: second(latest).0,
            };
            if latest > after && !expected.contains(&entry) {
                expected.push(entry);
            }
        }
        let mut found = store.epochs_after(second(after)).await.unwrap();
        found.sort_by(|a, b| a.subject.cmp(&b.subject));
        expected.sort_by(|a, b| a.subject.cmp(&b.subject));
        assert_eq!(found, expected, "after {after}");
    }
}

conformance!(
    blocks_of_indexes_follow_one_another_and_lists_are_apart,
    revoked_indexes_are_kept_once_each_across_chunks,
    a_list_publishes_each_subjects_latest_epoch_after_its_start,
);
