"""Build: compile generated sources for the host or a board; size reports."""
