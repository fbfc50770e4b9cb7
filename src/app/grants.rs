//! What the key picker and the confirmation know of a key beyond KMS's
//! description: streams KMS is refusing on it now, and what KMS said of a
//! dry run of Firehose's grant on it.

use super::{App, Dialog};
use crate::change::Request;
use crate::cloud::KeyRef;

impl App {
    /// Why a key may not work although Firehose could use it: KMS refusing
    /// streams on it in the window, or a grant dry run KMS denied.
    pub(super) fn key_warning(&self, arn: &str) -> Option<String> {
        let erring = self
            .rows
            .iter()
            .filter(|r| r.encrypted_with(arn) && self.kms_total(&r.name) > 0.0)
            .count();
        if erring > 0 {
            let streams = if erring == 1 { "stream" } else { "streams" };
            return Some(format!(
                "KMS is refusing {erring} {streams} on it ({})",
                self.window.label()
            ));
        }
        matches!(
            self.grant_checks.get(arn),
            Some(crate::cloud::GrantCheck::Denied(_))
        )
        .then(|| "KMS denied you a grant dry run on it".to_string())
    }

    /// KMS's answer to a grant dry run: kept, and the open confirmation for
    /// that key checked again with it.
    pub(super) fn grant_checked(&mut self, key: String, check: crate::cloud::GrantCheck) -> bool {
        self.grant_checks.insert(key.clone(), check);
        let Some(Dialog::Confirm(c)) = &self.dialog else {
            return false;
        };
        let Request::Switch {
            stream,
            key: KeyRef::Customer(arn),
        } = &c.request
        else {
            return false;
        };
        if *arn != key {
            return false;
        }
        let request = c.request.clone();
        let Some(row_stream) = self.row(stream).and_then(|r| r.stream.clone()) else {
            return false;
        };
        let target = self.all_keys.as_ref().and_then(|b| b.key(&key)).cloned();
        self.dialog = Some(Dialog::Confirm(self.preview(&row_stream, request, target)));
        true
    }
}
