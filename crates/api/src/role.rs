//! The roles of API.md §2.5, one definition for the control plane and the instance server (the
//! control plane decides a caller's role; the instance receives it in `X-User-Role`).

/// A user's role. Roles are not hierarchical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Builds mappings and queries own instances.
    Analyst,
    /// Manages users and any resource.
    Admin,
    /// Runs the platform: configuration, jobs, metrics.
    Ops,
}

impl Role {
    /// All role names, for validation messages.
    pub const NAMES: &'static [&'static str] = &["analyst", "admin", "ops"];

    /// Parses `analyst` | `admin` | `ops`, case-insensitively.
    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            "ops" => Some(Role::Ops),
            _ => None,
        }
    }

    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Admin => "admin",
            Role::Ops => "ops",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn names_round_trip_case_insensitively() {
        for name in Role::NAMES {
            assert_eq!(
                Role::parse(&name.to_uppercase()).map(Role::as_str),
                Some(*name)
            );
        }
        assert_eq!(Role::parse(" Ops "), Some(Role::Ops));
        assert_eq!(Role::parse("root"), None);
    }
}
