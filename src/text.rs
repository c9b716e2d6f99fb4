//! Text as the whole app reads it: folding (width, case, punctuation), half-width conversion
//! and number reading. Below both `content` and `cards`, which use it alike and so no longer
//! import each other for it.

pub mod html;
pub mod normalize;
pub mod numbers;
