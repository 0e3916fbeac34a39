//! k-core decomposition (core numbers).
//!
//! Reference: Batagelj & Zaversnik, "An O(m) Algorithm for Cores Decomposition of Networks" (2003);
//! NetworkX `core_number(G)` on the undirected view. Self-loops are ignored (NetworkX refuses graphs
//! that have them; we document instead of failing) and parallel edges count once.

use crate::cancel::{Cancel, Interrupted};
use crate::csr::Csr;

/// Core number of every node of an undirected graph (call on the undirected view).
pub fn core_number(g: &Csr, cancel: &Cancel) -> Result<Vec<i64>, Interrupted> {
    let n = g.node_count();
    let nbrs = |v: u32| -> Vec<u32> {
        let mut x: Vec<u32> = g
            .out_neighbors(v)
            .iter()
            .copied()
            .filter(|&t| t != v)
            .collect();
        x.dedup();
        x
    };
    let mut deg: Vec<usize> = (0..g.n()).map(|v| nbrs(v).len()).collect();
    let max_deg = deg.iter().copied().max().unwrap_or(0);
    // Bucket sort nodes by degree.
    let mut bin = vec![0usize; max_deg + 2];
    for &d in &deg {
        bin[d + 1] += 1;
    }
    for d in 0..=max_deg {
        bin[d + 1] += bin[d];
    }
    let mut start = bin.clone();
    let mut vert = vec![0u32; n];
    let mut pos = vec![0usize; n];
    for v in 0..n {
        let d = deg[v];
        pos[v] = start[d];
        vert[start[d]] = v as u32;
        start[d] += 1;
    }
    // bin[d] = first position of degree d.
    for i in 0..n {
        if i % 65_536 == 0 {
            cancel.check()?;
        }
        let v = vert[i];
        for u in nbrs(v) {
            let ui = u as usize;
            let dv = deg[v as usize];
            if deg[ui] > dv {
                let du = deg[ui];
                let pu = pos[ui];
                let pw = bin[du];
                let w = vert[pw];
                if u != w {
                    vert[pu] = w;
                    pos[w as usize] = pu;
                    vert[pw] = u;
                    pos[ui] = pw;
                }
                bin[du] += 1;
                deg[ui] -= 1;
            }
        }
    }
    Ok(deg.into_iter().map(|d| d as i64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn triangle_with_tail() {
        let g = Csr::undirected(
            5,
            &[(0, 1), (1, 2), (2, 0), (2, 3), (3, 3)],
            None,
            BuildOptions::SIMPLE,
        )
        .unwrap();
        assert_eq!(
            core_number(&g, &Cancel::never()).unwrap(),
            vec![2, 2, 2, 1, 0]
        );
    }
}
