"""Environment variables over bluegreen.toml: BLUEGREEN_<SECTION>_<FIELD>
and the names GitLab users of CodeDeploy already set."""

from __future__ import annotations

import re

import pytest

from bluegreen.errors import SpecError
from bluegreen.spec.deployment_config import ShiftType
from bluegreen.spec.project import load_project

from .helpers import EXAMPLE


def test_bluegreen_variables_override_fields_of_every_kind():
    config = load_project(
        EXAMPLE,
        env={
            "BLUEGREEN_LOCAL_PROD_PORT": "9090",
            "BLUEGREEN_AWS_REGION": "eu-west-1",
            "BLUEGREEN_HEALTH_CHECK_INTERVAL": "3s",
            "BLUEGREEN_DEPLOYMENT_ALARMS_ERROR_RATE": "0.2",
            "BLUEGREEN_DEPLOYMENT_AUTO_ROLLBACK": "DEPLOYMENT_FAILURE, DEPLOYMENT_STOP_ON_ALARM",
            "BLUEGREEN_DEPLOYMENT_CONFIG": "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
        },
    ).config
    assert config.local.prod_port == 9090
    assert config.aws.region == "eu-west-1"
    assert config.health_check.interval == 3.0
    assert config.deployment.alarms.error_rate == 0.2
    assert config.deployment.auto_rollback == ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM")
    assert config.deployment.config.type is ShiftType.LINEAR


def test_custom_deployment_config_as_json():
    env = {"BLUEGREEN_DEPLOYMENT_CONFIG": '{"type": "linear", "percent": 25, "interval": "2s"}'}
    config = load_project(EXAMPLE, env=env).config
    assert config.deployment.config.schedule() == [(0.0, 25), (2.0, 50), (4.0, 75), (6.0, 100)]


def test_custom_deployment_config_as_a_toml_inline_table():
    env = {"BLUEGREEN_DEPLOYMENT_CONFIG": '{ type = "canary", percent = 30, interval = "4s" }'}
    config = load_project(EXAMPLE, env=env).config
    assert config.deployment.config.schedule() == [(0.0, 30), (4.0, 100)]


def test_the_table_an_unknown_config_error_suggests_is_accepted():
    with pytest.raises(SpecError) as caught:
        load_project(EXAMPLE, env={"BLUEGREEN_DEPLOYMENT_CONFIG": "CodeDeployDefault.Nope"})
    message = str(caught.value)
    assert "BLUEGREEN_DEPLOYMENT_CONFIG" in message
    suggested = re.search(r"(\{[^}]*\})", message)
    assert suggested, message
    env = {"BLUEGREEN_DEPLOYMENT_CONFIG": suggested.group(1)}
    assert load_project(EXAMPLE, env=env).config.deployment.config.type is ShiftType.CANARY


def test_a_table_in_neither_toml_nor_json_names_the_variable():
    with pytest.raises(SpecError) as caught:
        load_project(EXAMPLE, env={"BLUEGREEN_DEPLOYMENT_CONFIG": "{ type: canary"})
    assert "BLUEGREEN_DEPLOYMENT_CONFIG" in str(caught.value)


def test_gitlab_codedeploy_names_are_accepted():
    env = {
        "AWS_DEFAULT_REGION": "ap-south-1",
        "AWS_ACCOUNT_ID": "210987654321",
        "ECR_REPO": "shop",
        "CODEDEPLOY_APP": "app-x",
        "CODEDEPLOY_GROUP": "dg-x",
        "TEST_LB_DNS": "my-alb-1.elb.amazonaws.com:8080",
    }
    aws = load_project(EXAMPLE, env=env).config.aws
    assert (aws.region, aws.account_id, aws.ecr_repository) == (
        "ap-south-1",
        "210987654321",
        "shop",
    )
    assert (aws.codedeploy_application, aws.codedeploy_group) == ("app-x", "dg-x")
    assert aws.test_listener_url == "http://my-alb-1.elb.amazonaws.com:8080"


def test_bluegreen_name_wins_over_the_legacy_name():
    env = {"AWS_DEFAULT_REGION": "ap-south-1", "BLUEGREEN_AWS_REGION": "eu-north-1"}
    assert load_project(EXAMPLE, env=env).config.aws.region == "eu-north-1"


def test_full_url_in_test_lb_dns_is_kept():
    env = {"TEST_LB_DNS": "https://alb.example:8443"}
    assert load_project(EXAMPLE, env=env).config.aws.test_listener_url == "https://alb.example:8443"


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [
        ("BLUEGREEN_LOCAL_PROD_PORT", "abc", "local.prod_port"),
        ("BLUEGREEN_SERVICE_DESIRED_COUNT", "0", "service.desired_count"),
        ("BLUEGREEN_HEALTH_CHECK_TIMEOUT", "forever", "health_check.timeout"),
        ("BLUEGREEN_DEPLOYMENT_CONFIG", "CodeDeployDefault.Nope", "deployment.config"),
        ("AWS_ACCOUNT_ID", "not-an-account", "aws.account_id"),
        ("BLUEGREEN_LOCAL_TEST_PORT", "8080", "local"),
    ],
)
def test_bad_environment_value_names_the_variable(variable: str, value: str, field: str):
    with pytest.raises(SpecError) as caught:
        load_project(EXAMPLE, env={variable: value})
    (problem,) = caught.value.problems
    assert problem.file.endswith("bluegreen.toml")
    assert problem.field.startswith(field)
    assert f"environment variable {variable}" in problem.message


def test_unrelated_variables_are_ignored():
    config = load_project(EXAMPLE, env={"BLUEGREEN_NOT_A_FIELD": "x", "PATH": "/bin"}).config
    assert config == load_project(EXAMPLE, env={}).config
