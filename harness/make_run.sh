#!/bin/sh
# Placeholder until the end-to-end run of issue #5 lands.
echo "make run: the end-to-end benchmark is not built yet (issue #5)" >&2
exit 1
