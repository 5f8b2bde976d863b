//! Typed parameters: a lab declares its parameters once, with `lab_config!`, as the fields
//! of a `Config` struct, each with the one-line spec the CLI, the panel and the sweeps read.
//! The macro writes the `SPECS` table from those lines (the field's name is the parameter's
//! name, so the two cannot drift) and [`FromParams`], which reads a [`ParamSet`] into the
//! struct by position: the lab itself never looks a parameter up by its name.

use super::{ParamError, ParamSet, Value};

/// A lab's typed parameters, read once from checked values.
pub trait FromParams: Sized {
    /// The table the struct is read from.
    const SPECS: &'static [super::ParamSpec];

    /// The values of `params` in the struct's fields. Fails only when `params` belongs to
    /// another table or a choice names no variant: bugs, which the labs' tests catch.
    fn from_params(params: &ParamSet) -> Result<Self, ParamError>;

    /// The defaults with `K=V` pairs parsed over them (tests and tools that drive a lab
    /// directly). Each value is checked against its spec.
    fn from_sets(sets: &[(&str, &str)]) -> Result<Self, ParamError> {
        let mut params = ParamSet::new("config", Self::SPECS);
        for (k, v) in sets {
            params.set_str(k, v)?;
        }
        Self::from_params(&params)
    }
}

/// How a checked [`Value`] becomes a field of a config struct.
pub trait FromValue: Sized {
    fn from_value(value: &Value) -> Result<Self, ParamError>;
}

fn mismatch(value: &Value, what: &str) -> ParamError {
    ParamError(format!("lab bug: the value {value} is not {what}"))
}

impl FromValue for f64 {
    fn from_value(value: &Value) -> Result<Self, ParamError> {
        value.as_f64().ok_or_else(|| mismatch(value, "a number"))
    }
}

impl FromValue for usize {
    fn from_value(value: &Value) -> Result<Self, ParamError> {
        match value {
            Value::Int(i) => usize::try_from(*i).map_err(|_| mismatch(value, "a count")),
            _ => Err(mismatch(value, "an integer")),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: &Value) -> Result<Self, ParamError> {
        match value {
            Value::Bool(b) => Ok(*b),
            _ => Err(mismatch(value, "true or false")),
        }
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Result<Self, ParamError> {
        match value {
            Value::Text(s) => Ok(s.clone()),
            _ => Err(mismatch(value, "text")),
        }
    }
}

/// A choice parameter's enum, parsed from its (checked) name.
pub fn choice<T: std::str::FromStr>(value: &Value) -> Result<T, ParamError> {
    match value {
        Value::Text(s) => s.parse().map_err(|_| mismatch(value, "a known name")),
        _ => Err(mismatch(value, "a name")),
    }
}

/// The values of `params` when it is the table `specs`, in declaration order.
pub fn values_of<'a>(
    params: &'a ParamSet,
    specs: &'static [super::ParamSpec],
) -> Result<&'a [Value], ParamError> {
    // Names, not addresses: a `const` table has no one address.
    let same = params.specs().len() == specs.len()
        && params
            .specs()
            .iter()
            .zip(specs)
            .all(|(a, b)| a.name == b.name);
    if same {
        Ok(params.values())
    } else {
        Err(ParamError(
            "lab bug: parameters of another lab were given".into(),
        ))
    }
}

/// Declare a lab's parameters as a typed struct and its `SPECS` table at once:
///
/// ```ignore
/// lab_config! {
///     /// The toy's parameters.
///     pub struct Config {
///         rate: f64 = float(0.5, 0.0, 1.0, 0.05, "the factor each step multiplies by"),
///         start: f64 = log(1.0, 1e-3, 1e3, "the first value"),
///     }
/// }
/// ```
///
/// Each line is `field: Type = constructor(args…)` with a [`super::ParamSpec`] constructor
/// (`int`, `float`, `log`, `choice`, `flag`, `path`) minus its name, which is the field's;
/// `.live()` may follow. `choice` fields are enums parsed from their names.
macro_rules! lab_config {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $field:ident : $ty:ty = $ctor:ident ( $($arg:expr),* $(,)? ) $(. $modifier:ident ())*
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $( #[doc = concat!("`", stringify!($field), "`, see [`SPECS`].")] pub $field: $ty, )*
        }

        /// The parameters' specs, in the order the panel lists them.
        #[rustfmt::skip]
        pub const SPECS: &[$crate::params::ParamSpec] = &[
            $( $crate::params::ParamSpec::$ctor(stringify!($field), $($arg),*) $(.$modifier())* ),*
        ];

        impl $crate::params::FromParams for $name {
            const SPECS: &'static [$crate::params::ParamSpec] = SPECS;

            fn from_params(
                params: &$crate::params::ParamSet,
            ) -> Result<Self, $crate::params::ParamError> {
                let mut values = $crate::params::config::values_of(params, SPECS)?.iter();
                let mut next = || {
                    values.next().ok_or_else(|| {
                        $crate::params::ParamError("lab bug: a parameter is missing".into())
                    })
                };
                Ok($name {
                    $( $field: $crate::params::config::read_field!($ctor, $ty, next()?)?, )*
                })
            }
        }
    };
}
pub(crate) use lab_config;

/// One field's value: `choice` fields parse their enum, the others convert directly.
macro_rules! read_field {
    (choice, $ty:ty, $value:expr) => {
        $crate::params::config::choice::<$ty>($value)
    };
    ($ctor:ident, $ty:ty, $value:expr) => {
        <$ty as $crate::params::config::FromValue>::from_value($value)
    };
}
pub(crate) use read_field;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::VariantNames)]
    #[strum(serialize_all = "lowercase")]
    enum Shape {
        Round,
        Square,
    }

    mod table {
        use super::Shape;
        use strum::VariantNames;

        lab_config! {
            /// A table with one field of each kind.
            pub struct Config {
                count: usize = int(3, 1, 10, "a count"),
                rate: f64 = log(0.1, 1e-3, 1.0, "a rate").live(),
                shape: Shape = choice(Shape::VARIANTS, "a shape"),
                on: bool = flag(true, "a switch"),
                file: String = path("a file"),
            }
        }
    }

    #[test]
    fn fields_are_read_by_position_and_named_by_the_field() {
        let mut p = ParamSet::new("t", table::SPECS);
        p.set_str("rate", "0.5").unwrap();
        p.set_str("shape", "square").unwrap();
        let c = table::Config::from_params(&p).unwrap();
        assert_eq!(
            c,
            table::Config {
                count: 3,
                rate: 0.5,
                shape: Shape::Square,
                on: true,
                file: String::new(),
            }
        );
        let names: Vec<_> = table::SPECS.iter().map(|s| s.name).collect();
        assert_eq!(names, ["count", "rate", "shape", "on", "file"]);
        assert!(table::SPECS[1].live && !table::SPECS[0].live);
        let c = table::Config::from_sets(&[("count", "7"), ("on", "false")]).unwrap();
        assert_eq!((c.count, c.on, c.rate), (7, false, 0.1));
        assert!(table::Config::from_sets(&[("count", "70")]).is_err());
    }

    #[test]
    fn another_labs_parameters_are_refused() {
        const OTHER: &[crate::params::ParamSpec] =
            &[crate::params::ParamSpec::int("count", 3, 1, 10, "")];
        let e = table::Config::from_params(&ParamSet::new("o", OTHER)).unwrap_err();
        assert!(e.0.contains("another lab"), "{e}");
    }
}
