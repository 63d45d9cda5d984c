import httpx
from prometheus_client.parser import text_string_to_metric_families

from bluegreen.lb.metrics import APP, CHECKPOINT_SECONDS, PROXY, GroupMetrics, percentile
from bluegreen.lb.target import Target

from .harness import balancer, run, wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_snapshot_counts_only_the_window_and_splits_app_from_proxy_errors() -> None:
    clock = Clock()
    one, two = Target("blue", "127.0.0.1", 1), Target("blue", "127.0.0.1", 2)
    targets = [one, two]
    metrics = GroupMetrics(lambda: targets, clock=clock)
    for _ in range(50):
        one.counters.observe(200, APP, 0.001, 10, 20)
    clock.now += 50
    metrics.checkpoint()
    clock.now += 5
    for _ in range(8):
        two.counters.observe(200, APP, 0.004, 1, 2)
    two.counters.observe(500, APP, 0.004, 1, 2)
    metrics.own.observe(503, PROXY, 0.004, 1, 2)  # no target to offer
    one.in_flight, two.in_flight = 1, 2
    clock.now += 5
    snapshot = metrics.snapshot(window=10)
    assert (snapshot.requests, snapshot.errors_5xx, snapshot.proxy_errors) == (10, 2, 1)
    assert snapshot.error_rate == 0.2
    assert snapshot.in_flight == 3 and (snapshot.bytes_in, snapshot.bytes_out) == (10, 20)
    assert snapshot.p50 is not None and 0.003 < snapshot.p50 <= 0.005
    assert metrics.snapshot(window=120).requests == 60  # older than every checkpoint: all


def test_a_released_target_still_counts_in_its_group() -> None:
    clock = Clock()
    target = Target("blue", "127.0.0.1", 1)
    targets = [target]
    metrics = GroupMetrics(lambda: targets, clock=clock)
    target.counters.observe(200, APP, 0.001, 1, 1)
    target.in_flight = 1
    targets.remove(target)
    metrics.release(target)
    assert metrics.totals().results == target.counters.results
    target.counters.observe(502, PROXY, 0.001, 1, 1)  # its last request, cut by the drain
    target.in_flight = 0
    assert sum(metrics.totals().results) == 2
    assert sum(metrics.totals().results) == 2  # folded in once, not twice


def test_checkpoints_are_taken_by_the_load_balancer_sweep() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            async with httpx.AsyncClient(base_url=setup.url) as client:
                for _ in range(5):
                    await client.get("/")
                metrics = setup.groups["blue"].metrics
                # Only a checkpoint the sweep took after those five empties a window.
                await wait_for(
                    lambda: metrics.snapshot(window=CHECKPOINT_SECONDS * 1.5).requests == 0
                )
                await client.get("/status/503")
            recent = metrics.snapshot(window=CHECKPOINT_SECONDS * 1.5)
            assert (recent.requests, recent.errors_5xx, recent.proxy_errors) == (1, 1, 0)

    run(scenario())


def test_percentiles_interpolate_inside_buckets() -> None:
    histogram = [0] * 29
    histogram[1] = 90  # 0.5-1 ms
    histogram[12] = 10  # 75-100 ms
    assert percentile(histogram, 0.5) is not None and percentile(histogram, 0.5) < 0.001
    p99 = percentile(histogram, 0.99)
    assert p99 is not None and 0.075 < p99 <= 0.1
    assert percentile([0] * 29, 0.5) is None


def test_prometheus_exposition_labels_targets_roles_and_sources() -> None:
    async def scenario() -> None:
        async with balancer({"blue": 100}) as setup:
            setup.lb.group_labels = lambda name: ("green", "web:7")
            async with httpx.AsyncClient(base_url=setup.url) as client:
                for path in ("/", "/", "/status/503"):
                    await client.get(path)
            text = setup.lb.metrics_text().decode()
            samples = {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text)
                for s in family.samples
            }
            target = setup.groups["blue"].targets[0].address

            def key(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
                group = {"target_group": "blue", "role": "green", "revision": "web:7"}
                return name, tuple(sorted({**group, **labels}.items()))

            app_2xx = {"code": "2xx", "source": "app", "target": target}
            assert samples[key("bluegreen_lb_requests_total", **app_2xx)] == 2
            app_5xx = key("bluegreen_lb_target_group_requests_total", code="5xx", source="app")
            assert samples[app_5xx] == 1
            assert samples[key("bluegreen_lb_request_duration_seconds_count")] == 3
            count = key("bluegreen_lb_target_request_duration_seconds_count", target=target)
            assert samples[count] == 3
            out = key("bluegreen_lb_target_bytes_total", target=target, direction="out")
            assert samples[out] == len(b"blue") * 2 + len(b"status\n")
            listener = next(iter(setup.lb.listeners))
            assert samples[key("bluegreen_lb_listener_weight", listener=listener)] == 100

    run(scenario())
