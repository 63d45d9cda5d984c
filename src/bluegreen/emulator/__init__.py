"""A local AWS endpoint where CodeDeploy, ECS and ELBv2 calls run real tasks and
shift real traffic (`bluegreen aws emulate`).

moto stores the resources and answers their CRUD; this package adds what
AWS does with them: every ELBv2 listener is a real port served by
`bluegreen.lb`, ECS task sets run tasks with `bluegreen.tasks`, and a
CodeDeploy deployment is driven by `bluegreen.engine`. The AWS platforms
(`bluegreen.aws`) are its clients, never its code, so it imports neither
them nor the local platform.
"""
