//! The natural pace of a live run, in steps per second: the lab's, unless the preset its
//! parameters match sets its own (mf's `landscape` is a short run whose descent would be
//! over before it could be watched at mf's pace). `+`/`-` scale it; headless runs are never
//! paced.

use crate::labs::LabId;
use crate::run::RunSpec;

/// The pace of `lab` under `preset` (none: the lab's own).
pub fn pace(lab: LabId, preset: Option<&str>) -> f64 {
    let d = lab.descriptor();
    preset
        .and_then(|name| d.presets.iter().find(|p| p.name == name))
        .and_then(|p| p.pace)
        .unwrap_or(d.steps_per_second)
}

/// The preset whose parameters `spec`'s are, if any (however they were chosen: the preset
/// key, `--preset`, or by hand).
pub fn matching_preset(spec: &RunSpec) -> Option<&'static str> {
    spec.lab.descriptor().presets.iter().find_map(|p| {
        let mut s = RunSpec::new(spec.lab);
        s.apply_preset(p.name).ok()?;
        (s.params == spec.params).then_some(p.name)
    })
}

/// The pace of a run of `spec`.
pub fn of_spec(spec: &RunSpec) -> f64 {
    pace(spec.lab, matching_preset(spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preset_may_set_its_own_pace_and_the_others_keep_the_labs() {
        let mut spec = RunSpec::new(LabId::Mf);
        assert_eq!(of_spec(&spec), 100.0);
        spec.apply_preset("landscape").unwrap();
        assert_eq!(matching_preset(&spec), Some("landscape"));
        assert_eq!(of_spec(&spec), 30.0);
        spec.apply_preset("diverge").unwrap();
        assert_eq!(of_spec(&spec), LabId::Mf.descriptor().steps_per_second);
        assert_eq!(pace(LabId::Rnn, Some("landscape")), 10.0);
    }
}
