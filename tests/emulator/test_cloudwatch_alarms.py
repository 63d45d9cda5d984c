"""CloudWatch alarms on the emulator, evaluated from what the load balancer really
counted: a service whose tasks answer 500 sets off its target group's 5xx
alarm, the idle group's alarms go where their TreatMissingData says, and
SetAlarmState is overruled by the next evaluation, as on AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from . import codedeploy_setup as cd
from .conftest import Emulator
from .project import blue_container
from .resources import Alb, create_alb, target_states, wait_for

pytestmark = pytest.mark.slow


def dimensions(alb: Alb, group: str) -> list[dict[str, str]]:
    """ALB's dimensions: the ARNs' ends, `app/name/id` and `targetgroup/name/id`."""
    return [
        {"Name": "LoadBalancer", "Value": alb.arn.split(":loadbalancer/")[1]},
        {"Name": "TargetGroup", "Value": group.split(":")[-1]},
    ]


def put_alarm(emulator: Emulator, name: str, metric: str, dims: list[Any], **rule: Any) -> None:
    settings: dict[str, Any] = {
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        **rule,
    }
    emulator.client("cloudwatch").put_metric_alarm(
        AlarmName=name, Namespace="AWS/ApplicationELB", MetricName=metric, Dimensions=dims,
        **settings,
    )  # fmt: skip


def alarm(emulator: Emulator, name: str) -> dict[str, Any]:
    found = emulator.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return dict(found[0])


def state(emulator: Emulator, name: str) -> str:
    return str(alarm(emulator, name)["StateValue"])


def failing_service(emulator: Emulator, alb: Alb) -> None:
    """One task whose `/` answers 500 (its /health answers 200), in the blue group."""
    ecs = emulator.client("ecs")
    ecs.create_cluster(clusterName="prod")
    container = blue_container("v1")
    container["environment"] = [{"name": "APP_MODE", "value": "errors"}]
    taskdef = ecs.register_task_definition(family="web", containerDefinitions=[container])
    ecs.create_service(
        cluster="prod",
        serviceName="web",
        taskDefinition=taskdef["taskDefinition"]["taskDefinitionArn"],
        desiredCount=1,
        loadBalancers=[
            {"targetGroupArn": alb.blue_group, "containerName": "web", "containerPort": 8000}
        ],
    )
    wait_for(lambda: target_states(emulator, alb.blue_group) == ["healthy"], "a healthy task")


def test_alarms_follow_the_target_groups_metrics(project_emulator: Emulator) -> None:
    emulator = project_emulator
    alb = create_alb(emulator)
    failing_service(emulator, alb)
    blue, green = dimensions(alb, alb.blue_group), dimensions(alb, alb.green_group)
    put_alarm(emulator, "blue-5xx", "HTTPCode_Target_5XX_Count", blue, Threshold=3)
    put_alarm(emulator, "green-5xx", "HTTPCode_Target_5XX_Count", green)
    put_alarm(emulator, "green-quiet", "RequestCount", green, TreatMissingData="notBreaching")
    put_alarm(emulator, "blue-slow", "TargetResponseTime", blue, Statistic="Average", Threshold=5)
    assert state(emulator, "blue-5xx") == "INSUFFICIENT_DATA"  # a new alarm, as on AWS
    with httpx.Client(timeout=10) as client:

        def fail_a_few() -> bool:
            answers = [client.get(alb.prod_url).status_code for _ in range(5)]
            assert answers == [500] * 5
            return state(emulator, "blue-5xx") == "ALARM"

        wait_for(fail_a_few, "blue-5xx in ALARM")
        reason = alarm(emulator, "blue-5xx")["StateReason"]
        assert reason.startswith("Threshold Crossed: 1 out of the last 1 datapoints [")
        wait_for(lambda: state(emulator, "blue-slow") == "OK", "blue-slow OK (answers are fast)")
        # Nothing reached green: its count is missing, each alarm treats that its way.
        wait_for(lambda: state(emulator, "green-quiet") == "OK", "green-quiet OK")
        assert state(emulator, "green-5xx") == "INSUFFICIENT_DATA"
        emulator.client("cloudwatch").set_alarm_state(
            AlarmName="blue-5xx", StateValue="OK", StateReason="set by the test"
        )
        wait_for(fail_a_few, "blue-5xx back in ALARM from its data")


def test_an_alarm_moto_stores_but_we_cannot_evaluate_is_left_to_set_alarm_state(
    emulator: Emulator,
) -> None:
    put_alarm(emulator, "custom", "Latency", [{"Name": "Service", "Value": "web"}])
    emulator.client("cloudwatch").set_alarm_state(
        AlarmName="custom", StateValue="ALARM", StateReason="set by hand"
    )
    assert state(emulator, "custom") == "ALARM"
    wait_for(
        lambda: any("left to SetAlarmState" in line for line in emulator.output),
        "the log line saying the alarm is not evaluated",
    )


def test_the_metrics_are_sent_to_cloudwatch_as_alb_sends_them(project_emulator: Emulator) -> None:
    emulator = project_emulator
    alb = create_alb(emulator)
    cd.create_blue_service(emulator, alb)
    cloudwatch = emulator.client("cloudwatch")
    window = {"StartTime": datetime.now(UTC) - timedelta(hours=1), "Period": 3600}
    window["EndTime"] = datetime.now(UTC) + timedelta(hours=1)

    def statistics(metric: str, dims: list[dict[str, str]], statistic: str) -> float | None:
        answer = cloudwatch.get_metric_statistics(
            Namespace="AWS/ApplicationELB", MetricName=metric, Dimensions=dims,
            Statistics=[statistic], **window,
        )  # fmt: skip
        points = answer["Datapoints"]
        return float(points[0][statistic]) if points else None

    with httpx.Client(timeout=10) as client:
        assert all(client.get(alb.prod_url).status_code == 200 for _ in range(30))
    blue = dimensions(alb, alb.blue_group)
    # Health checks are not requests: exactly the 30 sent, once published.
    wait_for(lambda: statistics("RequestCount", blue, "Sum") == 30, "30 requests published")
    assert statistics("RequestCount", blue[:1], "Sum") == 30  # the load balancer's
    assert statistics("RequestCount", blue, "Average") == 1  # ALB's Average of a count
    assert 0 < statistics("TargetResponseTime", blue, "Average") < 1  # type: ignore[operator]
    assert statistics("HealthyHostCount", blue, "Maximum") == 2
    assert statistics("HTTPCode_Target_5XX_Count", blue, "Sum") is None  # none: not reported
    query = {
        "Id": "requests",
        "MetricStat": {
            "Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": "RequestCount",
                       "Dimensions": blue},
            "Period": 3600,
            "Stat": "Sum",
        },
    }  # fmt: skip
    data = cloudwatch.get_metric_data(
        MetricDataQueries=[query], StartTime=window["StartTime"], EndTime=window["EndTime"]
    )
    assert sum(data["MetricDataResults"][0]["Values"]) == 30
