//! AWS's names for things: the enums whose strings AWS defines. Each string is
//! written once, in a strum attribute; `as_str`, `parse`, `Display` and serde
//! are all built from it, so the JSON that scripts read (`status -o json`, the
//! cache) and the words on screen cannot drift apart.
//!
//! AWS may add a value to any of these enums (a new stream source, encryption
//! status or key state): an `Other` variant keeps the string as AWS sent it
//! and writes it back unchanged; strum's `default` attribute routes every
//! unknown string there. Nothing reads such a value as a known one.

use serde::{Deserialize, Serialize};
use strum::{AsRefStr, Display, EnumIter, EnumString, IntoStaticStr};

/// `as_str`, `parse` and serde for an enum AWS may add to.
macro_rules! open_names {
    ($($t:ident),+) => {$(
        impl $t {
            pub fn as_str(&self) -> &str {
                match self {
                    // strum's `AsRef` gives this variant's name, not the string it holds.
                    $t::Other(s) => s,
                    known => known.as_ref(),
                }
            }

            /// Never fails: a string strum does not know is kept in `Other`.
            pub fn parse(s: &str) -> $t {
                s.parse().unwrap_or_else(|_| $t::Other(s.to_string()))
            }
        }

        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                Ok($t::parse(&String::deserialize(d)?))
            }
        }
    )+};
}

/// A KMS enum whose field KMS may leave out of its answer: after the known
/// values, `Unreported` (the empty string) and `Other`, with `open_names!`.
/// A `#[default]` after the body makes `Unreported` the default.
macro_rules! kms_names {
    ($(#[$meta:meta])* pub enum $t:ident { $($known:tt)* } $(#[$unreported:meta])?) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, EnumString, AsRefStr, Display, EnumIter)]
        $(#[$meta])*
        pub enum $t {
            $($known)*
            /// KMS did not say.
            $(#[$unreported])?
            #[strum(serialize = "")]
            Unreported,
            #[strum(default)]
            Other(String),
        }

        open_names!($t);
    };
}

/// Where a delivery stream's records come from. Only `DirectPut` streams can have
/// Firehose server-side encryption; for the others the source owns encryption.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EnumString, AsRefStr, Display, EnumIter)]
pub enum Source {
    DirectPut,
    KinesisStreamAsSource,
    #[strum(serialize = "MSKAsSource")]
    MskAsSource,
    DatabaseAsSource,
    #[strum(default)]
    Other(String),
}

impl Source {
    /// Whether the source, not Firehose, owns the stream's encryption (only
    /// DirectPut streams have Firehose SSE); `None` for a source firekeeper
    /// does not know.
    pub fn owns_encryption(&self) -> Option<bool> {
        match self {
            Source::DirectPut => Some(false),
            Source::KinesisStreamAsSource | Source::MskAsSource | Source::DatabaseAsSource => {
                Some(true)
            }
            Source::Other(_) => None,
        }
    }

    /// A short label for narrow table columns.
    pub fn short(&self) -> &str {
        match self {
            Source::KinesisStreamAsSource => "Kinesis",
            Source::MskAsSource => "MSK",
            Source::DatabaseAsSource => "Database",
            Source::DirectPut | Source::Other(_) => self.as_str(),
        }
    }
}

/// `DeliveryStreamEncryptionConfiguration.Status`. The order is the order of
/// concern (failures first), which sorting relies on: a status firekeeper
/// does not know sorts right after the failures, as it may be one.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, EnumString, AsRefStr, Display, EnumIter,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum EncryptionStatus {
    EnablingFailed,
    DisablingFailed,
    #[strum(default)]
    Other(String),
    /// Not AWS's value: the stream is known from AWS Config's record, which
    /// holds its configured key but not this status (nor whether a change
    /// is under way or failed). Not known until a describe says it; sorts
    /// with the values firekeeper does not know, as it may be a failure.
    #[strum(serialize = "? (AWS Config)")]
    NotRecorded,
    Enabling,
    Disabling,
    Enabled,
    Disabled,
}

impl EncryptionStatus {
    pub fn is_transition(&self) -> bool {
        matches!(
            self,
            EncryptionStatus::Enabling | EncryptionStatus::Disabling
        )
    }

    pub fn is_failed(&self) -> bool {
        matches!(
            self,
            EncryptionStatus::EnablingFailed | EncryptionStatus::DisablingFailed
        )
    }
}

/// `DeliveryStreamEncryptionConfiguration.KeyType`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EnumString, AsRefStr, Display, EnumIter)]
pub enum KeyType {
    #[strum(serialize = "AWS_OWNED_CMK")]
    AwsOwned,
    #[strum(serialize = "CUSTOMER_MANAGED_CMK")]
    CustomerManaged,
    #[strum(default)]
    Other(String),
}

/// `KeyMetadata.KeyState`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EnumString, AsRefStr, Display, EnumIter)]
pub enum KeyState {
    Enabled,
    Disabled,
    PendingDeletion,
    PendingImport,
    Unavailable,
    PendingReplicaDeletion,
    Creating,
    Updating,
    #[strum(default)]
    Other(String),
}

kms_names! {
    /// `KeyMetadata.KeySpec`. Firehose can use only `SYMMETRIC_DEFAULT`; a
    /// spec KMS did not report is not a reason to refuse a key.
    pub enum KeySpec {
        #[strum(serialize = "SYMMETRIC_DEFAULT")]
        SymmetricDefault,
        #[strum(serialize = "RSA_2048")]
        Rsa2048,
        #[strum(serialize = "RSA_3072")]
        Rsa3072,
        #[strum(serialize = "RSA_4096")]
        Rsa4096,
        #[strum(serialize = "ECC_NIST_P256")]
        EccNistP256,
        #[strum(serialize = "ECC_NIST_P384")]
        EccNistP384,
        #[strum(serialize = "ECC_NIST_P521")]
        EccNistP521,
        #[strum(serialize = "ECC_SECG_P256K1")]
        EccSecgP256k1,
        #[strum(serialize = "ECC_NIST_EDWARDS25519")]
        EccNistEdwards25519,
        #[strum(serialize = "HMAC_224")]
        Hmac224,
        #[strum(serialize = "HMAC_256")]
        Hmac256,
        #[strum(serialize = "HMAC_384")]
        Hmac384,
        #[strum(serialize = "HMAC_512")]
        Hmac512,
        #[strum(serialize = "SM2")]
        Sm2,
        #[strum(serialize = "ML_DSA_44")]
        MlDsa44,
        #[strum(serialize = "ML_DSA_65")]
        MlDsa65,
        #[strum(serialize = "ML_DSA_87")]
        MlDsa87,
        #[strum(serialize = "ML_KEM_512")]
        MlKem512,
        #[strum(serialize = "ML_KEM_768")]
        MlKem768,
        #[strum(serialize = "ML_KEM_1024")]
        MlKem1024,
    }
}

kms_names! {
    /// `KeyMetadata.KeyUsage`. Firehose can use only `ENCRYPT_DECRYPT`; a
    /// usage KMS did not report is not a reason to refuse a key.
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum KeyUsage {
        EncryptDecrypt,
        SignVerify,
        GenerateVerifyMac,
        KeyAgreement,
        EncapsulateDecapsulate,
    }
}

kms_names! {
    /// `KeyMetadata.KeyManager`: who owns the key. Only customer managed keys are
    /// offered for Firehose, and only they are asked about rotation.
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum KeyManager {
        Aws,
        Customer,
    }
}

kms_names! {
    /// `KeyMetadata.Origin`: where the key material came from. KMS rotates only
    /// material it made itself (`AWS_KMS`), outside custom key stores.
    #[derive(Default)]
    pub enum KeyOrigin {
        #[strum(serialize = "AWS_KMS")]
        AwsKms,
        /// Imported key material.
        #[strum(serialize = "EXTERNAL")]
        External,
        #[strum(serialize = "AWS_CLOUDHSM")]
        AwsCloudHsm,
        #[strum(serialize = "EXTERNAL_KEY_STORE")]
        ExternalKeyStore,
    }
    #[default]
}

kms_names! {
    /// How a rotation of key material came about (`ListKeyRotations`).
    #[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
    pub enum RotationKind {
        Automatic,
        OnDemand,
    }
}

open_names!(Source, KeyState, EncryptionStatus, KeyType);

/// The four CloudWatch metrics Firehose publishes when KMS refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, EnumString, IntoStaticStr)]
pub enum KmsMetric {
    #[strum(serialize = "KMSKeyAccessDenied")]
    AccessDenied,
    #[strum(serialize = "KMSKeyDisabled")]
    Disabled,
    #[strum(serialize = "KMSKeyInvalidState")]
    InvalidState,
    #[strum(serialize = "KMSKeyNotFound")]
    NotFound,
}

impl KmsMetric {
    pub const ALL: [KmsMetric; 4] = [
        KmsMetric::AccessDenied,
        KmsMetric::Disabled,
        KmsMetric::InvalidState,
        KmsMetric::NotFound,
    ];

    /// The CloudWatch metric name.
    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A region name as the SDK will take it (it must be a valid host label):
/// checked for the flag, the environment variables and the config file
/// alike, so that a bad one is refused with a message rather than reaching
/// the SDK.
pub fn region_name(value: &str) -> Result<String, String> {
    let label = !value.is_empty()
        && value.len() <= 63
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-');
    if label {
        Ok(value.to_string())
    } else {
        Err("not a region name: use one like us-east-1".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_strings_round_trip_through_serde_and_parse() {
        let json = serde_json::to_string(&(
            Source::MskAsSource,
            EncryptionStatus::EnablingFailed,
            KeyType::CustomerManaged,
            KeyState::PendingReplicaDeletion,
        ))
        .unwrap();
        assert_eq!(
            json,
            r#"["MSKAsSource","ENABLING_FAILED","CUSTOMER_MANAGED_CMK","PendingReplicaDeletion"]"#
        );
        let back: (Source, EncryptionStatus, KeyType, KeyState) =
            serde_json::from_str(&json).unwrap();
        assert_eq!(back.0, Source::MskAsSource);
        assert_eq!(back.1, EncryptionStatus::EnablingFailed);
        assert_eq!(
            EncryptionStatus::parse("DISABLED"),
            EncryptionStatus::Disabled
        );
        assert_eq!(EncryptionStatus::Disabling.to_string(), "DISABLING");
        assert_eq!(KmsMetric::InvalidState.name(), "KMSKeyInvalidState");
        assert_eq!("KMSKeyNotFound".parse(), Ok(KmsMetric::NotFound));
    }

    #[test]
    fn a_value_aws_added_later_is_kept_as_sent() {
        let source: Source = serde_json::from_str(r#""IcebergAsSource""#).unwrap();
        assert_eq!(source, Source::Other("IcebergAsSource".into()));
        assert_eq!(source.as_str(), "IcebergAsSource");
        assert_eq!(source.short(), "IcebergAsSource");
        assert_eq!(
            serde_json::to_string(&source).unwrap(),
            r#""IcebergAsSource""#
        );
        let state = KeyState::parse("Archived");
        assert_eq!(state.as_str(), "Archived");
        assert_eq!(state.to_string(), "Archived");
        let spec: KeySpec = serde_json::from_str(r#""PQC_9000""#).unwrap();
        assert_eq!(spec, KeySpec::Other("PQC_9000".into()));
    }

    #[test]
    fn key_spec_usage_and_manager_are_kms_strings_and_empty_when_unreported() {
        let json = serde_json::to_string(&(
            KeySpec::SymmetricDefault,
            KeySpec::Rsa2048,
            KeySpec::EccSecgP256k1,
            KeyUsage::GenerateVerifyMac,
            KeyManager::Customer,
            KeyManager::Aws,
            KeyUsage::Unreported,
        ))
        .unwrap();
        assert_eq!(
            json,
            r#"["SYMMETRIC_DEFAULT","RSA_2048","ECC_SECG_P256K1","GENERATE_VERIFY_MAC","CUSTOMER","AWS",""]"#
        );
        assert_eq!(KeySpec::parse("HMAC_512"), KeySpec::Hmac512);
        assert_eq!(KeyUsage::parse("ENCRYPT_DECRYPT"), KeyUsage::EncryptDecrypt);
        assert_eq!(KeyManager::parse(""), KeyManager::Unreported);
        assert_eq!(KeySpec::Unreported.to_string(), "");
    }

    /// Two variants given the same string by mistake would leave one of them
    /// unreachable by parsing.
    #[test]
    fn every_known_value_parses_back_to_itself() {
        use strum::IntoEnumIterator;
        macro_rules! round_trip {
            ($($t:ident),+) => {$(
                for v in $t::iter().filter(|v| !matches!(v, $t::Other(_))) {
                    assert_eq!($t::parse(v.as_str()), v);
                }
            )+};
        }
        round_trip!(
            Source,
            KeyState,
            KeySpec,
            KeyUsage,
            KeyManager,
            EncryptionStatus,
            KeyType
        );
        for m in KmsMetric::ALL {
            assert_eq!(m.name().parse(), Ok(m));
        }
    }

    /// A cache written before these enums were open still loads, and a
    /// status or key type AWS added later is kept, never read as a known one.
    #[test]
    fn an_unknown_status_or_key_type_is_kept_as_sent() {
        let status: EncryptionStatus = serde_json::from_str(r#""PAUSED""#).unwrap();
        assert_eq!(status, EncryptionStatus::Other("PAUSED".into()));
        assert_eq!(serde_json::to_string(&status).unwrap(), r#""PAUSED""#);
        assert!(!status.is_failed() && !status.is_transition());
        let key_type: KeyType = serde_json::from_str(r#""QUANTUM_CMK""#).unwrap();
        assert_eq!(key_type, KeyType::Other("QUANTUM_CMK".into()));
        assert_eq!(key_type.as_str(), "QUANTUM_CMK");
        let old: (EncryptionStatus, KeyType) =
            serde_json::from_str(r#"["ENABLED","AWS_OWNED_CMK"]"#).unwrap();
        assert_eq!(old, (EncryptionStatus::Enabled, KeyType::AwsOwned));
    }

    /// Sorting by status puts an unknown one with the failures: it may be one.
    #[test]
    fn an_unknown_status_sorts_right_after_the_failures() {
        let mut all = [
            EncryptionStatus::Disabled,
            EncryptionStatus::Enabled,
            EncryptionStatus::Other("PAUSED".into()),
            EncryptionStatus::Enabling,
            EncryptionStatus::EnablingFailed,
            EncryptionStatus::DisablingFailed,
        ];
        all.sort();
        assert_eq!(all[2], EncryptionStatus::Other("PAUSED".into()));
        assert!(all[..2].iter().all(EncryptionStatus::is_failed));
    }

    #[test]
    fn regions_are_host_labels() {
        for good in ["us-east-1", "eu-west-3", "local"] {
            assert_eq!(region_name(good).as_deref(), Ok(good));
        }
        for bad in ["", "us east 1", "-x", "x-", "us_east_1", "a.b"] {
            assert!(
                region_name(bad).unwrap_err().contains("us-east-1"),
                "{bad:?}"
            );
        }
    }
}
