//! (being written)

use crate::Store;

impl Store {}
