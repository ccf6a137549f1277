#!/bin/sh
# Placeholder until the GGUF fuzz target of issue #2 lands.
echo "fuzz: no fuzz target yet" >&2
exit 1
