//! Ghost.
