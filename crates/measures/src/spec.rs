//! The published facts about each questionnaire, kept as data in one place so that scoring, the
//! form shown to the clinician and the README cannot drift apart.

use crate::kind::MeasureKind;

/// One severity band: the inclusive total range and the wording shown for it.
pub(crate) struct BandSpec {
    pub min: u8,
    pub max: u8,
    pub label: &'static str,
}

pub(crate) struct Spec {
    pub items: u8,
    pub item_max: u8,
    /// Items whose answers are printed from the highest score to the lowest: the answer ticked
    /// (0 = first printed) scores `item_max - answer`.
    pub reversed: &'static [u8],
    /// The item whose any non-zero answer must be raised with the clinician, whatever the total.
    pub risk_item: Option<u8>,
    /// Why that item matters, completing "the parent reports …".
    pub risk_meaning: &'static str,
    /// Bands in rising severity; they cover 0..=items*item_max with no gaps (checked in tests).
    pub bands: &'static [BandSpec],
    /// The smallest change in total that is unlikely to be measurement error.
    pub reliable_change: u8,
}

const fn band(min: u8, max: u8, label: &'static str) -> BandSpec {
    BandSpec { min, max, label }
}

/// Kroenke, Spitzer & Williams (2001); reliable change 6 as used by NHS Talking Therapies.
const PHQ9: Spec = Spec {
    items: 9,
    item_max: 3,
    reversed: &[],
    risk_item: Some(9),
    risk_meaning: "thoughts that they would be better off dead or of hurting themselves",
    bands: &[
        band(0, 4, "Minimal"),
        band(5, 9, "Mild"),
        band(10, 14, "Moderate"),
        band(15, 19, "Moderately severe"),
        band(20, 27, "Severe"),
    ],
    reliable_change: 6,
};

/// Spitzer, Kroenke, Williams & Löwe (2006); reliable change 4 as used by NHS Talking Therapies.
const GAD7: Spec = Spec {
    items: 7,
    item_max: 3,
    reversed: &[],
    risk_item: None,
    risk_meaning: "",
    bands: &[
        band(0, 4, "Minimal"),
        band(5, 9, "Mild"),
        band(10, 14, "Moderate"),
        band(15, 21, "Severe"),
    ],
    reliable_change: 4,
};

/// Cox, Holden & Sagovsky (1987). Each item's four answers are printed in an order of their own:
/// items 1, 2 and 4 score 0–3 from the first answer printed to the last, items 3 and 5–10 score
/// 3–0 (the form is scored in reverse there). Its wording is copyright, so items are shown by
/// number. 13 or more is the usual UK threshold for probable depression; 10–12 is commonly treated
/// as possible depression warranting review. Reliable change 4 (Matthey 2004).
const EPDS: Spec = Spec {
    items: 10,
    item_max: 3,
    reversed: &[3, 5, 6, 7, 8, 9, 10],
    risk_item: Some(10),
    risk_meaning: "thoughts of harming themselves",
    bands: &[
        band(0, 9, "Below the usual threshold"),
        band(10, 12, "Possible depression"),
        band(13, 30, "Probable depression"),
    ],
    reliable_change: 4,
};

/// Barkham et al. (2013); bands from Connell & Barkham (2007). Items 2 ("someone to turn to") and
/// 3 ("able to cope") are worded positively, so the raw response is reversed before adding up.
/// Clinical cut-off 11; reliable change 6.
const CORE10: Spec = Spec {
    items: 10,
    item_max: 4,
    reversed: &[2, 3],
    risk_item: Some(6),
    risk_meaning: "having made plans to end their life",
    bands: &[
        band(0, 5, "Healthy"),
        band(6, 10, "Low level"),
        band(11, 14, "Mild"),
        band(15, 19, "Moderate"),
        band(20, 24, "Moderate to severe"),
        band(25, 40, "Severe"),
    ],
    reliable_change: 6,
};

/// The spec for a questionnaire; `None` for GBO, which has no items to total.
pub(crate) fn spec(kind: MeasureKind) -> Option<&'static Spec> {
    match kind {
        MeasureKind::Phq9 => Some(&PHQ9),
        MeasureKind::Gad7 => Some(&GAD7),
        MeasureKind::Epds => Some(&EPDS),
        MeasureKind::Core10 => Some(&CORE10),
        MeasureKind::Gbo => None,
    }
}

impl Spec {
    pub fn max_total(&self) -> u8 {
        self.items * self.item_max
    }
}
