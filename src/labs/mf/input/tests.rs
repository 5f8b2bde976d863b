//! Unit tests of the mf input reader: round trips, every malformed case named, and the
//! caps that keep a hostile file from allocating.

use super::*;
use ndarray::array;
use ndarray_npy::write_npy;

/// A `.npy` v1 file with this header dict and `data` bytes after it.
fn npy(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut h = dict.to_string();
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend((h.len() as u16).to_le_bytes());
    out.extend(h.as_bytes());
    out.extend(data);
    out
}

#[test]
fn csv_with_header_and_npy_of_several_dtypes_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("x.csv");
    std::fs::write(&csv, "a,b,c\n1, 2, 3\n4,5,6.5\n").unwrap();
    let m = read_matrix(csv.to_str().unwrap()).unwrap();
    assert_eq!(m, array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]]);
    let want = array![[1.0f32, -2.0], [0.5, 4.0], [3.0, 3.0]];
    let npy = dir.path().join("x.npy");
    write_npy(&npy, &want).unwrap();
    assert_eq!(
        read_matrix(npy.to_str().unwrap()).unwrap(),
        want.mapv(f64::from)
    );
    write_npy(&npy, &array![[1i64, 2], [3, 4]]).unwrap();
    assert_eq!(
        read_matrix(npy.to_str().unwrap()).unwrap(),
        array![[1.0, 2.0], [3.0, 4.0]]
    );
    // Fortran order and int32 too.
    write_npy(&npy, &array![[1i32, 2], [3, 4]].reversed_axes()).unwrap();
    assert_eq!(
        read_matrix(npy.to_str().unwrap()).unwrap(),
        array![[1.0, 3.0], [2.0, 4.0]]
    );
}

#[test]
fn malformed_inputs_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let cases: Vec<(String, &str)> = vec![
        (path("missing.csv"), "no such file"),
        (path("ragged.csv"), "row 2 has 1 values, expected 2"),
        (path("text.csv"), "'x' at line 2, column 2 is not a number"),
        (path("nan.csv"), "non-finite value NaN at row 1, column 2"),
        (path("empty.csv"), "the matrix is empty"),
        (path("vec.npy"), "expected a 2-D matrix, found 1-D"),
        (path("cube.npy"), "expected a 2-D matrix, found 3-D"),
        (path("inf.npy"), "non-finite value inf"),
        (path("junk.npy"), "not a readable .npy matrix"),
        (path("m.txt"), "unsupported file type"),
        (
            path("hex.csv"),
            "'0x10' at line 1, column 1 is not a number",
        ),
        (path("quote.csv"), "unterminated quote opened on line 2"),
        (
            path("big.csv"),
            "value 1e150 at row 1, column 2 is too large",
        ),
        (path("big.npy"), "accepted: magnitudes up to 1e100"),
        (path("u8.npy"), "unsupported .npy element type '|u1'"),
    ];
    std::fs::write(path("ragged.csv"), "1,2\n3\n").unwrap();
    std::fs::write(path("text.csv"), "1,2\n3,x\n").unwrap();
    std::fs::write(path("nan.csv"), "1,nan\n").unwrap();
    std::fs::write(path("empty.csv"), "").unwrap();
    write_npy(path("vec.npy"), &array![1.0, 2.0]).unwrap();
    write_npy(path("cube.npy"), &ndarray::Array3::<f64>::zeros((2, 2, 2))).unwrap();
    write_npy(path("inf.npy"), &array![[1.0, f64::INFINITY]]).unwrap();
    std::fs::write(path("junk.npy"), "not numpy").unwrap();
    std::fs::write(path("m.txt"), "1").unwrap();
    std::fs::write(path("hex.csv"), "0x10,2\n3,4\n").unwrap();
    std::fs::write(path("quote.csv"), "1,2\n\"3,4\n5,6\n").unwrap();
    std::fs::write(path("big.csv"), "1,1e150\n").unwrap();
    write_npy(path("big.npy"), &array![[-1e101, 1.0]]).unwrap();
    write_npy(path("u8.npy"), &array![[1u8, 2]]).unwrap();
    for (file, want) in cases {
        let err = read_matrix(&file).unwrap_err();
        assert!(err.contains(&file), "{err}");
        assert!(err.contains(want), "{file}: {err}");
    }
}

#[test]
fn csv_header_separator_and_comments() {
    let m = |s: &str| parse_csv(s.as_bytes());
    assert_eq!(m("x,y\n1,2\n").unwrap(), array![[1.0, 2.0]]);
    assert_eq!(m("\"x\",\"y\"\n\"1\",2\n").unwrap(), array![[1.0, 2.0]]);
    assert_eq!(
        m("# c\n\n1;2\n3;4\n").unwrap(),
        array![[1.0, 2.0], [3.0, 4.0]]
    );
    assert_eq!(m("a\tb\n1\t2\n").unwrap(), array![[1.0, 2.0]]);
    // A first row with a number in it is data: its bad field is an error, not a header.
    let err = m("a,2\n3,4\n").unwrap_err();
    assert!(err.contains("'a' at line 1, column 1"), "{err}");
    // Decimal commas with semicolons: the error names the field and the separator.
    let err = m("1,5;2\n").unwrap_err();
    assert!(err.contains("'5;2' at line 1, column 2"), "{err}");
    assert!(err.contains("the separator is ','"), "{err}");
    // A quote inside a comment does not count.
    assert_eq!(m("# it's \"quoted\n1\n").unwrap(), array![[1.0]]);
}

#[test]
fn oversized_shape_claims_are_refused_before_allocating() {
    let huge = npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000, 1000000000), }",
        &[0; 64],
    );
    let err = parse_npy(&huge).unwrap_err();
    assert!(
        err.contains("header claims shape [1000000000, 1000000000]"),
        "{err}"
    );
    assert!(err.contains("the file holds 64 bytes"), "{err}");
    let overflow = npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (18446744073709551615, 3), }",
        &[],
    );
    assert!(parse_npy(&overflow).unwrap_err().contains("more than 2^64"));
    // Honest but over the cap.
    let tall = npy(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1001, 1), }",
        &[0; 1001 * 4],
    );
    let err = parse_npy(&tall).unwrap_err();
    assert!(
        err.contains("1001×1; the mf lab accepts at most 1000 rows"),
        "{err}"
    );
    let nested = npy(
        &format!(
            "{{'descr': {}'<f8'{} }}",
            "(".repeat(5000),
            ")".repeat(5000)
        ),
        &[],
    );
    assert!(
        parse_npy(&nested)
            .unwrap_err()
            .contains("nested too deeply")
    );
    let mut cut = npy(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }",
        &[],
    );
    cut[8] = 0xff; // header length beyond the file
    assert!(
        parse_npy(&cut)
            .unwrap_err()
            .contains("header longer than the file")
    );
}

#[test]
fn csv_stops_at_the_caps() {
    let wide = vec!["1"; MAX_COLS + 1].join(",");
    assert!(
        parse_csv(wide.as_bytes())
            .unwrap_err()
            .contains("1001 values")
    );
    let tall = "1\n".repeat(MAX_ROWS + 1);
    let err = parse_csv(tall.as_bytes()).unwrap_err();
    assert!(err.contains("more than 1000 rows"), "{err}");
    assert_eq!(
        parse_csv("1\n".repeat(MAX_ROWS).as_bytes())
            .unwrap()
            .nrows(),
        MAX_ROWS
    );
}
