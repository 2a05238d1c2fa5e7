# Sourced (not run) by line 2 of every scripts/*.ts, which sets s to the script's real path; "$@"
# are the script's arguments and $0 is what the user typed. Picks how Node starts the script
# (docs/performance.md, "The start-up path"):
#   - from the startup snapshot dist/NAME.blob (tools/build.mjs) when dist/snapshot says it was
#     built in this checkout by the node on PATH (same file: inode and size) and no file under
#     lib/, scripts/ or tools/, nor package-lock.json or tsconfig.json, is newer than the build:
#     one `find` answers both (it prints the first thing that does not fit, or an error);
#   - otherwise through tools/launch.mjs, which runs the bundle or tsx; also when coverage is being
#     collected (NODE_V8_COVERAGE: V8 reports only part of what code from a snapshot runs) and
#     with DEBUG_MULTI_CLUSTER (stack traces then name lib/*.ts through the bundle's source maps),
#     and with NODE_OPTIONS set: V8 refuses a snapshot built under other flags (exit 14, "built
#     with ... different V8 configurations"), and --max-old-space-size is one. Why the snapshot
#     was not used goes along in MULTI_CLUSTER_SNAPSHOT_SKIPPED (tools/start.mjs, `doctor`).
# Either way NODE_EXTRA_CA_CERTS waits outside Node's start-up; tools/start.mjs gives it back.
# Its variables start with _ (they live in the script's sh, and exported ones would reach Node).
_r=${s%/*/*}
_n=${s##*/}
_n=${_n%.ts}
# Why not the snapshot, for `doctor`: "asked:" when the environment says so, "fix:" when
# `npm run build` would bring it back.
if [ -n "${MULTI_CLUSTER_RUNNER-}" ]; then _why="asked:MULTI_CLUSTER_RUNNER=$MULTI_CLUSTER_RUNNER"
elif [ -n "${NODE_V8_COVERAGE-}" ]; then _why="asked:coverage is being collected (NODE_V8_COVERAGE)"
elif [ -n "${DEBUG_MULTI_CLUSTER-}" ]; then _why="asked:DEBUG_MULTI_CLUSTER is set"
elif [ -n "${NODE_OPTIONS-}" ]; then _why="asked:NODE_OPTIONS is set"
elif [ ! -f "$_r/dist/$_n.blob" ] || [ ! -f "$_r/dist/snapshot" ] || ! { read -r _ && read -r _c && read -r _i && read -r _z; } <"$_r/dist/snapshot"; then
  _why="fix:no startup snapshot built"
elif [ "$_c" != "$_r" ]; then _why="fix:the startup snapshot was built in $_c"
elif ! _p=$(command -v node); then _why="fix:no node on PATH"
else
  _f=$(find -L "$_p" "$_r/lib" "$_r/scripts" "$_r/tools" "$_r/package-lock.json" "$_r/tsconfig.json" -depth \
    \( -path "$_p" \( ! -inum "$_i" -o ! -size "${_z}c" \) -o ! -path "$_p" -newer "$_r/dist/snapshot" \) -print -quit 2>&1)
  if [ -z "$_f" ]; then
    MULTI_CLUSTER_ARGV0=$0 MULTI_CLUSTER_SAVED_CA_CERTS=${NODE_EXTRA_CA_CERTS+"=$NODE_EXTRA_CA_CERTS"} NODE_EXTRA_CA_CERTS= exec node --snapshot-blob "$_r/dist/$_n.blob" "$s" "$@"
  fi
  case $_f in
  "$_p") _why="fix:the startup snapshot was built by another node than $_p" ;;
  # -depth: a directory's files come before it, so a directory named here lost a file (or an
  # editor's scratch file came and went).
  "$_r"/*) if [ -d "$_f" ]; then _why="fix:a file was added to or removed from ${_f#"$_r"/}/ after the startup snapshot was built"
    else _why="fix:${_f#"$_r"/} changed after the startup snapshot was built"; fi ;;
  *) _why="fix:cannot check the startup snapshot: $_f" ;;
  esac
fi
MULTI_CLUSTER_SNAPSHOT_SKIPPED=$_why MULTI_CLUSTER_ARGV0=$0 MULTI_CLUSTER_SAVED_CA_CERTS=${NODE_EXTRA_CA_CERTS+"=$NODE_EXTRA_CA_CERTS"} NODE_EXTRA_CA_CERTS= exec node "$_r/tools/launch.mjs" "$s" "$@"
