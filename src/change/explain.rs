//! How a change ended, in words.

use super::{Ending, Plan};
use crate::model::EncryptionCall;
use crate::model::{EncryptionStatus, Failure, Stream};

/// What happened, in one plain sentence or two.
pub fn explain(plan: &Plan, ending: &Ending, now: &Stream) -> String {
    let name = &plan.stream.name;
    let was_encrypted = plan.was_encrypted();
    // The outcome first: a status line cut at 80 columns must still say it.
    let why = |f: &Option<Failure>| {
        f.as_ref().map_or(String::new(), |f| {
            format!(" AWS said {}: {}", f.kind, f.details.trim())
        })
    };
    match (&plan.change, ending) {
        (EncryptionCall::Start(_), Ending::Done) if was_encrypted => format!(
            "{name} is now encrypted with {} (was {}).",
            plan.new_label, plan.old_label
        ),
        (EncryptionCall::Start(_), Ending::Done) => {
            format!("{name} is now encrypted with {}.", plan.new_label)
        }
        // Before this change the stream had a failed one of its own: which
        // key it then held was not known, nor is it now.
        (EncryptionCall::Start(_), Ending::Failed(f))
            if plan.stream.encryption.status == EncryptionStatus::EnablingFailed =>
        {
            format!(
                "Key change FAILED: {} was not applied to {name}, which was ENABLING_FAILED before (shown as {}). {}{}",
                plan.new_label,
                plan.old_label,
                crate::health::OLD_KEY_UNSAID,
                why(f)
            )
        }
        // The Firehose API reference: "If a Firehose stream already has
        // encryption enabled [...] and you get ENABLING_FAILED, this only
        // means that the attempt to change the CMK failed. In this case,
        // encryption remains enabled with the old CMK."
        (EncryptionCall::Start(_), Ending::Failed(f)) if was_encrypted => format!(
            "Key change FAILED: {name} stays encrypted with its old key, {}; {} was not applied.{}",
            plan.old_label,
            plan.new_label,
            why(f)
        ),
        (EncryptionCall::Start(_), Ending::Failed(f)) => format!(
            "Enabling encryption FAILED: {name} is not encrypted (enabling with {} failed).{}",
            plan.new_label,
            why(f)
        ),
        (EncryptionCall::Stop, Ending::Done) => {
            format!("{name} is no longer encrypted by Firehose (was {}).", plan.old_label)
        }
        (EncryptionCall::Stop, Ending::Failed(f)) => format!(
            "Stopping encryption FAILED: {name} stays encrypted with {}.{}",
            plan.old_label,
            why(f)
        ),
        (_, Ending::Unconfirmed) => format!(
            "{name}: the answer from AWS was lost and the stream shows no change: AWS probably did not apply it, but may still. The call counts against the quota; check with `firekeeper status --stream {name}` before trying again."
        ),
        (_, Ending::Superseded { now }) => format!(
            "{name} was changed by someone else to {now} while firekeeper was following; {} was not kept. Check with `firekeeper status --stream {name}` before changing it again.",
            match &plan.change {
                EncryptionCall::Stop => "stopping encryption".to_string(),
                EncryptionCall::Start(_) => plan.new_label.clone(),
            }
        ),
        (_, Ending::TimedOut) => format!(
            "{name} is still {} after firekeeper stopped waiting; check with `firekeeper status --stream {name}`.",
            now.encryption.status
        ),
    }
}
