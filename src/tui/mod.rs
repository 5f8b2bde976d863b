//! placeholder while building
pub fn run(_args: crate::cli::TuiArgs) -> anyhow::Result<()> {
    anyhow::bail!("tui")
}
