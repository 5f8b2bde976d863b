//! Reading the user's matrix for the mf lab: one 2-D numeric matrix from a `.npy` file
//! (ndarray-npy; f64, f32 or integer) or a `.csv` file (the csv crate; an optional header
//! row). Every failure names the file and the problem.

use ndarray::{Array2, ArrayD, Ix2};
use ndarray_npy::{ReadNpyError, read_npy};
use std::path::Path;

/// Read a finite 2-D matrix with at least one row and column.
pub fn read_matrix(path: &str) -> Result<Array2<f64>, String> {
    let p = Path::new(path);
    let fail = |why: String| format!("input '{path}': {why}");
    if !p.exists() {
        return Err(fail("no such file".into()));
    }
    let ext = p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let m = match ext.as_deref() {
        Some("npy") => read_npy_matrix(p).map_err(fail)?,
        Some("csv") => read_csv_matrix(p).map_err(fail)?,
        _ => return Err(fail("unsupported file type; accepted: .npy, .csv".into())),
    };
    if m.nrows() == 0 || m.ncols() == 0 {
        return Err(fail(format!(
            "the matrix is empty ({}×{})",
            m.nrows(),
            m.ncols()
        )));
    }
    if let Some(((i, j), x)) = m.indexed_iter().find(|(_, x)| !x.is_finite()) {
        return Err(fail(format!(
            "non-finite value {x} at row {}, column {}",
            i + 1,
            j + 1
        )));
    }
    Ok(m)
}

fn to_2d(a: ArrayD<f64>) -> Result<Array2<f64>, String> {
    let ndim = a.ndim();
    let shape = a.shape().to_vec();
    a.into_dimensionality::<Ix2>()
        .map_err(|_| format!("expected a 2-D matrix, found {ndim}-D with shape {shape:?}"))
}

fn read_npy_matrix(p: &Path) -> Result<Array2<f64>, String> {
    let describe = |e: ReadNpyError| format!("not a readable .npy matrix ({e})");
    // Try the element types numpy writes most; a dtype mismatch moves on to the next.
    match read_npy::<_, ArrayD<f64>>(p) {
        Ok(a) => return to_2d(a),
        Err(ReadNpyError::WrongDescriptor(_)) => {}
        Err(e) => return Err(describe(e)),
    }
    match read_npy::<_, ArrayD<f32>>(p) {
        Ok(a) => return to_2d(a.mapv(f64::from)),
        Err(ReadNpyError::WrongDescriptor(_)) => {}
        Err(e) => return Err(describe(e)),
    }
    match read_npy::<_, ArrayD<i64>>(p) {
        Ok(a) => return to_2d(a.mapv(|x| x as f64)),
        Err(ReadNpyError::WrongDescriptor(_)) => {}
        Err(e) => return Err(describe(e)),
    }
    match read_npy::<_, ArrayD<i32>>(p) {
        Ok(a) => to_2d(a.mapv(f64::from)),
        Err(e) => Err(format!(
            "unsupported .npy element type; accepted: float64, float32, int64, int32 ({e})"
        )),
    }
}

fn read_csv_matrix(p: &Path) -> Result<Array2<f64>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_path(p)
        .map_err(|e| format!("cannot read ({e})"))?;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| format!("malformed CSV ({e})"))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let parsed: Result<Vec<f64>, usize> = record
            .iter()
            .enumerate()
            .map(|(j, field)| field.parse::<f64>().map_err(|_| j))
            .collect();
        match parsed {
            Ok(row) => {
                if let Some(first) = rows.first()
                    && first.len() != row.len()
                {
                    return Err(format!(
                        "row {} has {} values, expected {} (every row must have the same length)",
                        rows.len() + 1,
                        row.len(),
                        first.len()
                    ));
                }
                rows.push(row);
            }
            // A first line with text is a header row.
            Err(_) if line == 0 => {}
            Err(j) => {
                return Err(format!(
                    "'{}' at line {}, column {} is not a number",
                    &record[j],
                    line + 1,
                    j + 1
                ));
            }
        }
    }
    let cols = rows.first().map_or(0, Vec::len);
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    Array2::from_shape_vec((rows.len(), cols), flat).map_err(|e| e.to_string())
}

/// The cheap part of [`read_matrix`]'s checks: the file exists and has a type we read.
pub fn check_path(path: &str) -> Result<(), String> {
    let p = Path::new(path);
    if !p.is_file() {
        return Err(format!("input '{path}': no such file"));
    }
    match p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("npy" | "csv") => Ok(()),
        _ => Err(format!(
            "input '{path}': unsupported file type; accepted: .npy, .csv"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use ndarray_npy::write_npy;

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
        for (file, want) in cases {
            let err = read_matrix(&file).unwrap_err();
            assert!(err.contains(&file), "{err}");
            assert!(err.contains(want), "{file}: {err}");
        }
    }
}
