"""The validation gate: check green through the test listener before
production traffic moves, the same way on every platform.

A validation is a probe streak, then the smoke command. The streak asks the
validation path (`[validation] path`, else the health check's) every
`interval` until `consecutive_successes` answers in a row are healthy;
then `[validation] command`, when set, runs **once**, and its verdict is
final for that validation: a user expects a test suite to run once, not to
be retried until it passes by luck. The streak and the command together
must end within `deadline`; the command gets what remains of it. The
command runs in the project directory with the hook variables
(`BLUEGREEN_DEPLOYMENT_ID`, `BLUEGREEN_LIFECYCLE_EVENT` = AllowTestTraffic,
`BLUEGREEN_REVISION`, `BLUEGREEN_PROD_URL`, `BLUEGREEN_TEST_URL`).

`streak` holds the rules as a sans-IO machine; `probe` asks one URL and
judges the answer; `plan` turns bluegreen.toml into a policy, a probe and
the command; `drive` runs the machine, sync (AWS follower, `ci verify`) or
async (the local daemon). The local engine, CodeDeploy's ready wait and
ECS's PAUSE hook decide *when* to validate; this package decides *whether
green passed*.
"""

from .drive import Outcome, Report, run_async, run_sync
from .plan import Coordinates, GatePlan
from .probe import Probe
from .streak import GateInputError, Policy, ProbeAt, RunSmoke, Streak, Verdict

__all__ = [
    "Coordinates",
    "GateInputError",
    "GatePlan",
    "Outcome",
    "Policy",
    "Probe",
    "ProbeAt",
    "Report",
    "RunSmoke",
    "Streak",
    "Verdict",
    "run_async",
    "run_sync",
]
