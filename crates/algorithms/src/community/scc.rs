//! Strongly connected components: Tarjan and Kosaraju.
//!
//! References: Tarjan, "Depth-first search and linear graph algorithms" (1972); Kosaraju/Sharir
//! (1981); NetworkX `strongly_connected_components` / `kosaraju_strongly_connected_components`.
//! Both are iterative (no recursion limit) and sequential; their labels are canonicalised to the
//! smallest member id, so the two variants return identical results.

use crate::cancel::{Cancel, Interrupted};
use crate::community::wcc::Components;
use crate::csr::Csr;
use crate::ids::min_member_ids;

const NONE: u32 = u32::MAX;
const CHECK_EVERY: usize = 1 << 16;

/// Tarjan's algorithm (iterative).
pub fn scc_tarjan(g: &Csr, cancel: &Cancel) -> Result<Components, Interrupted> {
    let n = g.node_count();
    let mut index = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![NONE; n];
    let mut stack: Vec<u32> = Vec::new();
    // DFS frames: (node, next neighbour position).
    let mut frames: Vec<(u32, usize)> = Vec::new();
    let mut next_index = 0u32;
    let mut count = 0usize;
    let mut steps = 0usize;
    for root in 0..g.n() {
        if index[root as usize] != NONE {
            continue;
        }
        frames.push((root, 0));
        index[root as usize] = next_index;
        low[root as usize] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(&mut (v, ref mut pos)) = frames.last_mut() {
            steps += 1;
            if steps.is_multiple_of(CHECK_EVERY) {
                cancel.check()?;
            }
            let nb = g.out_neighbors(v);
            if *pos < nb.len() {
                let w = nb[*pos];
                *pos += 1;
                let wi = w as usize;
                if index[wi] == NONE {
                    index[wi] = next_index;
                    low[wi] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[wi] = true;
                    frames.push((w, 0));
                } else if on_stack[wi] {
                    low[v as usize] = low[v as usize].min(index[wi]);
                }
            } else {
                frames.pop();
                if let Some(&(parent, _)) = frames.last() {
                    low[parent as usize] = low[parent as usize].min(low[v as usize]);
                }
                if low[v as usize] == index[v as usize] {
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        comp[w as usize] = count as u32;
                        if w == v {
                            break;
                        }
                    }
                    count += 1;
                }
            }
        }
    }
    Ok(Components {
        component: min_member_ids(&comp),
        count,
    })
}

/// Kosaraju's algorithm (iterative): DFS finishing order on the graph, then DFS on the reverse
/// graph in decreasing finishing time. Same labels as [`scc_tarjan`].
pub fn scc_kosaraju(g: &Csr, cancel: &Cancel) -> Result<Components, Interrupted> {
    let n = g.node_count();
    let mut visited = vec![false; n];
    let mut finish: Vec<u32> = Vec::with_capacity(n);
    let mut frames: Vec<(u32, usize)> = Vec::new();
    let mut steps = 0usize;
    for root in 0..g.n() {
        if visited[root as usize] {
            continue;
        }
        visited[root as usize] = true;
        frames.push((root, 0));
        while let Some(&mut (v, ref mut pos)) = frames.last_mut() {
            steps += 1;
            if steps.is_multiple_of(CHECK_EVERY) {
                cancel.check()?;
            }
            let nb = g.out_neighbors(v);
            if *pos < nb.len() {
                let w = nb[*pos];
                *pos += 1;
                if !visited[w as usize] {
                    visited[w as usize] = true;
                    frames.push((w, 0));
                }
            } else {
                frames.pop();
                finish.push(v);
            }
        }
    }
    let mut comp = vec![NONE; n];
    let mut count = 0u32;
    let mut todo: Vec<u32> = Vec::new();
    for &root in finish.iter().rev() {
        if comp[root as usize] != NONE {
            continue;
        }
        comp[root as usize] = count;
        todo.push(root);
        while let Some(v) = todo.pop() {
            steps += 1;
            if steps.is_multiple_of(CHECK_EVERY) {
                cancel.check()?;
            }
            for &w in g.in_neighbors(v) {
                if comp[w as usize] == NONE {
                    comp[w as usize] = count;
                    todo.push(w);
                }
            }
        }
        count += 1;
    }
    Ok(Components {
        component: min_member_ids(&comp),
        count: count as usize,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn two_cycles_and_a_tail() {
        let g = Csr::directed(
            6,
            &[(1, 2), (2, 1), (2, 3), (3, 4), (4, 3), (5, 0), (5, 5)],
            None,
            BuildOptions::MULTI,
        )
        .unwrap();
        let t = scc_tarjan(&g, &Cancel::never()).unwrap();
        assert_eq!(t.component, vec![0, 1, 1, 3, 3, 5]);
        assert_eq!(t.count, 4);
        assert_eq!(scc_kosaraju(&g, &Cancel::never()).unwrap(), t);
    }
}
