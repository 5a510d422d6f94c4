"""The sweep: real public datasets shipped in packages, each adopted by a fresh project
whose `make all` must be green, or stopped by the gate alone (issue 18)."""
