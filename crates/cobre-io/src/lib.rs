//! Cobre case reader, layered validation and output writers.
