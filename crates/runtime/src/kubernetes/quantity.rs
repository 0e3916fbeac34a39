//! Kubernetes resource quantities (`500m`, `2`, `4Gi`, `1.5G`, `1e3`) as whole numbers, computed
//! exactly (no floating point), and the requests of a pod as the scheduler adds them up. Owns
//! parsing only the forms the API server accepts; anything else is `None` and is left out of a
//! sum rather than guessed.

use k8s_openapi::api::core::v1::{Container, Pod};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::Resources;

/// A quantity as `mantissa × 2^(10·binary) × 10^exponent`, exactly, or `None` for text the API
/// server would not accept (or a negative amount).
fn parse(quantity: &str) -> Option<(u128, u32, i32)> {
    let q = quantity.trim();
    const BINARY: [(&str, u32); 6] = [
        ("Ki", 1),
        ("Mi", 2),
        ("Gi", 3),
        ("Ti", 4),
        ("Pi", 5),
        ("Ei", 6),
    ];
    for (suffix, power) in BINARY {
        if let Some(number) = q.strip_suffix(suffix) {
            let (mantissa, exponent) = decimal(number)?;
            return Some((mantissa, power, exponent));
        }
    }
    const DECIMAL: [(char, i32); 9] = [
        ('n', -9),
        ('u', -6),
        ('m', -3),
        ('k', 3),
        ('M', 6),
        ('G', 9),
        ('T', 12),
        ('P', 15),
        ('E', 18),
    ];
    for (suffix, power) in DECIMAL {
        if let Some((mantissa, exponent)) = q.strip_suffix(suffix).and_then(decimal) {
            return Some((mantissa, 0, exponent + power));
        }
    }
    // A plain number, or decimal exponent notation (`1e3`, `1E3`).
    if let Some((mantissa, exponent)) = decimal(q) {
        return Some((mantissa, 0, exponent));
    }
    let (number, power) = q.split_once(['e', 'E'])?;
    let (mantissa, exponent) = decimal(number)?;
    Some((mantissa, 0, exponent + power.parse::<i32>().ok()?))
}

/// A non-negative decimal without exponent (`1`, `1.5`, `+2`, `.5`) as digits × 10^exponent.
fn decimal(text: &str) -> Option<(u128, i32)> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all = format!("{whole}{fraction}");
    if all.is_empty() || all.len() > 30 || !all.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((all.parse().ok()?, -i32::try_from(fraction.len()).ok()?))
}

/// The quantity times 10^`scale`, rounded up as Kubernetes rounds (`"100m"`, 3 → 100).
fn scaled(quantity: &str, scale: i32) -> Option<u64> {
    let (mantissa, binary, exponent) = parse(quantity)?;
    let value = mantissa.checked_mul(1u128.checked_shl(10 * binary)?)?;
    let exponent = exponent + scale;
    let ten = |e: i32| 10u128.checked_pow(e.unsigned_abs());
    let result = if exponent >= 0 {
        value.checked_mul(ten(exponent)?)?
    } else {
        match ten(exponent) {
            Some(divisor) => value.div_ceil(divisor),
            None => u128::from(value > 0),
        }
    };
    u64::try_from(result).ok()
}

/// CPU in millicores, rounded up as Kubernetes does (`"100m"` → 100, `"2"` → 2000).
pub fn millicores(quantity: &Quantity) -> Option<u64> {
    scaled(&quantity.0, 3)
}

/// Memory in bytes, rounded up (`"4Gi"` → 4 294 967 296).
pub fn bytes(quantity: &Quantity) -> Option<u64> {
    scaled(&quantity.0, 0)
}

/// A container's CPU and memory requests (unparsable or missing: 0).
fn container_requests(container: &Container) -> Resources {
    let requests = container
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref());
    let get = |name: &str| requests.and_then(|r| r.get(name));
    Resources {
        cpu_millicores: get("cpu").and_then(millicores).unwrap_or(0),
        memory_bytes: get("memory").and_then(bytes).unwrap_or(0),
    }
}

/// What a pod requests of its node, the way the scheduler counts it: the sum over its
/// containers, or the largest init container's when that is more, plus the pod overhead.
pub fn pod_requests(pod: &Pod) -> Resources {
    let Some(spec) = pod.spec.as_ref() else {
        return Resources::default();
    };
    let containers = spec
        .containers
        .iter()
        .map(container_requests)
        .fold(Resources::default(), Resources::plus);
    let init = spec
        .init_containers
        .iter()
        .flatten()
        .map(container_requests)
        .fold(Resources::default(), Resources::max);
    let overhead = spec.overhead.as_ref();
    let overhead = Resources {
        cpu_millicores: overhead
            .and_then(|o| o.get("cpu"))
            .and_then(millicores)
            .unwrap_or(0),
        memory_bytes: overhead
            .and_then(|o| o.get("memory"))
            .and_then(bytes)
            .unwrap_or(0),
    };
    containers.max(init).plus(overhead)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_suffix_form_the_api_accepts() {
        let q = |s: &str| Quantity(s.into());
        assert_eq!(millicores(&q("100m")), Some(100));
        assert_eq!(millicores(&q("2")), Some(2000));
        assert_eq!(millicores(&q("1.5")), Some(1500));
        assert_eq!(millicores(&q("0.0001")), Some(1), "rounded up");
        assert_eq!(millicores(&q("333m")), Some(333));
        assert_eq!(millicores(&q("1n")), Some(1), "rounded up");
        assert_eq!(bytes(&q("4Gi")), Some(4 << 30));
        assert_eq!(bytes(&q("128974848")), Some(128_974_848));
        assert_eq!(bytes(&q("129e6")), Some(129_000_000));
        assert_eq!(bytes(&q("1E3")), Some(1000), "exponent, not exa");
        assert_eq!(bytes(&q("1E")), Some(1_000_000_000_000_000_000), "exa");
        assert_eq!(bytes(&q("123Mi")), Some(123 << 20));
        assert_eq!(bytes(&q("1.5G")), Some(1_500_000_000));
        assert_eq!(bytes(&q("16Ki")), Some(16 << 10));
        assert_eq!(bytes(&q("1.1Gi")), Some(1_181_116_006 + 1), "rounded up");
        for bad in ["", "Gi", "abc", "1.2.3", "4 Gi", "-1", "1x", "."] {
            assert_eq!(bytes(&q(bad)), None, "{bad}");
        }
    }

    #[test]
    fn pod_requests_take_the_larger_of_containers_and_init_plus_overhead() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "spec": {
                "containers": [
                    {"name": "a", "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}}},
                    {"name": "b", "resources": {"requests": {"cpu": "1", "memory": "512Mi"}}},
                    {"name": "c"}
                ],
                "initContainers": [
                    {"name": "i", "resources": {"requests": {"cpu": "2", "memory": "256Mi"}}}
                ],
                "overhead": {"cpu": "10m", "memory": "16Mi"}
            }
        }))
        .unwrap();
        assert_eq!(
            pod_requests(&pod),
            Resources {
                cpu_millicores: 2010,
                memory_bytes: (1 << 30) + (512 << 20) + (16 << 20),
            }
        );
    }
}
