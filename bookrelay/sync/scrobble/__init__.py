"""The scrobble job: both directions between Hardcover and the local side (rules S10-S16)."""
