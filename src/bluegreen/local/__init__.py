"""The local platform: task runner, load balancer, health checks, store, daemon."""
