# Isolated k3d clusters per (git repository, git identity).
# Recipes reach the scripts through justfile_directory() and keep the caller's working
# directory, so `just --justfile ~/threads-agent/justfile --working-directory . bootstrap-multi`
# run from another repository names the cluster after that repository.
# Every recipe passes its words to the script untouched (`--help`, `--json`, `--dry-run`...),
# and the script, not just, checks them: usage errors exit 2 with one line
# ([no-exit-message]: no "error: recipe ... failed" after it).

set positional-arguments

dev_up := quote(justfile_directory() / "scripts" / "dev-up-multi.ts")
manager := quote(justfile_directory() / "scripts" / "cluster-manager.ts")

# Tell the scripts the user came through just, so their hints name recipes (not the scripts).
export THREADS_AGENT_JUSTFILE := justfile()
export THREADS_AGENT_JUST_EXE := just_executable()

# List the recipes
default:
    @{{quote(just_executable())}} --justfile {{quote(justfile())}} --list

# Create or reuse your cluster for this repository (--share, --force, --tag TAG, --name NAME, --dry-run, --json)
[no-cd]
[no-exit-message]
bootstrap-multi *ARGS:
    @{{dev_up}} "$@"

# The legacy single cluster named "dev" (same flow, fixed name)
[no-cd]
[no-exit-message]
bootstrap *ARGS:
    @{{dev_up}} --name dev "$@"

# bootstrap-multi, then the configured deploy command, then mcp-setup ("share" for the shared cluster)
[no-cd]
[no-exit-message]
dev-start-multi *ARGS:
    @{{manager}} dev-start "$@"

# List every cluster, the current one marked (-o table|name|json, --no-headers)
[no-cd]
[no-exit-message]
cluster-list *ARGS:
    @{{manager}} list "$@"

# Make NAME current here and print its export line (NAME "-": previous; no NAME: pick; --shell for eval)
[no-cd]
[no-exit-message]
cluster-switch *ARGS:
    @{{manager}} switch "$@"

# Show the current cluster (--name: only its name)
[no-cd]
[no-exit-message]
cluster-current *ARGS:
    @{{manager}} current "$@"

# Show one cluster's details
[no-cd]
[no-exit-message]
cluster-info *ARGS:
    @{{manager}} info "$@"

# Delete clusters with their metadata and kubeconfigs (--yes to skip the question)
[no-cd]
[no-exit-message]
cluster-delete *ARGS:
    @{{manager}} delete "$@"

# Nodes, namespaces, deployments and services of NAME (default: the current cluster)
[no-cd]
[no-exit-message]
cluster-resources *ARGS:
    @{{manager}} resources "$@"

# Start stopped clusters
[no-cd]
[no-exit-message]
cluster-start *ARGS:
    @{{manager}} start "$@"

# Stop clusters (they keep their ports)
[no-cd]
[no-exit-message]
cluster-stop *ARGS:
    @{{manager}} stop "$@"

# Run a command against one cluster: just cluster-exec NAME -- kubectl get nodes
[no-cd]
[no-exit-message]
cluster-exec *ARGS:
    @{{manager}} exec "$@"

# Open a shell whose kubectl talks to NAME (exit to leave it)
[no-cd]
[no-exit-message]
cluster-shell *ARGS:
    @{{manager}} shell "$@"

# A kubeconfig for one namespace only, for an agent: just cluster-credentials NAME --namespace NS [--read-only]
[no-cd]
[no-exit-message]
cluster-credentials *ARGS:
    @{{manager}} credentials "$@"

# Remove metadata, kubeconfigs and reservations of clusters k3d no longer has
[no-cd]
[no-exit-message]
cluster-cleanup *ARGS:
    @{{manager}} cleanup "$@"

# Point this work tree's MCP Kubernetes server at its current cluster (--client, --read-only, --namespace NS)
[no-cd]
[no-exit-message]
mcp-setup *ARGS:
    @{{manager}} mcp-setup "$@"

# Check docker, k3d, kubectl, git identity, just, free ports and the machine's limits for many clusters
[no-cd]
[no-exit-message]
doctor *ARGS:
    @{{manager}} doctor "$@"

# The image registry all clusters share: its address, users and images (`delete [--force]` removes it)
[no-cd]
[no-exit-message]
registry *ARGS:
    @{{manager}} registry "$@"

# Run the test suite (node's test runner, coverage by c8)
test:
    cd {{quote(justfile_directory())}} && npm test
