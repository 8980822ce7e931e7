//! Revocation by scope of damage (docs/api.md, "Revocation"): every token of an application
//! (a leaked secret), of a customer or a user (a password change, "log out everywhere"), or
//! scoped to a market (the market disabled), issued up to now. Each is one epoch written with
//! its audit record ([`gatehouse_store::Administration::revoke_tokens`]), idempotent under the
//! caller's key as every change is.

use gatehouse_core::idempotency::fingerprint;
use gatehouse_core::input::echo_input;
use gatehouse_core::model::{Mode, OwnerType};
use gatehouse_core::revocation::{epoch_at, EpochSubject};
use gatehouse_core::scope::ResourceRef;
use serde::Deserialize;

use crate::commands::{AdminService, CommandError};
use crate::requests::Caller;

/// Whose tokens to end, as the caller names it: exactly one of the four, and the environment
/// of a customer or a user (their ids are per environment).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationRequest {
    /// An application, by client_id.
    pub application: Option<String>,
    /// A market, by id (in whichever environment holds it).
    pub market: Option<String>,
    pub customer: Option<String>,
    pub user: Option<String>,
    pub mode: Option<Mode>,
}

/// What a revocation ended: every token of `subject` issued (or signed in) before `epoch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revocation {
    pub subject: EpochSubject,
    pub epoch: gatehouse_core::clock::UnixSeconds,
}

/// The one thing a request names, with its environment when it needs one.
enum Named<'a> {
    Application(&'a str),
    Market(&'a str),
    Owner(OwnerType, &'a str, Mode),
}

fn invalid(message: &str) -> CommandError {
    CommandError::Invalid(vec![gatehouse_core::application_rules::Violation {
        field: "the body".into(),
        message: message.into(),
    }])
}

impl RevocationRequest {
    fn named(&self) -> Result<Named<'_>, CommandError> {
        let owner = |owner_type, id| match self.mode {
            Some(mode) => Ok(Named::Owner(owner_type, id, mode)),
            None => Err(invalid(
                "a customer or a user is named with its mode (test or live)",
            )),
        };
        match (
            self.application.as_deref(),
            self.market.as_deref(),
            self.customer.as_deref(),
            self.user.as_deref(),
        ) {
            (Some(client_id), None, None, None) if self.mode.is_none() => {
                Ok(Named::Application(client_id))
            }
            (None, Some(market), None, None) if self.mode.is_none() => Ok(Named::Market(market)),
            (None, None, Some(customer), None) => owner(OwnerType::Customer, customer),
            (None, None, None, Some(user)) => owner(OwnerType::User, user),
            _ => Err(invalid(
                "name exactly one of application, market, customer or user (mode only with a customer or a user)",
            )),
        }
    }
}

impl AdminService {
    /// Ends every token of what `request` names, issued up to now.
    pub async fn revoke_tokens(
        &self,
        request: &RevocationRequest,
        caller: &Caller,
    ) -> Result<Revocation, CommandError> {
        let named = request.named()?;
        let asked = match &named {
            Named::Application(client_id) => format!("application {client_id}"),
            Named::Market(id) => format!("market {id}"),
            Named::Owner(owner_type, id, mode) => {
                format!("{} {id} {}", owner_type.as_str(), mode.as_str())
            }
        };
        let change = self.change(caller, fingerprint(&["tokens.revoke", &asked]));
        let outcome = match self.store.replay(&change).await? {
            Some(first) => first,
            None => {
                let subject = self.subject(&named).await?;
                self.store
                    .revoke_tokens(&subject, epoch_at(change.at), &change)
                    .await?
            }
        };
        let (subject, epoch) = outcome.into_revocation()?;
        Ok(Revocation { subject, epoch })
    }

    /// The epoch's subject, once what is named is found.
    async fn subject(&self, named: &Named<'_>) -> Result<EpochSubject, CommandError> {
        let not_found = |what: &str, id: &str| {
            CommandError::NotFound(format!("no {what} has id '{}'", echo_input(id)))
        };
        Ok(match *named {
            Named::Application(client_id) => EpochSubject::Application {
                id: self.store.application(client_id).await?.id,
            },
            Named::Market(id) => {
                let mut found = None;
                for mode in Mode::ALL {
                    let markets = self
                        .lookups
                        .clients
                        .find_markets(mode, &[ResourceRef::Id(id.to_owned())])
                        .await?;
                    found = found.or(markets.into_iter().next());
                }
                let market = found.ok_or_else(|| not_found("market", id))?;
                EpochSubject::Market {
                    mode: market.mode,
                    id: market.id,
                }
            }
            Named::Owner(owner_type, id, mode) => {
                let exists = match owner_type {
                    OwnerType::Customer => self
                        .lookups
                        .customers
                        .find_customer(mode, id)
                        .await?
                        .is_some(),
                    OwnerType::User => self.lookups.users.find_user(mode, id).await?.is_some(),
                };
                if !exists {
                    return Err(not_found(owner_type.as_str(), id));
                }
                EpochSubject::Owner {
                    mode,
                    owner_type: owner_type.claim_name().to_owned(),
                    id: id.to_owned(),
                }
            }
        })
    }
}
