//! Who made a call, named as a person would know them, from every type of
//! `userIdentity` the AWS CloudTrail User Guide documents ("CloudTrail
//! userIdentity element"). Each name is built from fields CloudTrail gives;
//! a caller no rule below can name is still named, by the first of its
//! `principalId`, `arn` and `accountId` there is, so that no one else's call
//! is ever left without a name.

use serde_json::Value;

use super::field;

/// The caller of a record with no `userIdentity` and no `Username` beside
/// it: said plainly, never as if it were this machine's own call.
pub const UNNAMED: &str = "a caller CloudTrail does not name";

/// The caller of a record, by its `userIdentity`; `recipient` is the
/// record's `recipientAccountId`, the account the call was made in. `None`
/// when `identity` is not an object (the summary's `Username` is then used).
///
/// - `IAMUser`: the user's name (`userName`, else the ARN's last part).
/// - `AssumedRole`: `ROLE/SESSION`, the role from
///   `sessionContext.sessionIssuer.userName` (else the ARN's
///   `assumed-role/ROLE/…`) and the session from the ARN's last part (else
///   `principalId` after its `:`): `AWSReservedSSO_Admin_0123abcd/alice@example.com`.
/// - `FederatedUser`: `federated-user/NAME` as the ARN gives it (else from
///   `principalId`), with `via ISSUER`, the IAM user that asked STS for the
///   session (`sessionContext.sessionIssuer.userName`), when CloudTrail says.
/// - `IdentityCenterUser`: `identity-center user USERID`, from
///   `onBehalfOf.userId`: CloudTrail gives the Identity Center user's id, not
///   a name.
/// - `AWSAccount`: `account ACCOUNTID`.
/// - `AWSService`: the service, from `invokedBy`.
/// - `Root`: `root`.
/// - `Role`, `Directory`, `Unknown`, `SAMLUser`, `WebIdentityUser` and any
///   type CloudTrail adds later: `userName`, else the ARN's last part.
///
/// A caller whose `accountId` is not the account the call was made in is
/// said with it first (`account 444455556666: cfn-deployer/deploy-1`), so
/// that a cut name still says whose it is.
pub fn name(identity: &Value, recipient: Option<&str>) -> Option<String> {
    identity.as_object()?;
    let text = |name: &str| own(identity, name);
    let kind = text("type");
    let named = match kind {
        Some("Root") => Some("root".to_string()),
        Some("IAMUser") => text("userName")
            .map(str::to_string)
            .or_else(|| arn_tail(identity)),
        Some("AssumedRole") => assumed_role(identity),
        Some("FederatedUser") => federated(identity),
        Some("IdentityCenterUser") => field(identity, "onBehalfOf")
            .and_then(|o| own(o, "userId"))
            .map(|id| format!("identity-center user {id}")),
        Some("AWSAccount") => text("accountId").map(|a| format!("account {a}")),
        Some("AWSService") => text("invokedBy").map(str::to_string),
        _ => text("userName")
            .map(str::to_string)
            .or_else(|| arn_tail(identity)),
    };
    let named = named.or_else(|| fallback(identity))?;
    // Another account's principal is named with that account; the types
    // that name no principal of their own (another account as a whole, a
    // service, an Identity Center user, whose `accountId` is the instance's)
    // are left as they are.
    let foreign = text("accountId").filter(|a| recipient.is_some_and(|r| r != *a));
    Some(match (foreign, kind) {
        (Some(a), Some("IAMUser" | "AssumedRole" | "FederatedUser" | "Root" | "Role")) => {
            format!("account {a}: {named}")
        }
        _ => named,
    })
}

/// A non-empty string member of `v`.
fn own<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    field(v, name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The last part of the caller's ARN: a user's or a session's name.
fn arn_tail(identity: &Value) -> Option<String> {
    own(identity, "arn")
        .and_then(|a| a.rsplit('/').next())
        .filter(|s| !s.is_empty() && !s.starts_with("arn:"))
        .map(str::to_string)
}

/// The issuer of a session (`sessionContext.sessionIssuer`).
fn issuer(identity: &Value) -> Option<&Value> {
    field(identity, "sessionContext").and_then(|c| field(c, "sessionIssuer"))
}

/// `ROLE/SESSION`, or whichever of the two CloudTrail gives.
fn assumed_role(identity: &Value) -> Option<String> {
    let arn = own(identity, "arn");
    // arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION
    let from_arn = arn
        .and_then(|a| a.split_once(":assumed-role/"))
        .and_then(|(_, rest)| rest.split_once('/'));
    let role = issuer(identity)
        .and_then(|i| own(i, "userName"))
        .or(from_arn.map(|(role, _)| role));
    let session = from_arn
        .map(|(_, session)| session)
        .or_else(|| {
            own(identity, "principalId")
                .and_then(|p| p.split_once(':'))
                .map(|(_, s)| s)
        })
        .filter(|s| !s.is_empty());
    match (role, session) {
        (Some(r), Some(s)) => Some(format!("{r}/{s}")),
        (r, s) => r.or(s).map(str::to_string),
    }
}

/// `federated-user/NAME via ISSUER`, or as much of it as CloudTrail gives.
fn federated(identity: &Value) -> Option<String> {
    // arn:aws:sts::ACCOUNT:federated-user/NAME; principalId ACCOUNT:NAME.
    let name = own(identity, "arn")
        .and_then(|a| a.split_once(":federated-user/"))
        .map(|(_, n)| n)
        .or_else(|| {
            own(identity, "principalId")
                .and_then(|p| p.split_once(':'))
                .map(|(_, n)| n)
        })
        .filter(|n| !n.is_empty())?;
    let via = issuer(identity).and_then(|i| match own(i, "type") {
        Some("Root") => Some("root"),
        _ => own(i, "userName"),
    });
    Some(match via {
        Some(v) => format!("federated-user/{name} via {v}"),
        None => format!("federated-user/{name}"),
    })
}

/// What names a caller no rule could: its principal's id, its ARN, or its
/// account.
fn fallback(identity: &Value) -> Option<String> {
    own(identity, "principalId")
        .or_else(|| own(identity, "arn"))
        .map(str::to_string)
        .or_else(|| own(identity, "accountId").map(|a| format!("account {a}")))
}

#[cfg(test)]
mod tests;
