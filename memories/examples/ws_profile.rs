#![allow(clippy::unwrap_used)]
use std::time::Instant;
fn main() {
    let root = std::path::Path::new(&std::env::args().nth(1).unwrap()).to_path_buf();
    let n: usize = std::env::args().nth(2).unwrap().parse().unwrap();
    let (ws, _) = codex_memories::workspace::MemoryWorkspace::prepare(&root).unwrap();
    let mut best = f64::MAX;
    for _ in 0..n {
        let t = Instant::now();
        let d = ws.diff().unwrap();
        best = best.min(t.elapsed().as_secs_f64());
        assert_eq!(d.changes.len(), 1);
    }
    eprintln!("best {:.2} ms", best * 1e3);
}
