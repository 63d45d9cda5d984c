"""The AppSpec the AWS and local end-to-end projects share: one ECS service,
container `web` on port 8000."""

APPSPEC = """\
version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "<TASK_DEFINITION>"
        LoadBalancerInfo:
          ContainerName: "web"
          ContainerPort: 8000
"""
