//! Typed AWS policy documents (no I/O).
