# Sourced by run.sh and save.sh: every fuzz target, as declared in Cargo.toml ([[bin]]
# sections), so a new target needs no other list.
all_targets() {
  awk '/^\[\[bin\]\]/ { bin = 1; next } /^\[/ { bin = 0 } bin && /^name *=/ { gsub(/[" ]/, "", $0); sub(/^name=/, "", $0); print }' Cargo.toml
}
