//! Every Gatehouse metric an alarm or a dashboard widget in `template.yaml` names is one the
//! code emits, with the same dimensions: CloudWatch matches a metric by its name and its exact
//! set of dimensions, so an alarm on a metric nobody writes (a typo, a dimension too many)
//! never fires and says nothing. And every metric the code emits is on the dashboard.
//!
//! What the code emits is taken from the EMF documents themselves ([`emf_document`]), written
//! for a request of every kind the metrics tell apart: each grant and application kind, each
//! limit, each fault.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use gatehouse_core::clock::UnixMillis;
use gatehouse_core::grant::GrantType;
use gatehouse_core::model::ApplicationKind;
use gatehouse_edge::observe::facts::{Fault, Limit};
use gatehouse_edge::observe::metrics::{emf_document, NAMESPACE};
use gatehouse_edge::observe::{RequestFacts, RequestRecord};
use serde_json::Value;
use yaml_rust2::{Yaml, YamlLoader};

const TEMPLATE: &str = include_str!("../../template.yaml");

/// A metric as CloudWatch tells it apart: its name and its dimensions' names.
type MetricKey = (String, BTreeSet<String>);

/// A metric a template names: the key, and the dimension values it fixes (a SEARCH fixes none).
#[derive(Debug)]
struct Named {
    place: String,
    key: MetricKey,
    values: BTreeMap<String, String>,
}

fn record(status: u16, facts: RequestFacts) -> RequestRecord {
    RequestRecord {
        request_id: "r".into(),
        method: http::Method::POST,
        route: "/oauth/token".into(),
        status,
        latency: Duration::from_millis(1),
        facts,
        storage: Default::default(),
    }
}

/// Every (metric, dimensions) the code writes, with every value each dimension takes.
fn emitted() -> (BTreeSet<MetricKey>, BTreeMap<String, BTreeSet<String>>) {
    let mut records = Vec::new();
    for grant in GrantType::ALL {
        for kind in ApplicationKind::ALL {
            let mut facts = RequestFacts {
                grant: Some(grant),
                token_issued: true,
                ..RequestFacts::default()
            };
            facts.client("c", kind);
            records.push(record(200, facts));
        }
    }
    for limit in Limit::ALL {
        let facts = RequestFacts {
            rate_limited: Some(limit),
            ..RequestFacts::default()
        };
        records.push(record(429, facts));
    }
    for fault in Fault::ALL {
        let facts = RequestFacts {
            fault: Some(fault),
            ..RequestFacts::default()
        };
        records.push(record(503, facts));
    }
    let mut keys = BTreeSet::new();
    let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for record in &records {
        let document = emf_document(record, "token-function", UnixMillis(0));
        for directive in document["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            assert_eq!(directive["Namespace"], NAMESPACE);
            let dimensions: BTreeSet<String> = directive["Dimensions"][0]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_str().unwrap().to_owned())
                .collect();
            for metric in directive["Metrics"].as_array().unwrap() {
                keys.insert((
                    metric["Name"].as_str().unwrap().to_owned(),
                    dimensions.clone(),
                ));
            }
            for dimension in &dimensions {
                let value = document[dimension].as_str().unwrap().to_owned();
                values.entry(dimension.clone()).or_default().insert(value);
            }
        }
    }
    (keys, values)
}

fn text(yaml: &Yaml) -> Option<String> {
    match yaml {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

/// An alarm's `{Namespace, MetricName, Dimensions}`, when it is in our namespace.
fn alarm_metric(place: String, metric: &Yaml, named: &mut Vec<Named>) {
    if metric["Namespace"].as_str() != Some(NAMESPACE) {
        return;
    }
    let mut values = BTreeMap::new();
    for dimension in metric["Dimensions"].as_vec().into_iter().flatten() {
        let name = text(&dimension["Name"]).unwrap();
        values.insert(name, text(&dimension["Value"]).unwrap_or_default());
    }
    named.push(Named {
        place,
        key: (
            metric["MetricName"].as_str().unwrap().to_owned(),
            values.keys().cloned().collect(),
        ),
        values,
    });
}

/// A widget's metric line `["Gatehouse", name, dim, value, ..., {options}]` or a SEARCH
/// expression over `{Gatehouse,dim,...} MetricName="name"`.
fn widget_metric(place: String, line: &Value, named: &mut Vec<Named>) {
    let items = line.as_array().unwrap();
    if let Some(expression) = items[0].get("expression").and_then(Value::as_str) {
        let Some(schema) = expression
            .split_once('{')
            .and_then(|(_, r)| r.split_once('}'))
        else {
            return;
        };
        let mut parts = schema.0.split(',').map(str::trim);
        if parts.next() != Some(NAMESPACE) {
            return;
        }
        let dimensions: BTreeSet<String> = parts.map(str::to_owned).collect();
        let name = schema
            .1
            .split_once("MetricName=\"")
            .and_then(|(_, r)| r.split_once('"'))
            .map(|(name, _)| name.to_owned())
            .unwrap_or_else(|| panic!("{place}: a SEARCH without MetricName=\"...\""));
        named.push(Named {
            place,
            key: (name, dimensions),
            values: BTreeMap::new(),
        });
        return;
    }
    if items[0].as_str() != Some(NAMESPACE) {
        return;
    }
    let strings: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
    let values: BTreeMap<String, String> = strings[2..]
        .chunks(2)
        .map(|pair| (pair[0].to_owned(), pair[1].to_owned()))
        .collect();
    named.push(Named {
        place,
        key: (strings[1].to_owned(), values.keys().cloned().collect()),
        values,
    });
}

/// Every Gatehouse metric the template's alarms and dashboards name.
fn named_in_template() -> Vec<Named> {
    let documents = YamlLoader::load_from_str(TEMPLATE).unwrap();
    let resources = documents[0]["Resources"].as_hash().unwrap();
    let mut named = Vec::new();
    for (name, resource) in resources {
        let name = name.as_str().unwrap();
        let properties = &resource["Properties"];
        match resource["Type"].as_str().unwrap() {
            "AWS::CloudWatch::Alarm" => {
                alarm_metric(name.to_owned(), properties, &mut named);
                for (i, query) in properties["Metrics"]
                    .as_vec()
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let metric = &query["MetricStat"]["Metric"];
                    alarm_metric(format!("{name}.Metrics[{i}]"), metric, &mut named);
                }
            }
            "AWS::CloudWatch::Dashboard" => {
                // A !Sub string: its ${...} references become placeholders before JSON reads it.
                let body = properties["DashboardBody"].as_str().unwrap();
                let mut plain = String::new();
                let mut rest = body;
                while let Some((before, after)) = rest.split_once("${") {
                    plain.push_str(before);
                    plain.push_str("ref");
                    rest = after.split_once('}').unwrap().1;
                }
                plain.push_str(rest);
                let body: Value = serde_json::from_str(&plain)
                    .unwrap_or_else(|e| panic!("{name}: DashboardBody is not JSON: {e}"));
                for (i, widget) in body["widgets"].as_array().unwrap().iter().enumerate() {
                    let title = widget["properties"]["title"].as_str().unwrap_or("?");
                    for line in widget["properties"]["metrics"]
                        .as_array()
                        .into_iter()
                        .flatten()
                    {
                        widget_metric(format!("{name} widget {i} ({title})"), line, &mut named);
                    }
                }
            }
            _ => {}
        }
    }
    named
}

#[test]
fn every_metric_the_alarms_and_dashboard_name_is_one_the_code_emits() {
    let (emitted, values) = emitted();
    let named = named_in_template();
    assert!(named.len() >= 8, "too few metrics found: {named:?}");
    let mut problems = Vec::new();
    for metric in &named {
        if !emitted.contains(&metric.key) {
            problems.push(format!(
                "{}: {} by {:?} is no metric the code emits ({emitted:?})",
                metric.place, metric.key.0, metric.key.1
            ));
        }
        for (dimension, value) in &metric.values {
            // Function names are the stack's; error codes are many and open-ended.
            let open = ["Function", "Error"].contains(&dimension.as_str());
            if !open
                && !values
                    .get(dimension)
                    .is_some_and(|known| known.contains(value))
            {
                problems.push(format!(
                    "{}: {dimension}={value} is no value the code writes ({:?})",
                    metric.place,
                    values.get(dimension)
                ));
            }
        }
    }
    let on_dashboard: BTreeSet<&MetricKey> = named
        .iter()
        .filter(|m| m.place.starts_with("Dashboard"))
        .map(|m| &m.key)
        .collect();
    for key in &emitted {
        if !on_dashboard.contains(key) {
            problems.push(format!(
                "{} by {:?} is on no dashboard widget",
                key.0, key.1
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_reader_sees_a_misnamed_metric() {
    let mut named = Vec::new();
    let line = serde_json::json!(["Gatehouse", "TokenIssued", "Grant", "password"]);
    widget_metric("w".into(), &line, &mut named);
    let (emitted, _) = emitted();
    assert!(!emitted.contains(&named[0].key));
    let search = serde_json::json!([{"expression": "SEARCH('{Gatehouse,Limit} MetricName=\"RateLimited\"', 'Sum', 60)"}]);
    widget_metric("w".into(), &search, &mut named);
    assert!(emitted.contains(&named[1].key));
}
