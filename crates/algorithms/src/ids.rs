//! Canonical community / component identifiers.
//!
//! Owns the two id conventions of API.md: native results label a community by its smallest member
//! id (§10.10), NetworkX-compatible partitions number communities `0..k` ordered by their smallest
//! member (§10.12). Kernels may produce any labelling; these helpers make it canonical so results do
//! not depend on internal visiting order.

/// Relabels `labels` (any ids, one per node) so each node carries the smallest node id of its group.
pub fn min_member_ids(labels: &[u32]) -> Vec<u32> {
    let mut first: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    labels
        .iter()
        .enumerate()
        .map(|(v, &l)| *first.entry(l).or_insert(v as u32))
        .collect()
}

/// Relabels `labels` to `0..k` ordered by each group's smallest member; returns labels and `k`.
pub fn dense_by_min_member(labels: &[u32]) -> (Vec<u32>, usize) {
    let mut index: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
    let out = labels
        .iter()
        .map(|&l| {
            let next = index.len() as u32;
            *index.entry(l).or_insert(next)
        })
        .collect();
    (out, index.len())
}

/// Number of distinct labels.
pub fn count_groups(labels: &[u32]) -> usize {
    dense_by_min_member(labels).1
}

/// The groups as sorted member lists, ordered by smallest member (NetworkX partition order).
pub fn groups(labels: &[u32]) -> Vec<Vec<u32>> {
    let (dense, k) = dense_by_min_member(labels);
    let mut out = vec![Vec::new(); k];
    for (v, &c) in dense.iter().enumerate() {
        out[c as usize].push(v as u32);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_conventions() {
        let labels = [7, 3, 7, 9, 3];
        assert_eq!(min_member_ids(&labels), vec![0, 1, 0, 3, 1]);
        assert_eq!(dense_by_min_member(&labels), (vec![0, 1, 0, 2, 1], 3));
        assert_eq!(groups(&labels), vec![vec![0, 2], vec![1, 4], vec![3]]);
    }
}
