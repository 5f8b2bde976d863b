//! Unit tests of the mf input reader: round trips, every malformed case named, and the
//! caps that keep a hostile file from allocating.

use super::csv::SNIFF;
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
    // Honest but over the value cap; a tall one within it is fine.
    let over = npy(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2001, 2000), }",
        &vec![0; 2001 * 2000 * 4],
    );
    let err = parse_npy(&over).unwrap_err();
    assert!(
        err.contains("2001×2000 = 4,002,000 values; the mf lab accepts at most 4,000,000 values"),
        "{err}"
    );
    let tall = npy(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (5000, 2), }",
        &[0; 5000 * 2 * 4],
    );
    assert_eq!(parse_npy(&tall).unwrap().dim(), (5000, 2));
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

/// An endless reader that counts the bytes it hands out.
struct Endless<'a> {
    pattern: &'a [u8],
    served: usize,
}

impl std::io::Read for Endless<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = self.pattern[(self.served + i) % self.pattern.len()];
        }
        self.served += buf.len();
        Ok(buf.len())
    }
}

#[test]
fn csv_streams_and_stops_at_the_value_cap() {
    // One endless line: refused after cap + 1 values, having read little more than them.
    let mut line = Endless {
        pattern: b"1,",
        served: 0,
    };
    let err = read_csv(&mut line, 1000).unwrap_err();
    assert!(
        err.contains("more than 1,000 values; the mf lab accepts at most"),
        "{err}"
    );
    assert!(line.served <= 2 * SNIFF + 2002, "{}", line.served);
    // Endless rows too, and an endless header field is cut at MAX_FIELD.
    let mut rows = Endless {
        pattern: b"1;2\n",
        served: 0,
    };
    assert!(
        read_csv(&mut rows, 1000)
            .unwrap_err()
            .contains("1,000 values")
    );
    assert!(rows.served <= 2 * SNIFF + 4 * 501);
    let mut field = Endless {
        pattern: b"x",
        served: 0,
    };
    let err = read_csv(&mut field, 1000).unwrap_err();
    assert!(
        err.contains("the field at line 1, column 1 is longer than 1024 bytes"),
        "{err}"
    );
    // At the cap exactly: read.
    let at = "1\n".repeat(1000);
    assert_eq!(read_csv(at.as_bytes(), 1000).unwrap().dim(), (1000, 1));
    let wide = vec!["1"; 1001].join(",");
    assert!(
        read_csv(wide.as_bytes(), 1000)
            .unwrap_err()
            .contains("more than 1,000 values")
    );
}

#[test]
fn csv_details_of_the_streaming_reader() {
    let m = |s: &str| parse_csv(s.as_bytes());
    // CRLF, a byte-order mark, a last line without a newline, blank rows of separators.
    assert_eq!(
        m("\u{feff}a,b\r\n1,2\r\n,\r\n3,4").unwrap(),
        array![[1.0, 2.0], [3.0, 4.0]]
    );
    // Quoted fields with separators and doubled quotes inside are fields, not numbers.
    let err = m("1,\"2,5\"\n").unwrap_err();
    assert!(err.contains("'2,5' at line 1, column 2"), "{err}");
    assert_eq!(m("\"1\",\"2\"\n").unwrap(), array![[1.0, 2.0]]);
    let err = m("x\n1,\"a\"\"b\"\n").unwrap_err();
    assert!(err.contains(r#"'a\"b' at line 2, column 2"#), "{err}");
    // An empty field in a data row is an error naming it; a trailing separator too.
    let err = m("1,,3\n").unwrap_err();
    assert!(
        err.contains("'' at line 1, column 2 is not a number"),
        "{err}"
    );
    let err = m("1,2\n3,4,\n").unwrap_err();
    assert!(err.contains("'' at line 2, column 3"), "{err}");
    // A header only: an empty matrix (read_matrix says so).
    assert_eq!(m("a,b\n").unwrap().dim(), (0, 0));
    // Not UTF-8: shown, not a panic.
    let err = parse_csv(b"1,\xff\n").unwrap_err();
    assert!(err.contains("at line 1, column 2 is not a number"), "{err}");
}

#[test]
fn non_regular_inputs_say_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    std::fs::create_dir(path("d.csv")).unwrap();
    std::os::unix::fs::symlink(path("loop2.csv"), path("loop1.csv")).unwrap();
    std::os::unix::fs::symlink(path("loop1.csv"), path("loop2.csv")).unwrap();
    std::os::unix::fs::symlink(path("gone.csv"), path("dangling.csv")).unwrap();
    let fifo = path("f.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let mut cases = vec![
        (path("d.csv"), "is a directory"),
        (path("loop1.csv"), "is a symlink loop"),
        (path("dangling.csv"), "is a dangling symlink"),
        ("/dev/null".into(), "is a device"),
        (path("d.csv/x.csv"), "no such file"),
    ];
    if made.is_ok_and(|s| s.success()) {
        // Never opened: a FIFO without a writer would block the reader forever.
        cases.push((fifo, "is a FIFO"));
    }
    for (p, want) in cases {
        let p = p.to_str().unwrap();
        for err in [check_path(p).unwrap_err(), read_matrix(p).unwrap_err()] {
            assert!(err.contains(p) && err.contains(want), "{p}: {err}");
        }
    }
}
