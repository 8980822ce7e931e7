//! A request that passed every check of `request.rs`, and what the sign-in page says of its
//! scope.

use gatehouse_core::model::Application;
use gatehouse_core::scope::GrantedScope;

/// A request that passed every check: what the sign-in page shows and a code is bound to.
#[derive(Debug)]
pub struct AuthorizationRequest {
    pub application: Application,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub scope: GrantedScope,
    /// The scope as the token response will answer it: as asked
    /// ([`gatehouse_core::scope::answered_scope`]).
    pub answered_scope: String,
    pub code_challenge: Option<String>,
    /// The request's own parameters, for the form's hidden fields.
    pub parameters: Vec<(&'static str, String)>,
}

/// What the page says the application will get, one line each.
pub fn describe_scope(scope: &GrantedScope) -> Vec<String> {
    match scope {
        GrantedScope::AllMarkets => {
            vec!["Every market of the organization (market:all)".to_owned()]
        }
        GrantedScope::Market {
            market,
            stock_locations,
        } => std::iter::once(format!("{} (market {})", market.name, market.number))
            .chain(stock_locations.iter().map(|location| {
                format!(
                    "Stock in {} (stock location {})",
                    location.name, location.number
                )
            }))
            .collect(),
    }
}
