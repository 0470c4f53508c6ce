# Helpers the benchmark scripts share; sourced, not run.
now() { date +%s.%N; }                                # seconds, for differences
calc() { echo "$*" | bc -l; }                         # arithmetic on decimals
field() { sed -n "s/^$2: *//p" "$1" | head -1; }      # FILE KEY: a "key: value" line's value
