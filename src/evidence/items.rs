//! The citable index over evidence.
