//! `gatehouse apps|markets|revoke|audit`: the admin commands against a DynamoDB table. They call the
//! admin function's own service ([`AdminService`]) directly, not through HTTP, so the rules,
//! the atomic writes, the audit records and the idempotency of changes are the admin API's.
//! What they print is in `admin_output.rs`.
//!
//! Each change is sent under one idempotency key (`--idempotency-key`, else a random one per
//! command run): when storage does not answer, the command sends it again under the same key,
//! and when it gives up it names the key, so that running it again with that key is answered
//! the change's outcome rather than making it twice.

use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use gatehouse_admin::{AdminService, ApplicationChanges, Caller, CommandError, NewApplication};
use gatehouse_core::clock::SystemClock;
use gatehouse_core::idempotency::IdempotencyKey;
use gatehouse_core::model::Mode;
use gatehouse_edge::config::{secret_rotation_overlap_from_lookup, vars};
use gatehouse_store::dynamo::{self, DynamoStore};
use gatehouse_store::StoreError;

use crate::admin_args::{self, KindArg, ModeArg};
use crate::admin_output as output;
use crate::admin_revoke::RevokeCommand;

type Failure = Box<dyn std::error::Error>;

/// The admin commands, as `gatehouse` subcommands.
#[derive(Subcommand)]
pub enum AdminCommand {
    /// Applications: list, show, create, update, enable, disable, delete, rotate-secret.
    Apps {
        #[command(subcommand)]
        command: AppsCommand,
        #[command(flatten)]
        on: AdminTarget,
    },
    /// Markets: enable or disable one, by id.
    Markets {
        #[command(subcommand)]
        command: MarketsCommand,
        #[command(flatten)]
        on: AdminTarget,
    },
    /// Every token of an application, a market, a customer or a user, issued up to now.
    Revoke {
        #[command(subcommand)]
        command: RevokeCommand,
        #[command(flatten)]
        on: AdminTarget,
    },
    /// The audit log of administrative changes, newest first.
    Audit {
        /// How many records (1 to 1000).
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[command(flatten)]
        on: AdminTarget,
    },
}

/// Which table, and who is acting. Accepted before or after the subcommand.
#[derive(Args)]
pub struct AdminTarget {
    /// The DynamoDB table (default: $GATEHOUSE_TABLE).
    #[arg(long, global = true, env = vars::TABLE)]
    pub table: Option<String>,
    /// A local DynamoDB API (e.g. moto); without it, the AWS default chain decides.
    #[arg(long, global = true)]
    pub dynamodb_endpoint: Option<String>,
    /// Who the audit log names for the change (default: cli:$USER).
    #[arg(long, global = true)]
    pub actor: Option<String>,
    /// The change's idempotency key (16 to 255 visible characters; default: a random one):
    /// the key a command that gave up names, to be answered the outcome of its change.
    #[arg(long, global = true, value_parser = IdempotencyKey::parse)]
    pub idempotency_key: Option<IdempotencyKey>,
}

#[derive(Subcommand)]
pub enum AppsCommand {
    /// Every application (client ids, never secrets).
    List {
        #[arg(long, value_enum)]
        mode: Option<ModeArg>,
    },
    Show {
        client_id: String,
    },
    /// Create an application; a confidential one's secret is printed once.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        kind: KindArg,
        #[arg(long, value_enum)]
        mode: ModeArg,
        /// A sales channel that is a confidential client: it is given a secret and must
        /// present it (integrations and webapps always are).
        #[arg(long)]
        confidential: bool,
        /// Default: a random one.
        #[arg(long)]
        client_id: Option<String>,
        /// Access-token lifetime in seconds, 7200 to 31536000 (default: the kind's).
        #[arg(long)]
        token_lifetime: Option<i64>,
        /// A redirect URI (webapps: at least one); repeat for more.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// A grant the application may use (default: all of its kind's); repeat for more.
        #[arg(long = "grant-type")]
        grant_types: Vec<String>,
        /// Turn the JWT bearer grant on: its setting as JSON, or @file (docs/api.md).
        #[arg(long, value_parser = admin_args::parse_setting)]
        jwt_bearer: Option<serde_json::Value>,
    },
    /// Change an application's name, lifetime, redirect URIs or grant types.
    Update {
        client_id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, conflicts_with = "default_token_lifetime")]
        token_lifetime: Option<i64>,
        /// Return to the kind's default lifetime.
        #[arg(long)]
        default_token_lifetime: bool,
        /// The new redirect URIs (replacing all); repeat for more.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// The new grant types (replacing all); repeat for more.
        #[arg(long = "grant-type", conflicts_with = "all_grant_types")]
        grant_types: Vec<String>,
        /// Return to every grant of the kind.
        #[arg(long)]
        all_grant_types: bool,
        /// The new JWT bearer setting, as JSON or @file.
        #[arg(long, value_parser = admin_args::parse_setting, conflicts_with = "no_jwt_bearer")]
        jwt_bearer: Option<serde_json::Value>,
        /// Turn the JWT bearer grant off.
        #[arg(long)]
        no_jwt_bearer: bool,
    },
    Enable {
        client_id: String,
    },
    /// Disable an application: it is then refused like an unknown one.
    Disable {
        client_id: String,
    },
    Delete {
        client_id: String,
    },
    /// A new secret, printed once; the current one stays valid for the overlap.
    RotateSecret {
        client_id: String,
        /// Seconds the current secret stays valid (default:
        /// $GATEHOUSE_SECRET_ROTATION_OVERLAP_SECONDS, else 86400; 0: not at all).
        #[arg(long)]
        overlap_seconds: Option<u64>,
    },
}

#[derive(Subcommand)]
pub enum MarketsCommand {
    Enable { market_id: String },
    Disable { market_id: String },
}

/// The argument that names `key` again, in one word: a random key may begin with `-`, which
/// would read as another option if it were a word of its own.
fn run_again_with(key: &IdempotencyKey) -> String {
    format!("--idempotency-key={}", key.as_str())
}

/// How many times a command sends its change when storage does not answer.
const CHANGE_ATTEMPTS: u64 = 3;

/// Runs `change` (one admin change, under `caller`'s key) until it is answered, sending it
/// again, under the same key, while storage does not answer: a change made by an earlier send
/// is then answered, not made again.
async fn under_one_key<T, F, Fut>(caller: &Caller, mut change: F) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, CommandError>>,
{
    let mut attempt = 1;
    loop {
        match change().await {
            Ok(answered) => return Ok(answered),
            Err(CommandError::Store(StoreError::Unavailable(_))) if attempt < CHANGE_ATTEMPTS => {
                tokio::time::sleep(Duration::from_secs(attempt)).await;
                attempt += 1;
            }
            Err(error @ CommandError::Store(StoreError::Unavailable(_))) => {
                return Err(format!(
                    "{error}\nThe change may have been made. Run the same command again with \
                     {} to be answered its outcome (it is never made twice).",
                    run_again_with(&caller.key)
                )
                .into())
            }
            Err(error) => return Err(error.into()),
        }
    }
}

impl AdminTarget {
    fn actor(&self) -> String {
        self.actor.clone().unwrap_or_else(|| {
            format!(
                "cli:{}",
                std::env::var("USER").unwrap_or_else(|_| "unknown".into())
            )
        })
    }

    /// Who runs the command, under the key given or a new random one.
    fn caller(&self) -> Caller {
        let key = self.idempotency_key.clone();
        Caller::with_key(self.actor(), key.unwrap_or_else(IdempotencyKey::generate))
    }

    async fn service(&self) -> Result<AdminService, Failure> {
        let table = self
            .table
            .as_deref()
            .ok_or("--table is required (or set GATEHOUSE_TABLE)")?;
        let client = dynamo::client(self.dynamodb_endpoint.as_deref()).await;
        let rotation_overlap = secret_rotation_overlap_from_lookup(&|n| std::env::var(n).ok())?;
        let store = DynamoStore::new(client, table);
        crate::table::checked(&store, crate::table::WhenMissing::Refuse).await?;
        Ok(AdminService::new(
            Arc::new(store),
            Arc::new(SystemClock),
            rotation_overlap,
        ))
    }
}

/// Runs one admin command, printing its result to `out`.
pub async fn run(command: AdminCommand, out: &mut dyn Write) -> Result<(), Failure> {
    match command {
        AdminCommand::Apps { command, on } => {
            apps(command, &on.service().await?, &on.caller(), out).await
        }
        AdminCommand::Markets { command, on } => {
            let (market_id, active) = match command {
                MarketsCommand::Enable { market_id } => (market_id, true),
                MarketsCommand::Disable { market_id } => (market_id, false),
            };
            let (service, caller) = (&on.service().await?, &on.caller());
            let market = under_one_key(caller, || {
                service.set_market_active(&market_id, active, caller)
            })
            .await?;
            output::market(out, &market)
        }
        AdminCommand::Revoke { command, on } => {
            let (service, caller, asked) = (&on.service().await?, &on.caller(), command.request());
            let revocation =
                under_one_key(caller, || service.revoke_tokens(&asked, caller)).await?;
            output::revocation(out, &revocation)
        }
        AdminCommand::Audit { limit, on } => {
            let records = on.service().await?.audit(Some(limit)).await?;
            output::audit(out, &records)
        }
    }
}

async fn apps(
    command: AppsCommand,
    service: &AdminService,
    caller: &Caller,
    out: &mut dyn Write,
) -> Result<(), Failure> {
    match command {
        AppsCommand::List { mode } => {
            output::applications(out, &service.list(mode.map(Mode::from)).await?)
        }
        AppsCommand::Show { client_id } => {
            output::application(out, &service.show(&client_id).await?)
        }
        AppsCommand::Create {
            name,
            kind,
            mode,
            confidential,
            client_id,
            token_lifetime,
            redirect_uris,
            grant_types,
            jwt_bearer,
        } => {
            let new = NewApplication {
                name,
                kind: kind.into(),
                mode: mode.into(),
                confidential: confidential.then_some(true),
                client_id,
                token_lifetime,
                redirect_uris,
                grant_types: Some(grant_types).filter(|g| !g.is_empty()),
                jwt_bearer,
            };
            let created =
                under_one_key(caller, move || service.create(new.clone(), caller)).await?;
            output::created(out, &created)
        }
        AppsCommand::Update {
            client_id,
            name,
            token_lifetime,
            default_token_lifetime,
            redirect_uris,
            grant_types,
            all_grant_types,
            jwt_bearer,
            no_jwt_bearer,
        } => {
            let changes = ApplicationChanges {
                name,
                token_lifetime: match (token_lifetime, default_token_lifetime) {
                    (_, true) => Some(None),
                    (seconds, false) => seconds.map(Some),
                },
                redirect_uris: Some(redirect_uris).filter(|uris| !uris.is_empty()),
                grant_types: match (grant_types.is_empty(), all_grant_types) {
                    (_, true) => Some(None),
                    (true, false) => None,
                    (false, false) => Some(Some(grant_types)),
                },
                jwt_bearer: admin_args::change(jwt_bearer, no_jwt_bearer),
                enabled: None,
            };
            let updated = under_one_key(caller, || {
                service.update(&client_id, changes.clone(), caller)
            })
            .await?;
            output::application(out, &updated)
        }
        AppsCommand::Enable { client_id } => {
            let enabled =
                under_one_key(caller, || service.set_enabled(&client_id, true, caller)).await?;
            output::application(out, &enabled)
        }
        AppsCommand::Disable { client_id } => {
            let disabled =
                under_one_key(caller, || service.set_enabled(&client_id, false, caller)).await?;
            output::application(out, &disabled)
        }
        AppsCommand::Delete { client_id } => {
            under_one_key(caller, || service.delete(&client_id, caller)).await?;
            writeln!(out, "Deleted application {client_id}")?;
            Ok(())
        }
        AppsCommand::RotateSecret {
            client_id,
            overlap_seconds,
        } => {
            let rotated = under_one_key(caller, || {
                service.rotate_secret(&client_id, overlap_seconds, caller)
            })
            .await?;
            output::rotated(out, &rotated)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        on: AdminTarget,
    }

    #[test]
    fn the_key_a_command_names_reads_back_as_that_key_even_when_it_begins_with_a_dash() {
        for key in [
            "-starts-with-a-dash-0123",
            "plain-key-0123456789",
            "--double-dash-012345",
        ] {
            let key = IdempotencyKey::parse(key).unwrap();
            let named = run_again_with(&key);
            // As a shell splits it.
            let words = std::iter::once("gatehouse").chain(named.split_whitespace());
            let parsed =
                Command::try_parse_from(words).unwrap_or_else(|error| panic!("{named}: {error}"));
            assert_eq!(
                parsed
                    .on
                    .idempotency_key
                    .as_ref()
                    .map(IdempotencyKey::as_str),
                Some(key.as_str())
            );
        }
    }
}
