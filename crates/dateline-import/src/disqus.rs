//! Disqus.
