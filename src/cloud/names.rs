//! AWS's names for things: the enums whose strings AWS defines. Each string is
//! written once, in a strum attribute; `as_str`, `parse`, `Display` and serde
//! are all built from it, so the JSON that scripts read (`status -o json`, the
//! cache) and the words on screen cannot drift apart.
//!
//! Where AWS may add values (a new stream source, key state or key spec), an
//! `Other` variant keeps the string as AWS sent it and writes it back
//! unchanged; strum's `default` attribute routes every unknown string there.

use serde::{Deserialize, Serialize};
use strum::{AsRefStr, Display, EnumIter, EnumString, IntoStaticStr, VariantNames};

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

/// `as_str`, `parse` and serde for an enum whose strings are a fixed set.
macro_rules! closed_names {
    ($($t:ident),+) => {$(
        impl $t {
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            pub fn parse(s: &str) -> Option<$t> {
                s.parse().ok()
            }
        }

        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let s = String::deserialize(d)?;
                // The same message serde's derive gave before strum owned the strings.
                $t::parse(&s).ok_or_else(|| {
                    serde::de::Error::unknown_variant(&s, <$t as VariantNames>::VARIANTS)
                })
            }
        }
    )+};
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
/// concern (failures first), which sorting relies on.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumString,
    IntoStaticStr,
    Display,
    VariantNames,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum EncryptionStatus {
    EnablingFailed,
    DisablingFailed,
    Enabling,
    Disabling,
    Enabled,
    Disabled,
}

impl EncryptionStatus {
    pub fn is_transition(self) -> bool {
        matches!(
            self,
            EncryptionStatus::Enabling | EncryptionStatus::Disabling
        )
    }

    pub fn is_failed(self) -> bool {
        matches!(
            self,
            EncryptionStatus::EnablingFailed | EncryptionStatus::DisablingFailed
        )
    }
}

/// `DeliveryStreamEncryptionConfiguration.KeyType`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr, Display, VariantNames,
)]
pub enum KeyType {
    #[strum(serialize = "AWS_OWNED_CMK")]
    AwsOwned,
    #[strum(serialize = "CUSTOMER_MANAGED_CMK")]
    CustomerManaged,
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

/// `KeyMetadata.KeySpec`. Firehose can use only `SYMMETRIC_DEFAULT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EnumString, AsRefStr, Display, EnumIter)]
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
    /// KMS did not say: not a reason to refuse a key.
    #[strum(serialize = "")]
    Unreported,
    #[strum(default)]
    Other(String),
}

/// `KeyMetadata.KeyUsage`. Firehose can use only `ENCRYPT_DECRYPT`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EnumString, AsRefStr, Display, EnumIter)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum KeyUsage {
    EncryptDecrypt,
    SignVerify,
    GenerateVerifyMac,
    KeyAgreement,
    EncapsulateDecapsulate,
    /// KMS did not say: not a reason to refuse a key.
    #[strum(serialize = "")]
    Unreported,
    #[strum(default)]
    Other(String),
}

/// `KeyMetadata.KeyManager`: who owns the key. Only customer managed keys are
/// offered for Firehose, and only they are asked about rotation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EnumString, AsRefStr, Display, EnumIter)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum KeyManager {
    Aws,
    Customer,
    /// KMS did not say.
    #[strum(serialize = "")]
    Unreported,
    #[strum(default)]
    Other(String),
}

/// `KeyMetadata.Origin`: where the key material came from. KMS rotates only
/// material it made itself (`AWS_KMS`), outside custom key stores.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, EnumString, AsRefStr, Display, EnumIter)]
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
    /// KMS did not say.
    #[default]
    #[strum(serialize = "")]
    Unreported,
    #[strum(default)]
    Other(String),
}

/// How a rotation of key material came about (`ListKeyRotations`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, EnumString, AsRefStr, Display, EnumIter)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum RotationKind {
    Automatic,
    OnDemand,
    #[strum(serialize = "")]
    Unreported,
    #[strum(default)]
    Other(String),
}

open_names!(
    Source,
    KeyState,
    KeySpec,
    KeyUsage,
    KeyManager,
    KeyOrigin,
    RotationKind
);
closed_names!(EncryptionStatus, KeyType);

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
            Some(EncryptionStatus::Disabled)
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
        round_trip!(Source, KeyState, KeySpec, KeyUsage, KeyManager);
        for s in EncryptionStatus::VARIANTS {
            assert_eq!(
                EncryptionStatus::parse(s).map(EncryptionStatus::as_str),
                Some(*s)
            );
        }
        for s in KeyType::VARIANTS {
            assert_eq!(KeyType::parse(s).map(KeyType::as_str), Some(*s));
        }
        for m in KmsMetric::ALL {
            assert_eq!(m.name().parse(), Ok(m));
        }
    }

    #[test]
    fn an_unknown_fixed_value_is_refused_with_the_known_ones() {
        let err = serde_json::from_str::<EncryptionStatus>(r#""PAUSED""#).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("unknown variant `PAUSED`"), "{msg}");
        assert!(msg.contains("ENABLING_FAILED"), "{msg}");
    }
}
