//! Property tests of the file readers (issue 8): random mutations and truncations of valid
//! `.npy`, `.csv` and `.safetensors` files never panic, and whatever parses holds no more
//! elements than the file's bytes allow. Shape claims larger than the file are refused
//! before allocating: the claims generated reach terabytes, which would abort the test
//! process if the reader tried to allocate them. 256 cases per property.

#![allow(clippy::unwrap_used)]

use gradscope::testing::labs::mf::input::{parse_csv, parse_npy};
use gradscope::testing::nn::checkpoint;
use gradscope::testing::nn::resnet::footprint;
use gradscope::testing::nn::{ResNet, ResNetConfig};
use ndarray::Array2;
use ndarray_npy::WriteNpyExt;
use proptest::prelude::*;
use proptest::sample::Index;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        // Deterministic: the same cases on every run (a random seed once found the
        // empty-shape panic below only now and then).
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x9e37_79b9),
        ..ProptestConfig::default()
    }
}

/// Byte edits: (only within the first 128 bytes, where the headers are; position; value).
fn edits() -> impl Strategy<Value = Vec<(bool, Index, u8)>> {
    prop::collection::vec((any::<bool>(), any::<Index>(), any::<u8>()), 0..8)
}

/// Apply `edits`, then cut the file to `keep` of its length if `cut`.
fn mutate(mut bytes: Vec<u8>, edits: &[(bool, Index, u8)], cut: Option<Index>) -> Vec<u8> {
    for (head, at, value) in edits {
        let span = if *head {
            bytes.len().min(128)
        } else {
            bytes.len()
        };
        if span > 0 {
            let i = at.index(span);
            bytes[i] = *value;
        }
    }
    if let Some(keep) = cut {
        bytes.truncate(keep.index(bytes.len() + 1));
    }
    bytes
}

/// A valid `.npy` of a small matrix in an accepted dtype, C or Fortran order.
fn valid_npy() -> impl Strategy<Value = Vec<u8>> {
    (1usize..6, 1usize..6, 0u8..4, any::<bool>(), -1e6f64..1e6).prop_map(
        |(r, c, dtype, fortran, scale)| {
            let m = Array2::from_shape_fn((r, c), |(i, j)| scale * (i as f64 - j as f64 / 3.0));
            let m = if fortran { m.reversed_axes() } else { m };
            let mut buf = Vec::new();
            match dtype {
                0 => m.write_npy(&mut buf),
                1 => m.mapv(|x| x as f32).write_npy(&mut buf),
                2 => m.mapv(|x| x as i64).write_npy(&mut buf),
                _ => m.mapv(|x| x as i32).write_npy(&mut buf),
            }
            .unwrap();
            buf
        },
    )
}

/// A valid CSV of a small matrix: optional header, a separator, numbers in several forms.
fn valid_csv() -> impl Strategy<Value = Vec<u8>> {
    let cell = prop_oneof![
        (-1000i64..1000).prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| format!("{v:e}")),
        (-1e3f64..1e3).prop_map(|v| format!("{v}")),
    ];
    let rows = (1usize..5).prop_flat_map(move |c| {
        prop::collection::vec(prop::collection::vec(cell.clone(), c..=c), 1..6)
    });
    (
        rows,
        any::<bool>(),
        prop::sample::select(vec![",", ";", "\t", ", "]),
    )
        .prop_map(|(rows, header, sep)| {
            let mut text = String::new();
            if header {
                let names: Vec<String> = (0..rows[0].len()).map(|j| format!("\"c{j}\"")).collect();
                text += &(names.join(sep) + "\n");
            }
            for row in rows {
                text += &(row.join(sep) + "\n");
            }
            text.into_bytes()
        })
}

/// A valid state dict of a width-1 ResNet-18 (random init), as grad reads it.
fn valid_weights() -> Vec<u8> {
    let config = ResNetConfig {
        width: 1,
        classes: 2,
        ..ResNetConfig::default()
    };
    let mut net = ResNet::<f32>::new(config, 3);
    checkpoint::serialize(&checkpoint::state(&mut net)).unwrap()
}

/// What `grad` does with a weights file before training: parse, infer the config, check
/// every tensor against its table, then build the model and load it. Must never panic,
/// and everything allocated is bounded by the file's size.
fn read_weights_like_grad(bytes: &[u8]) {
    let Ok(st) = checkpoint::parse(bytes, "w") else {
        return;
    };
    for (name, t) in st.tensors() {
        let elems: usize = t.shape().iter().product();
        assert!(elems * t.dtype().bitsize() <= bytes.len() * 8, "{name}");
        let _ = checkpoint::floats(&st, &name, "w");
        let _ = checkpoint::ints(&st, &name, "w");
    }
    let Ok(config) = checkpoint::infer_resnet_config(&st, "w") else {
        return;
    };
    if checkpoint::check_resnet_state(&st, &config, "w").is_err() {
        return;
    }
    let table: usize = footprint::state_table(&config)
        .iter()
        .map(|e| e.shape.iter().product::<usize>())
        .sum();
    assert!(
        table * 4 <= bytes.len(),
        "the model is no larger than the file"
    );
    let mut net = ResNet::<f32>::zeros(config);
    checkpoint::load_state(&mut net, &st, "w").unwrap();
}

/// A safetensors file whose header claims `shape` of `dtype` over `data` bytes.
fn claiming_safetensors(dtype: &str, shape: &[u64], data: usize) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(u64::to_string).collect();
    let header = format!(
        "{{\"input\":{{\"dtype\":\"{dtype}\",\"shape\":[{}],\"data_offsets\":[0,{data}]}}}}",
        dims.join(",")
    );
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header.as_bytes());
    out.extend(vec![0u8; data]);
    out
}

/// A claimed dimension: small, or large enough that the product is beyond any memory.
fn dim() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..8, 1u64 << 20..1 << 40, any::<u64>()]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn npy_mutations_never_panic_nor_exceed_the_file(
        file in valid_npy(), edits in edits(), cut in proptest::option::of(any::<Index>()),
    ) {
        let bytes = mutate(file, &edits, cut);
        if let Ok(m) = parse_npy(&bytes) {
            // Accepted element types take at least 4 bytes.
            prop_assert!(m.len() * 4 <= bytes.len());
        }
    }

    #[test]
    fn npy_shape_claims_beyond_the_file_are_refused(
        rows in dim(), cols in dim(), descr in prop::sample::select(vec!["<f8", "<f4", ">i8", "<i4"]),
        data in 0usize..256,
    ) {
        let mut dict = format!(
            "{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {cols}), }}"
        );
        while !(11 + dict.len()).is_multiple_of(64) {
            dict.push(' ');
        }
        dict.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((dict.len() as u16).to_le_bytes());
        bytes.extend(dict.as_bytes());
        bytes.extend(vec![0u8; data]);
        let size = if descr.ends_with('8') { 8 } else { 4 };
        // Two u64 dims times 8 bytes can exceed u128: saturate (no file holds that many).
        let claimed = (u128::from(rows) * u128::from(cols)).saturating_mul(size);
        match parse_npy(&bytes) {
            Ok(m) => prop_assert!(claimed == data as u128 && m.len() as u128 * size == claimed),
            Err(e) => prop_assert!(claimed != data as u128 || rows == 0 || cols == 0, "{e}"),
        }
    }

    #[test]
    fn csv_mutations_never_panic_nor_exceed_the_file(
        file in valid_csv(),
        edits in prop::collection::vec(
            (any::<bool>(), any::<Index>(), prop::sample::select(b"0123456789,;\t\n\"#.e-+ x\xff".to_vec())),
            0..8,
        ),
        cut in proptest::option::of(any::<Index>()),
    ) {
        let bytes = mutate(file, &edits, cut);
        if let Ok(m) = parse_csv(&bytes) {
            // Every value takes a byte and all but the last a separator or newline.
            prop_assert!(m.len() <= bytes.len().div_ceil(2));
        }
    }

    #[test]
    fn safetensors_mutations_never_panic_nor_exceed_the_file(
        edits in edits(), cut in proptest::option::of(any::<Index>()),
    ) {
        read_weights_like_grad(&mutate(valid_weights(), &edits, cut));
    }

    #[test]
    fn safetensors_shape_claims_beyond_the_file_are_refused(
        shape in prop::collection::vec(dim(), 0..5),
        dtype in prop::sample::select(vec!["F32", "F64", "I64", "U8", "F16"]),
        data in 0usize..256,
    ) {
        let bytes = claiming_safetensors(dtype, &shape, data);
        let size: u128 = match dtype { "F64" | "I64" => 8, "F32" => 4, "F16" => 2, _ => 1 };
        let claimed = shape.iter().fold(size, |acc, &d| acc.saturating_mul(u128::from(d)));
        match checkpoint::parse(&bytes, "i") {
            Ok(st) => {
                prop_assert_eq!(claimed, data as u128);
                let _ = checkpoint::floats(&st, "input", "i");
            }
            Err(_) => prop_assert!(claimed != data as u128 || shape.iter().any(|&d| d > usize::MAX as u64)),
        }
    }
}

/// The case a random seed once found: an empty matrix whose other side is 2^63 (the data
/// size, 0, matches the claim) panicked inside ndarray-npy; it is refused with a message.
#[test]
fn an_empty_npy_shape_with_a_huge_side_is_refused_without_a_panic() {
    for (rows, cols) in [(0u64, 1u64 << 63), (1 << 62, 0), (0, 3)] {
        let mut dict =
            format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
        while !(11 + dict.len()).is_multiple_of(64) {
            dict.push(' ');
        }
        dict.push('\n');
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((dict.len() as u16).to_le_bytes());
        bytes.extend(dict.as_bytes());
        let err = parse_npy(&bytes).unwrap_err();
        assert!(err.contains("empty"), "{err}");
    }
}
