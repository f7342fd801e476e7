//! Emulator harness for the workspace integration tests.
