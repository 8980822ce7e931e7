//! `GET /api/organization` and `GET /api/application`: the token's organization and
//! application, as Commerce Layer's API shapes them (types `organizations` and `applications`,
//! one record each, no list). Commerce Layer's CLI reads them when it logs in: the
//! organization's `slug` and `name`, the application's `name`.

use gatehouse_core::jwt::AccessTokenClaims;
use gatehouse_core::model::{Application, Organization};
use gatehouse_core::query::{Kind, Record, Value};
use gatehouse_edge::jsonapi::JsonApiError;
use gatehouse_edge::oauth_request::Params;
use lambda_http::{Body, Response};

use crate::document::{self, Attributes, Resource};
use crate::include::{Linked, Related};
use crate::routes::read_single;
use crate::{bad_request, not_found, unavailable, ApiService};

/// The deployment's organization. Gatehouse keeps no name for it apart from its slug, so its
/// `name` is its slug; its `domain` is the host its API answers on, `{slug}.{domain}` when the
/// issuer is `https://auth.{domain}` (as Commerce Layer's clients derive it), else none.
pub struct OrganizationRecord {
    id: String,
    slug: String,
    domain: Option<String>,
}

impl OrganizationRecord {
    pub fn of(organization: &Organization, issuer: &str) -> Self {
        let domain = issuer
            .strip_prefix("https://auth.")
            .or_else(|| issuer.strip_prefix("http://auth."))
            .map(|domain| format!("{}.{domain}", organization.slug));
        Self {
            id: organization.id.clone(),
            slug: organization.slug.clone(),
            domain,
        }
    }
}

impl Record for OrganizationRecord {
    const TYPE: &'static str = "organizations";
    const ATTRIBUTES: &'static [(&'static str, Kind)] = &[];
    fn value(&self, _: &str) -> Option<Value<'_>> {
        None
    }
}

impl Linked for OrganizationRecord {}

impl Resource for OrganizationRecord {
    const FIELDS: &'static [&'static str] = &["domain", "name", "slug"];
    fn id(&self) -> &str {
        &self.id
    }
    fn attributes(&self, out: &mut Attributes<'_>) {
        out.optional_string("domain", self.domain.as_deref());
        out.string("name", &self.slug);
        out.string("slug", &self.slug);
    }
}

/// The token's application: its `kind` (`sales_channel`, `integration`, `webapp`), whether it
/// is public (`public_access`: it holds no secret), and its first redirect URI, if it has one.
pub struct ApplicationRecord(Application);

impl Record for ApplicationRecord {
    const TYPE: &'static str = "applications";
    const ATTRIBUTES: &'static [(&'static str, Kind)] = &[];
    fn value(&self, _: &str) -> Option<Value<'_>> {
        None
    }
}

impl Linked for ApplicationRecord {}

impl Resource for ApplicationRecord {
    const FIELDS: &'static [&'static str] = &["kind", "name", "public_access", "redirect_uri"];
    fn id(&self) -> &str {
        &self.0.id
    }
    fn attributes(&self, out: &mut Attributes<'_>) {
        out.string("kind", self.0.kind.as_str());
        out.string("name", &self.0.name);
        out.boolean("public_access", self.0.client_secret_hash.is_none());
        out.optional_string(
            "redirect_uri",
            self.0.redirect_uris.first().map(String::as_str),
        );
    }
}

/// `GET /api/organization`.
pub fn organization(service: &ApiService, params: &Params) -> Response<Body> {
    match read_single::<OrganizationRecord>(params) {
        // Neither singleton has a relationship to include.
        Ok((shown, _)) => {
            let record = OrganizationRecord::of(&service.organization, &service.base_url);
            let none = Related::default();
            document::single(&record, &service.base_url, shown.as_deref(), &none)
        }
        Err(detail) => bad_request(detail).into_response(),
    }
}

/// `GET /api/application`: the application as it is now. One deleted or disabled since the
/// token was issued is not found.
pub async fn application(
    service: &ApiService,
    claims: &AccessTokenClaims,
    params: &Params,
) -> Result<Response<Body>, JsonApiError> {
    let (shown, _) = read_single::<ApplicationRecord>(params).map_err(bad_request)?;
    let found = service
        .clients
        .find_application(&claims.application.client_id)
        .await
        .map_err(unavailable)?
        .filter(|application| application.enabled && application.id == claims.application.id);
    match found {
        Some(application) => {
            let record = ApplicationRecord(application);
            Ok(document::single(
                &record,
                &service.base_url,
                shown.as_deref(),
                &Related::default(),
            ))
        }
        None => Err(not_found("the token's application no longer exists")),
    }
}
