//! Measure names, serialised forms and form metadata.

use casebook_measures::{form, items, responses, stem, MeasureError, MeasureKind, TimePoint};

#[test]
fn serde_names_are_stable() {
    let names: Vec<String> = MeasureKind::ALL
        .iter()
        .map(|k| serde_json::to_string(k).unwrap())
        .collect();
    assert_eq!(
        names,
        ["\"phq9\"", "\"gad7\"", "\"epds\"", "\"core10\"", "\"gbo\""]
    );
    for k in MeasureKind::ALL {
        let json = serde_json::to_string(&k).unwrap();
        assert_eq!(serde_json::from_str::<MeasureKind>(&json).unwrap(), k);
        assert_eq!(json, format!("\"{}\"", k.name()));
    }
    assert_eq!(
        serde_json::to_string(&TimePoint::Discharge).unwrap(),
        "\"discharge\""
    );
}

#[test]
fn labels() {
    let labels: Vec<&str> = MeasureKind::ALL.iter().map(|k| k.label()).collect();
    assert_eq!(labels, ["PHQ-9", "GAD-7", "EPDS", "CORE-10", "GBO"]);
    assert_eq!(MeasureKind::Core10.to_string(), "CORE-10");
    assert_eq!(TimePoint::Baseline.label(), "Baseline");
}

#[test]
fn from_str_is_case_insensitive() {
    assert_eq!("phq9".parse::<MeasureKind>().unwrap(), MeasureKind::Phq9);
    assert_eq!("GAD7".parse::<MeasureKind>().unwrap(), MeasureKind::Gad7);
    assert_eq!("Epds".parse::<MeasureKind>().unwrap(), MeasureKind::Epds);
    assert_eq!(
        " core10 ".parse::<MeasureKind>().unwrap(),
        MeasureKind::Core10
    );
    assert_eq!("GBO".parse::<MeasureKind>().unwrap(), MeasureKind::Gbo);
    assert_eq!("PHQ-9".parse::<MeasureKind>().unwrap(), MeasureKind::Phq9);
    assert_eq!(
        "core-10".parse::<MeasureKind>().unwrap(),
        MeasureKind::Core10
    );
}

#[test]
fn from_str_lists_valid_names() {
    let e = "phq8".parse::<MeasureKind>().unwrap_err();
    assert_eq!(
        e,
        MeasureError::UnknownMeasure {
            given: "phq8".into()
        }
    );
    assert_eq!(
        e.to_string(),
        "\"phq8\" is not a measure Casebook knows; use one of phq9, gad7, epds, core10 or gbo."
    );
}

#[test]
fn phq9_form_ships_public_domain_wording() {
    let f = form(MeasureKind::Phq9);
    assert_eq!(
        f.stem.as_deref(),
        Some("Over the last 2 weeks, how often have you been bothered by any of the following problems?")
    );
    let labels: Vec<_> = f
        .responses
        .iter()
        .map(|r| (r.value, r.label.clone().unwrap()))
        .collect();
    assert_eq!(
        labels,
        [
            (0, "Not at all".to_string()),
            (1, "Several days".to_string()),
            (2, "More than half the days".to_string()),
            (3, "Nearly every day".to_string())
        ]
    );
    assert_eq!(f.items.len(), 9);
    assert!(f
        .items
        .iter()
        .all(|i| i.text.is_some() && i.min == 0 && i.max == 3));
    assert_eq!(
        f.items[0].text.as_deref(),
        Some("Little interest or pleasure in doing things")
    );
    assert!(f.items[8]
        .text
        .as_deref()
        .unwrap()
        .starts_with("Thoughts that you would be better off dead"));
    let risk: Vec<u8> = f
        .items
        .iter()
        .filter(|i| i.is_risk_item)
        .map(|i| i.number)
        .collect();
    assert_eq!(risk, [9]);
}

#[test]
fn gad7_form_ships_public_domain_wording() {
    let i = items(MeasureKind::Gad7);
    assert_eq!(i.len(), 7);
    assert_eq!(
        i[0].text.as_deref(),
        Some("Feeling nervous, anxious or on edge")
    );
    assert_eq!(
        i[6].text.as_deref(),
        Some("Feeling afraid as if something awful might happen")
    );
    assert!(i.iter().all(|i| !i.is_risk_item));
    assert!(stem(MeasureKind::Gad7).is_some());
    assert_eq!(responses(MeasureKind::Gad7).len(), 4);
}

#[test]
fn copyright_measures_ship_no_item_text() {
    for kind in [MeasureKind::Epds, MeasureKind::Core10] {
        let f = form(kind);
        assert!(f.stem.is_none(), "{kind}");
        assert_eq!(f.items.len(), 10, "{kind}");
        assert!(f.items.iter().all(|i| i.text.is_none()), "{kind}");
        assert_eq!(f.items[0].label, "Item 1");
        assert_eq!(f.items[9].label, "Item 10");
        assert!(f.note.is_some(), "{kind} explains how to enter scores");
    }
    let epds = items(MeasureKind::Epds);
    assert!(epds[9].is_risk_item);
    assert!(epds.iter().all(|i| i.max == 3));
    let reversed: Vec<u8> = epds.iter().filter(|i| i.reverse_scored).map(|i| i.number).collect();
    assert_eq!(reversed, [3, 5, 6, 7, 8, 9, 10], "EPDS items printed highest score first");
    assert_eq!(epds[0].scores, [0, 1, 2, 3]);
    assert_eq!(epds[9].scores, [3, 2, 1, 0]);
    // The copyright wording is not shipped: answers are named by their place on the form.
    let boxes: Vec<Option<String>> = responses(MeasureKind::Epds).into_iter().map(|r| r.label).collect();
    assert_eq!(boxes, ["First box", "Second box", "Third box", "Fourth box"].map(|b| Some(b.to_string())));

    let core = items(MeasureKind::Core10);
    let reversed: Vec<u8> = core
        .iter()
        .filter(|i| i.reverse_scored)
        .map(|i| i.number)
        .collect();
    assert_eq!(reversed, [2, 3]);
    assert_eq!(core[1].scores, [4, 3, 2, 1, 0]);
    assert_eq!(core[5].scores, [0, 1, 2, 3, 4]);
    let risk: Vec<u8> = core
        .iter()
        .filter(|i| i.is_risk_item)
        .map(|i| i.number)
        .collect();
    assert_eq!(risk, [6]);
    assert!(core.iter().all(|i| i.max == 4));
    let r = responses(MeasureKind::Core10);
    assert_eq!(r.first().unwrap().label.as_deref(), Some("Not at all"));
    assert_eq!(
        r.last().unwrap().label.as_deref(),
        Some("Most or all of the time")
    );
    assert_eq!(r.last().unwrap().value, 4);
}

#[test]
fn gbo_form_has_three_goal_slots() {
    let i = items(MeasureKind::Gbo);
    let labels: Vec<&str> = i.iter().map(|i| i.label.as_str()).collect();
    assert_eq!(labels, ["Goal 1", "Goal 2", "Goal 3"]);
    assert!(i.iter().all(|i| i.max == 10));
    let r = responses(MeasureKind::Gbo);
    assert_eq!(r.len(), 11);
    assert!(r[0].label.is_some() && r[10].label.is_some() && r[5].label.is_none());
}

#[test]
fn every_form_carries_its_band_table_for_charts() {
    use casebook_measures::bands;
    for kind in [MeasureKind::Phq9, MeasureKind::Gad7, MeasureKind::Epds, MeasureKind::Core10] {
        let f = form(kind);
        assert_eq!(f.bands, bands(kind), "{kind:?}");
        assert_eq!(f.bands.first().map(|b| b.min), Some(0), "{kind:?} bands start at 0");
        assert!(f.bands.windows(2).all(|w| w[1].min == w[0].max + 1), "{kind:?} bands are contiguous");
    }
    assert!(form(MeasureKind::Gbo).bands.is_empty());
}
