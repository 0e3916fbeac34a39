//! Embedded graph engine adapter (placeholder while the engine builds).
