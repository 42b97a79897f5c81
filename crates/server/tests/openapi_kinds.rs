//! The committed OpenAPI document lists exactly the event kinds the domain reads, so integrators
//! are never told a kind is accepted that the central store would refuse (or the reverse).

#[test]
fn the_openapi_document_lists_every_event_kind() {
    let doc: serde_json::Value = serde_json::from_str(casebook_server::api::OPENAPI).unwrap();
    let kinds: Vec<&str> = doc["components"]["schemas"]["Event"]["properties"]["kind"]["enum"]
        .as_array()
        .expect("Event.kind is an enum in openapi.json")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(kinds, casebook_domain::EventBody::KINDS);
}
