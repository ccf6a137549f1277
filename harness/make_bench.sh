#!/bin/sh
# Placeholder until the benchmarks of issue #2 land.
echo "make bench: not built yet (issue #2)" >&2
exit 1
