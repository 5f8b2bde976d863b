//! [`LabId`]: the names of the labs, in tab order. A leaf module, so that a
//! [`crate::report::Report`] can say which lab it is from without depending on the labs; the
//! facts of each lab come from its descriptor ([`LabId::descriptor`], in `labs`).

/// Declares the enum and its ordered list from one list of variants, so a lab's id is
/// written once here.
macro_rules! lab_ids {
    ($($(#[$meta:meta])* $variant:ident),* $(,)?) => {
        /// Every lab gradscope knows.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum LabId {
            $($(#[$meta])* $variant,)*
        }

        impl LabId {
            /// Every lab, in tab order.
            pub fn all() -> &'static [LabId] {
                &[$($(#[$meta])* LabId::$variant,)*]
            }
        }
    };
}

lab_ids!(
    Rnn,
    Clip,
    Lstm,
    Bn,
    Mf,
    Resnet,
    // Toy: a minimal lab that exists only in unit tests, to prove that a lab plugs in
    // through its descriptors alone.
    #[cfg(test)]
    Toy,
);
