//! Fits evidence into a token budget, dropping the least useful items first and recording
//! what was dropped.
