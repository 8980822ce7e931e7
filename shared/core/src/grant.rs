//! Which application kind may use which grant: the grant table of docs/api.md as one exhaustive match.

use crate::kind::ApplicationKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrantType {
    ClientCredentials,
    Password,
    AuthorizationCode,
    RefreshToken,
    /// RFC 7523 §2.1: a JWT assertion, for applications that turned it on
    /// ([`crate::jwt_bearer`]).
    JwtBearer,
}

impl GrantType {
    pub const ALL: [GrantType; 5] = [
        GrantType::ClientCredentials,
        GrantType::Password,
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::JwtBearer,
    ];

    pub fn parse(value: &str) -> Option<GrantType> {
        GrantType::ALL
            .into_iter()
            .find(|grant| grant.as_str() == value)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Password => "password",
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::JwtBearer => "urn:ietf:params:oauth:grant-type:jwt-bearer",
        }
    }
}

/// The grants the token endpoint serves today, as advertised in the server metadata. The
/// token function's dispatch answers `unsupported_grant_type` for every other grant.
pub const SERVED_GRANTS: &[GrantType] = &[
    GrantType::ClientCredentials,
    GrantType::Password,
    GrantType::RefreshToken,
    GrantType::AuthorizationCode,
    GrantType::JwtBearer,
];

/// May an application of this kind use this grant?
///
/// Whether a client secret is needed is the application's ([`crate::model::Application::client_type`]),
/// so this answers only yes or no. The JWT bearer grant is every kind's, but only where the
/// application turned it on and is confidential ([`crate::model::Application::may_use_grant`]).
pub fn kind_may_use_grant(kind: ApplicationKind, grant: GrantType) -> bool {
    use ApplicationKind::*;
    use GrantType::*;
    match (kind, grant) {
        (SalesChannel, ClientCredentials) => true,
        (SalesChannel, Password) => true,
        (SalesChannel, AuthorizationCode) => false,
        (SalesChannel, RefreshToken) => true,
        (Integration, ClientCredentials) => true,
        (Integration, Password) => false,
        (Integration, AuthorizationCode) => false,
        (Integration, RefreshToken) => false,
        (Webapp, ClientCredentials) => false,
        (Webapp, Password) => false,
        (Webapp, AuthorizationCode) => true,
        (Webapp, RefreshToken) => true,
        (SalesChannel | Integration | Webapp, JwtBearer) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApplicationKind::*;
    use GrantType::*;

    #[test]
    fn the_grant_table_of_the_contract_holds_cell_by_cell() {
        #[rustfmt::skip]
        let table = [
            // grant               sales_channel integration webapp
            (ClientCredentials,    [true,         true,       false]),
            (Password,             [true,         false,      false]),
            (AuthorizationCode,    [false,        false,      true ]),
            (RefreshToken,         [true,         false,      true ]),
            (JwtBearer,            [true,         true,       true ]),
        ];
        for (grant, row) in table {
            for (kind, allowed) in [SalesChannel, Integration, Webapp].into_iter().zip(row) {
                assert_eq!(
                    kind_may_use_grant(kind, grant),
                    allowed,
                    "{kind:?} × {grant:?}"
                );
            }
        }
    }

    #[test]
    fn grant_names_round_trip_and_unknown_names_are_not_grants() {
        for grant in GrantType::ALL {
            assert_eq!(GrantType::parse(grant.as_str()), Some(grant));
        }
        for unknown in [
            "",
            "implicit",
            "CLIENT_CREDENTIALS",
            "client_credentials ",
            "urn:x",
        ] {
            assert_eq!(GrantType::parse(unknown), None, "{unknown:?}");
        }
    }
}
