//! Neighbourhood similarity and link prediction, scored per pair and as top-k per node.
//!
//! References: NetworkX `jaccard_coefficient`, `adamic_adar_index` (Adamic & Adar 2003),
//! `resource_allocation_index` (Zhou, Lü, Zhang 2009), `preferential_attachment`
//! (Barabási & Albert 1999) and `common_neighbors`, all on the undirected view: common neighbours
//! exclude `u` and `v`, degrees count a self-loop twice, the Jaccard union is of raw neighbour sets.
//! Overlap (Szymkiewicz–Simpson) and cosine (Salton) use neighbour sets without self-loops.
//! Top-k lists are computed per node in parallel, ordered by score then id (deterministic).

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::community::triangles::simple_neighbors;
use crate::csr::Csr;

/// A neighbourhood similarity or link-prediction score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// `|N(u) ∩ N(v)| / |N(u) ∪ N(v)|`.
    Jaccard,
    /// `|N(u) ∩ N(v)| / min(|N(u)|, |N(v)|)`.
    Overlap,
    /// `|N(u) ∩ N(v)| / sqrt(|N(u)| |N(v)|)`.
    Cosine,
    /// `|N(u) ∩ N(v)|`.
    CommonNeighbors,
    /// `Σ_{w ∈ N(u) ∩ N(v)} 1 / ln d(w)`.
    AdamicAdar,
    /// `Σ_{w ∈ N(u) ∩ N(v)} 1 / d(w)`.
    ResourceAllocation,
    /// `d(u) d(v)`.
    PreferentialAttachment,
}

/// Per-node quantities the metrics need, computed once.
struct Prep {
    /// NetworkX degree (self-loop counts 2).
    degree: Vec<f64>,
    /// Neighbour count without self-loops.
    simple: Vec<f64>,
    /// Whether the node has a self-loop.
    looped: Vec<bool>,
}

fn prep(g: &Csr) -> Prep {
    let rows: Vec<(f64, f64, bool)> = (0..g.n())
        .into_par_iter()
        .map(|v| {
            let s = simple_neighbors(g, v).count() as f64;
            let looped = g.out_neighbors(v).binary_search(&v).is_ok();
            (s + if looped { 2.0 } else { 0.0 }, s, looped)
        })
        .collect();
    Prep {
        degree: rows.iter().map(|r| r.0).collect(),
        simple: rows.iter().map(|r| r.1).collect(),
        looped: rows.iter().map(|r| r.2).collect(),
    }
}

fn is_neighbor(g: &Csr, u: u32, v: u32) -> bool {
    g.out_neighbors(u).binary_search(&v).is_ok()
}

/// Final score from accumulated common-neighbour terms.
fn finish(metric: Metric, p: &Prep, g: &Csr, u: u32, v: u32, cn: f64, acc: f64) -> f64 {
    let (ui, vi) = (u as usize, v as usize);
    match metric {
        Metric::CommonNeighbors => cn,
        Metric::AdamicAdar | Metric::ResourceAllocation => acc,
        Metric::PreferentialAttachment => p.degree[ui] * p.degree[vi],
        Metric::Jaccard => {
            // Raw neighbour sets: u ∈ N(v) when adjacent, u ∈ N(u) with a self-loop.
            let nu = p.simple[ui] + f64::from(u8::from(p.looped[ui]));
            let nv = p.simple[vi] + f64::from(u8::from(p.looped[vi]));
            let uv = is_neighbor(g, u, v);
            // Intersection of raw sets = cn + [v ∈ N(u) ∧ v ∈ N(v)] + [u ∈ N(u) ∧ u ∈ N(v)].
            let extra =
                f64::from(u8::from(uv && p.looped[vi])) + f64::from(u8::from(uv && p.looped[ui]));
            let union = nu + nv - (cn + extra);
            if union == 0.0 { 0.0 } else { cn / union }
        }
        Metric::Overlap => {
            let m = p.simple[ui].min(p.simple[vi]);
            if m == 0.0 { 0.0 } else { cn / m }
        }
        Metric::Cosine => {
            let d = (p.simple[ui] * p.simple[vi]).sqrt();
            if d == 0.0 { 0.0 } else { cn / d }
        }
    }
}

/// Scores of the given pairs on an undirected graph.
pub fn pair_scores(g: &Csr, metric: Metric, pairs: &[(u32, u32)]) -> Vec<f64> {
    let p = prep(g);
    pairs
        .par_iter()
        .map(|&(u, v)| {
            let (mut cn, mut acc) = (0.0, 0.0);
            let nv: Vec<u32> = simple_neighbors(g, v).collect();
            for w in simple_neighbors(g, u) {
                if w != v && nv.binary_search(&w).is_ok() {
                    cn += 1.0;
                    acc += match metric {
                        Metric::AdamicAdar => 1.0 / p.degree[w as usize].ln(),
                        Metric::ResourceAllocation => 1.0 / p.degree[w as usize],
                        _ => 0.0,
                    };
                }
            }
            finish(metric, &p, g, u, v, cn, acc)
        })
        .collect()
}

/// Top-k settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopKConfig {
    /// Scores kept per node.
    pub k: usize,
    /// Skip pairs that are already adjacent (link prediction); keep them for similarity.
    pub exclude_neighbors: bool,
    /// Drop scores `<= min_score`.
    pub min_score: f64,
}

/// For every node, its `k` best `(other, score)` pairs by `metric` (score descending, then id),
/// on an undirected graph. Candidates are nodes sharing a neighbour, except for preferential
/// attachment where every node is a candidate.
pub fn top_k(
    g: &Csr,
    metric: Metric,
    cfg: &TopKConfig,
    cancel: &Cancel,
) -> Result<Vec<Vec<(u32, f64)>>, Interrupted> {
    let n = g.node_count();
    let p = prep(g);
    let by_degree: Vec<u32> = if metric == Metric::PreferentialAttachment {
        let mut v: Vec<u32> = (0..g.n()).collect();
        v.sort_by(|a, b| {
            p.degree[*b as usize]
                .total_cmp(&p.degree[*a as usize])
                .then(a.cmp(b))
        });
        v
    } else {
        Vec::new()
    };
    (0..g.n())
        .into_par_iter()
        .map_init(
            || (vec![0.0f64; n], vec![0.0f64; n], Vec::<u32>::new()),
            |(cn, acc, touched), u| {
                if u % 1024 == 0 {
                    cancel.check()?;
                }
                let keep = |v: u32| v != u && !(cfg.exclude_neighbors && is_neighbor(g, u, v));
                let mut out: Vec<(u32, f64)> = Vec::new();
                if metric == Metric::PreferentialAttachment {
                    for &v in &by_degree {
                        if out.len() >= cfg.k {
                            break;
                        }
                        let s = p.degree[u as usize] * p.degree[v as usize];
                        if keep(v) && s > cfg.min_score {
                            out.push((v, s));
                        }
                    }
                    return Ok(out);
                }
                for w in simple_neighbors(g, u) {
                    let (ra, aa) = (1.0 / p.degree[w as usize], 1.0 / p.degree[w as usize].ln());
                    for x in simple_neighbors(g, w) {
                        if x == u {
                            continue;
                        }
                        if cn[x as usize] == 0.0 {
                            touched.push(x);
                        }
                        cn[x as usize] += 1.0;
                        acc[x as usize] += match metric {
                            Metric::AdamicAdar => aa,
                            Metric::ResourceAllocation => ra,
                            _ => 0.0,
                        };
                    }
                }
                for &x in touched.iter() {
                    if keep(x) {
                        let s = finish(metric, &p, g, u, x, cn[x as usize], acc[x as usize]);
                        if s > cfg.min_score {
                            out.push((x, s));
                        }
                    }
                    cn[x as usize] = 0.0;
                    acc[x as usize] = 0.0;
                }
                touched.clear();
                out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                out.truncate(cfg.k);
                Ok(out)
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn square_pairs() {
        let g = Csr::undirected(
            4,
            &[(0, 1), (1, 2), (2, 3), (3, 0)],
            None,
            BuildOptions::SIMPLE,
        )
        .unwrap();
        assert_eq!(
            pair_scores(&g, Metric::Jaccard, &[(0, 2), (0, 1)]),
            vec![1.0, 0.0]
        );
        assert_eq!(
            pair_scores(&g, Metric::CommonNeighbors, &[(0, 2)]),
            vec![2.0]
        );
        assert_eq!(
            pair_scores(&g, Metric::ResourceAllocation, &[(0, 2)]),
            vec![1.0]
        );
        assert_eq!(
            pair_scores(&g, Metric::PreferentialAttachment, &[(0, 2)]),
            vec![4.0]
        );
        let cfg = TopKConfig {
            k: 1,
            exclude_neighbors: true,
            min_score: 0.0,
        };
        let t = top_k(&g, Metric::Jaccard, &cfg, &Cancel::never()).unwrap();
        assert_eq!(t[0], vec![(2, 1.0)]);
        assert_eq!(t[1], vec![(3, 1.0)]);
    }
}
