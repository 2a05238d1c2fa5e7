# Isolated k3d clusters per (git repository, git identity).
# Recipes reach the scripts through justfile_directory() and keep the caller's working
# directory, so `just --justfile ~/threads-agent/justfile --working-directory . bootstrap-multi`
# run from another repository names the cluster after that repository.

set positional-arguments

dev_up := quote(justfile_directory() / "scripts" / "dev-up-multi.ts")
manager := quote(justfile_directory() / "scripts" / "cluster-manager.ts")

# List the recipes
default:
    @just --justfile {{quote(justfile())}} --list

# Create or reuse your cluster for this repository (--share, --force, --tag TAG, --name NAME, --dry-run, --json)
[no-cd]
bootstrap-multi *ARGS:
    @{{dev_up}} "$@"

# The legacy single cluster named "dev" (same flow, fixed name)
[no-cd]
bootstrap *ARGS:
    @{{dev_up}} --name dev "$@"

# bootstrap-multi, then the configured deploy command, then mcp-setup ("share" for the shared cluster)
[no-cd]
dev-start-multi *ARGS:
    @{{manager}} dev-start "$@"

# List every cluster: managed, unmanaged and missing, with the active one marked
[no-cd]
cluster-list *ARGS:
    @{{manager}} list "$@"

# Make NAME the current cluster and print its export KUBECONFIG line (NAME "-" = previous)
[no-cd]
cluster-switch NAME *ARGS:
    @{{manager}} switch "$@"

# Show the current cluster
[no-cd]
cluster-current *ARGS:
    @{{manager}} current "$@"

# Show one cluster's details
[no-cd]
cluster-info NAME *ARGS:
    @{{manager}} info "$@"

# Delete a cluster with its metadata and kubeconfig (--yes to skip the question)
[no-cd]
cluster-delete NAME *ARGS:
    @{{manager}} delete "$@"

# Nodes, namespaces, deployments and services of NAME (default: the current cluster)
[no-cd]
cluster-resources *NAME:
    @{{manager}} resources "$@"

# Start a stopped cluster
[no-cd]
cluster-start NAME:
    @{{manager}} start "$@"

# Stop a cluster (it keeps its ports)
[no-cd]
cluster-stop NAME:
    @{{manager}} stop "$@"

# Remove metadata, kubeconfigs and reservations of clusters k3d no longer has
[no-cd]
cluster-cleanup:
    @{{manager}} cleanup

# Point the MCP Kubernetes server of this repository's .mcp.json at the current cluster
[no-cd]
mcp-setup *ARGS:
    @{{manager}} mcp-setup "$@"

# Check docker, k3d, kubectl, git identity, just and free ports
[no-cd]
doctor:
    @{{manager}} doctor

# Run the test suite (node's test runner, coverage by c8)
test:
    cd {{quote(justfile_directory())}} && npm test
