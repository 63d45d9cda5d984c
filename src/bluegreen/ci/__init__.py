"""Pipeline generation (GitLab CI/CD)."""
