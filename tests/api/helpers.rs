//! The `tests/api` modules reach the shared kit (`tests/common`) through this module, so the
//! tests keep their `crate::helpers::…` imports.

pub use crate::common::app::{new_learner, spawn_app, spawn_app_with, TestApp};
pub use crate::common::page::Page;
pub use crate::common::quiz::{answer_fields, as_pairs};
