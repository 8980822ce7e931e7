//! The access token's claims (docs/api.md, "Access tokens"), as signed and as verified.

use serde::{Deserialize, Serialize};

use crate::model::{ApplicationKind, Mode, Organization};

/// The access token's claims (docs/api.md, "Access tokens").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
    pub scope: String,
    /// The application's environment: true in test mode.
    pub test: bool,
    pub organization: Organization,
    pub application: ApplicationClaim,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub market: Option<MarketClaim>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owner: Option<OwnerClaim>,
    /// The login (refresh-token family) the token was issued from, for tokens with an owner:
    /// revoking it ends the token, and revoking the token ends it (docs/api.md, "Revocation").
    /// OpenID Connect's name for a session's id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sid: Option<String>,
    /// When the owner signed in to that login (OpenID Connect's claim), in seconds: a login
    /// older than an epoch is ended by it, however recently its token was refreshed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub auth_time: Option<u64>,
    /// Where a verifier finds whether the token was revoked: its entry in a status list
    /// ([`crate::status_list`]).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<crate::status_list::StatusClaim>,
    /// What a JWT bearer assertion asked to enrich the token with (Commerce Layer's claim of
    /// that name), at most [`crate::jwt_bearer::assertion::MAX_CUSTOM_CLAIM_BYTES`] of JSON.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub custom_claim: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationClaim {
    pub id: String,
    pub client_id: String,
    pub kind: ApplicationKind,
    /// The client is public (it presented no secret): Commerce Layer's claim.
    pub public: bool,
    /// The client is confidential (it presented its secret), the opposite of `public`: Commerce
    /// Layer's newer claim, which `@commercelayer/js-auth` reads. A token issued before it was
    /// written reads as `false`.
    #[serde(default)]
    pub confidential: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketClaim {
    pub id: String,
    pub number: u64,
    pub price_list_id: String,
    /// The market's stock locations, or only those in scope when the scope names some.
    pub stock_location_ids: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerClaim {
    pub id: String,
    /// `Customer` or `User`.
    #[serde(rename = "type")]
    pub owner_type: String,
}

impl AccessTokenClaims {
    /// The environment the token was issued in, which is the only one it may see.
    pub fn mode(&self) -> Mode {
        if self.test {
            Mode::Test
        } else {
            Mode::Live
        }
    }
}
