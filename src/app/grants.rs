//! What the key picker and the confirmation know of a key beyond KMS's
//! description: streams KMS is refusing on it now, and what KMS said of a
//! dry run of Firehose's grant on it.

use super::{App, Dialog};
use crate::change::Request;
use crate::model::KeyRef;
use crate::model::TargetId;

impl App {
    /// Why a key may not work although Firehose could use it: KMS refusing
    /// streams on it in the window, or a grant dry run KMS denied.
    pub(super) fn key_warning(&self, target: TargetId, arn: &str) -> Option<String> {
        let erring = self
            .streams_on(arn)
            .iter()
            .filter(|id| self.kms_total(id) > 0.0)
            .count();
        if erring > 0 {
            let streams = if erring == 1 { "stream" } else { "streams" };
            return Some(format!(
                "KMS is refusing {erring} {streams} on it ({})",
                self.window.label()
            ));
        }
        let checks = self.fleet.part(target).map(|p| &p.grant_checks);
        matches!(
            checks.and_then(|c| c.get(arn)),
            Some(crate::cloud::GrantCheck::Denied(_))
        )
        .then(|| "KMS denied you a grant dry run on it".to_string())
    }

    /// KMS's answer to a grant dry run: kept, and the open confirmation for
    /// that key checked again with it.
    pub(super) fn grant_checked(&mut self, key: &str) -> bool {
        let Some(Dialog::Confirm(c)) = &self.dialog else {
            return false;
        };
        let Request::Switch {
            key: KeyRef::Customer(arn),
            ..
        } = &c.request
        else {
            return false;
        };
        if arn != key {
            return false;
        }
        let (request, id) = (c.request.clone(), c.stream.clone());
        let Some(row_stream) = self.row(&id).and_then(|r| r.stream.clone()) else {
            return false;
        };
        let all = self.fleet.part(id.target).and_then(|p| p.all_keys.as_ref());
        let target = all.and_then(|b| b.key(key)).cloned();
        self.dialog = Some(Dialog::Confirm(self.preview(
            &id,
            &row_stream,
            request,
            target,
        )));
        true
    }
}
