//! What the admin commands print: aligned, readable lines. A secret is printed only by the
//! command that made it (create, rotate-secret), once, with a note to keep it.

use std::io::Write;

use gatehouse_admin::commands::{Created, Rotated};
use gatehouse_admin::views::{utc, utc_seconds};
use gatehouse_admin::Revocation;
use gatehouse_core::lifetime::access_token_lifetime;
use gatehouse_core::model::{Application, Market};
use gatehouse_store::AuditRecord;

type Printed = Result<(), Box<dyn std::error::Error>>;

/// Said under every secret printed.
const KEEP_IT: &str = "The secret is shown this once and stored only as a hash: keep it now.";

/// One line per application: kind, mode, state and client id (never a secret).
pub fn application_line(application: &Application) -> String {
    format!(
        "{:<14} {:<5} {:<8} client_id={}",
        application.kind.as_str(),
        application.mode.as_str(),
        if application.enabled {
            "enabled"
        } else {
            "disabled"
        },
        application.client_id
    )
}

pub fn applications(out: &mut dyn Write, applications: &[Application]) -> Printed {
    if applications.is_empty() {
        writeln!(out, "No applications.")?;
    }
    for application in applications {
        writeln!(
            out,
            "{}  name={}",
            application_line(application),
            application.name
        )?;
    }
    Ok(())
}

pub fn application(out: &mut dyn Write, application: &Application) -> Printed {
    let lifetime = access_token_lifetime(application.kind, application.token_lifetime);
    let grants: Vec<&str> = application.grants().iter().map(|g| g.as_str()).collect();
    writeln!(out, "client_id:      {}", application.client_id)?;
    writeln!(out, "id:             {}", application.id)?;
    writeln!(out, "name:           {}", application.name)?;
    writeln!(
        out,
        "kind:           {} ({})",
        application.kind.as_str(),
        if application.is_public() {
            "public"
        } else {
            "confidential"
        }
    )?;
    writeln!(out, "mode:           {}", application.mode.as_str())?;
    writeln!(out, "enabled:        {}", application.enabled)?;
    writeln!(
        out,
        "token lifetime: {lifetime} s{}",
        if application.token_lifetime.is_none() {
            " (the kind's default)"
        } else {
            ""
        }
    )?;
    writeln!(out, "grants:         {}", grants.join(", "))?;
    if let Some(setting) = &application.jwt_bearer {
        writeln!(out, "jwt bearer:     {}", setting.to_json())?;
    }
    if !application.redirect_uris.is_empty() {
        writeln!(
            out,
            "redirect URIs:  {}",
            application.redirect_uris.join(", ")
        )?;
    }
    if let Some(previous) = &application.previous_client_secret {
        writeln!(
            out,
            "previous secret accepted until {}",
            utc_seconds(previous.valid_until)
        )?;
    }
    Ok(())
}

pub fn created(out: &mut dyn Write, created: &Created) -> Printed {
    writeln!(out, "Created application:")?;
    application(out, &created.application)?;
    if let Some(secret) = &created.client_secret {
        writeln!(out, "client_secret:  {secret}")?;
        writeln!(out, "{KEEP_IT}")?;
    }
    Ok(())
}

pub fn rotated(out: &mut dyn Write, rotated: &Rotated) -> Printed {
    writeln!(
        out,
        "New client_secret for {}: {}",
        rotated.application.client_id, rotated.client_secret
    )?;
    writeln!(out, "{KEEP_IT}")?;
    writeln!(
        out,
        "The previous secret is accepted until {} (unix {}).",
        utc_seconds(rotated.previous_secret_valid_until),
        rotated.previous_secret_valid_until.0
    )?;
    Ok(())
}

pub fn revocation(out: &mut dyn Write, revocation: &Revocation) -> Printed {
    writeln!(
        out,
        "Every token of {} issued before {} (Unix seconds) is revoked",
        revocation.subject.key(),
        revocation.epoch.0
    )?;
    Ok(())
}

pub fn market(out: &mut dyn Write, market: &Market) -> Printed {
    writeln!(
        out,
        "Market {} ({} {}, {}) is now {}",
        market.id,
        market.number,
        market.code,
        market.mode.as_str(),
        if market.active { "enabled" } else { "disabled" }
    )?;
    Ok(())
}

pub fn audit(out: &mut dyn Write, records: &[AuditRecord]) -> Printed {
    if records.is_empty() {
        writeln!(out, "No audit records.")?;
    }
    for record in records {
        writeln!(
            out,
            "{}  {:<26} {:<20} by {}  {}",
            utc(record.at),
            record.action.as_str(),
            record.target,
            record.actor,
            record.detail
        )?;
    }
    Ok(())
}
