"""The request reading and answer checking of `emulator.protocol`, on its own:
the query protocol's flattened parameters, and a moto answer that breaks the
output shape."""

from __future__ import annotations

from bluegreen.emulator.protocol import Call, identify, output_problems, service_model, unflatten

SCOPE = "AWS4-HMAC-SHA256 Credential=AKIA/20260101/eu-west-1/elasticloadbalancing/aws4_request"


def test_query_parameters_become_the_nested_input() -> None:
    body = (
        "Action=ModifyListener&Version=2015-12-01&ListenerArn=arn%3Al&Port=8080"
        "&DefaultActions.member.1.Type=forward"
        "&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn=a"
        "&DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight=90"
        "&DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.TargetGroupArn=b"
        "&DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.Weight=10"
    )
    headers = {"Authorization": SCOPE, "Content-Type": "application/x-www-form-urlencoded"}
    call = identify(headers, body.encode())
    assert call is not None
    assert (call.service, call.operation, call.region) == ("elbv2", "ModifyListener", "eu-west-1")
    assert call.params == {
        "ListenerArn": "arn:l",
        "Port": 8080,
        "DefaultActions": [
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": "a", "Weight": 90},
                        {"TargetGroupArn": "b", "Weight": 10},
                    ]
                },
            }
        ],
    }


def test_a_scalar_of_the_wrong_type_stays_text_for_the_validator() -> None:
    shape = service_model("elbv2").operation_model("CreateListener").input_shape
    assert unflatten({"Port": "eighty"}, shape) == {"Port": "eighty"}


def test_an_answer_that_breaks_the_output_shape_is_named() -> None:
    call = Call("ecs", "DescribeServices", "json", "us-east-1", {"services": ["web"]})
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    assert output_problems(call, 200, headers, b'{"services": [], "failures": []}') == ""
    broken = output_problems(call, 200, headers, b'{"services": [{"desiredCount": "two"}]}')
    assert "desiredCount" in broken
