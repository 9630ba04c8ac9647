//! Inline markup inside `<seg>`.
