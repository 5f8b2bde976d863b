//! placeholder
pub struct RenderTiming;
pub fn render_bench() {}
pub fn bench(_a: crate::cli::BenchArgs) -> anyhow::Result<()> {
    Ok(())
}
