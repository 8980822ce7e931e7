//! `gatehouse revoke`: ends every token of an application, a market, a customer or a user,
//! issued up to now (docs/operate.md, "Revoking tokens"), through the admin command with its
//! audit record.

use clap::Subcommand;
use gatehouse_admin::RevocationRequest;
use gatehouse_core::model::Mode;

use crate::admin_args::ModeArg;

#[derive(Subcommand)]
pub enum RevokeCommand {
    /// Every token of an application (after its secret leaked: rotate the secret too).
    Application { client_id: String },
    /// Every token scoped to a market (after it is disabled).
    Market { market_id: String },
    /// Every login of a customer (a password change, "log out everywhere").
    Customer {
        customer_id: String,
        #[arg(long, value_enum)]
        mode: ModeArg,
    },
    /// Every login of a user (an organization member).
    User {
        user_id: String,
        #[arg(long, value_enum)]
        mode: ModeArg,
    },
}

impl RevokeCommand {
    /// The admin API's request for the same revocation.
    pub fn request(self) -> RevocationRequest {
        let none = RevocationRequest::default();
        match self {
            RevokeCommand::Application { client_id } => RevocationRequest {
                application: Some(client_id),
                ..none
            },
            RevokeCommand::Market { market_id } => RevocationRequest {
                market: Some(market_id),
                ..none
            },
            RevokeCommand::Customer { customer_id, mode } => RevocationRequest {
                customer: Some(customer_id),
                mode: Some(Mode::from(mode)),
                ..none
            },
            RevokeCommand::User { user_id, mode } => RevocationRequest {
                user: Some(user_id),
                mode: Some(Mode::from(mode)),
                ..none
            },
        }
    }
}
