#!/bin/bash
# tests/e2e/simulate_linux.sh on the arm64 default guest: every built-in
# plugin and events.so over a spread of intervals of its boot and
# workload, -j 1, -j 2, MPI ranks and --serial giving the same outputs;
# syscalls with the arm64 call table.
exec env SIM_ARCH=arm64 bash "$(dirname "$0")/simulate_linux.sh"
