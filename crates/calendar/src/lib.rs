//! Working days in England and Wales.
