//! ResNet-18 throughput until `gradscope bench resnet` is wired:
//! `cargo run --release --example bench_resnet -- [WIDTH...] [--batch B] [--reps R]`
//! (default widths 16 and 64, batch 32, 5 repetitions). Prints DESIGN §8's JSON.

use gradscope::nn::bench::bench_resnet;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut widths, mut batch, mut reps) = (Vec::new(), 32, 5);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut next = || {
            it.next()
                .and_then(|v| v.parse().ok())
                .expect("a number after the flag")
        };
        match a.as_str() {
            "--batch" => batch = next(),
            "--reps" => reps = next(),
            w => widths.push(w.parse().expect("a width")),
        }
    }
    if widths.is_empty() {
        widths = vec![16, 64];
    }
    let rows: Vec<_> = widths
        .iter()
        .map(|&w| bench_resnet(w, batch, reps))
        .collect();
    println!("{}", serde_json::json!({ "resnet": rows }));
}
