"""The AWS platforms: CodeDeploy blue/green and ECS-native blue/green on Fargate."""
