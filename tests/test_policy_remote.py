"""Client and server together over loopback: metadata, answers, keys, errors, restarts."""

import time

import numpy as np
import pytest

pytest.importorskip("msgpack")
pytest.importorskip("websockets")

from skills.executor import Executor, LockstepClock  # noqa: E402
from skills.policies.args import PolicyArgs  # noqa: E402
from skills.policies.base import Policy, PolicyError  # noqa: E402
from skills.policies.catalog import PolicyCatalog, PolicyEntry  # noqa: E402
from skills.policies.remote import RemotePolicy  # noqa: E402
from skills.policies.serve import PolicyServer  # noqa: E402
from skills.policies.skill import PolicySkill  # noqa: E402
from tests.kinematic_arm import KinematicArm  # noqa: E402
from tests.policy_doubles import RampPolicy  # noqa: E402

OBS = {"images": {"front": np.zeros((8, 8, 3), np.uint8)}, "state": np.zeros(7, np.float32), "prompt": "go"}


@pytest.fixture
def server():
    servers = []

    def start(policy=None, port=0, api_key=None):
        s = PolicyServer(policy or RampPolicy(), host="127.0.0.1", port=port, api_key=api_key)
        s.start_in_thread()
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


def test_metadata_first_then_actions(server):
    s = server()
    client = RemotePolicy(f"ws://127.0.0.1:{s.port}")
    assert client.metadata.name == "ramp" and client.metadata.action_horizon == 10
    out = client.infer(OBS)
    assert out["actions"].shape == (10, 7)
    np.testing.assert_allclose(out["actions"][:, 0], 0.01 * np.arange(1, 11))
    assert "infer_ms" in out["server_timing"]
    client.close()


def test_many_robots_share_one_policy(server):
    policy = RampPolicy()
    s = server(policy)
    clients = [RemotePolicy(f"127.0.0.1:{s.port}") for _ in range(3)]
    for c in clients:
        c.infer(OBS)
    assert policy.calls == 3 and s.connections == 3
    for c in clients:
        c.close()


def test_wrong_api_key_is_refused_clearly(server):
    s = server(api_key="sesame")
    with pytest.raises(PolicyError, match="refused the API key"):
        RemotePolicy(f"ws://127.0.0.1:{s.port}", api_key="wrong").infer(OBS)
    with pytest.raises(PolicyError, match="refused the API key"):
        RemotePolicy(f"ws://127.0.0.1:{s.port}").infer(OBS)
    ok = RemotePolicy(f"ws://127.0.0.1:{s.port}", api_key="sesame")
    assert ok.infer(OBS)["actions"].shape == (10, 7)
    ok.close()


def test_server_error_comes_back_as_the_traceback(server):
    s = server(RampPolicy(fail_on_call=2))
    client = RemotePolicy(f"ws://127.0.0.1:{s.port}")
    client.infer(OBS)
    with pytest.raises(PolicyError, match="ZeroDivisionError: the model divided by zero"):
        client.infer(OBS)
    assert client.infer(OBS)["actions"].shape == (10, 7)  # a fresh connection serves again
    client.close()


def test_client_reconnects_after_a_server_restart(server):
    s = server()
    port = s.port
    client = RemotePolicy(f"ws://127.0.0.1:{port}", backoff_s=0.05)
    client.infer(OBS)
    s.stop()
    server(port=port)
    assert client.infer(OBS)["actions"].shape == (10, 7)
    assert client.reconnects == 1
    client.close()


def test_unreachable_server_fails_with_the_reason():
    client = RemotePolicy("ws://127.0.0.1:9", retries=1, backoff_s=0.01, connect_timeout_s=0.5)
    with pytest.raises(PolicyError, match="cannot reach the policy server"):
        client.infer(OBS)


def _run_step(url, seconds=1.5, **extras):
    """A step naming the configured policy "server" (at `url`)."""
    arm = KinematicArm(max_speed=2.0)
    ex = Executor(arm, clock=LockstepClock())
    catalog = PolicyCatalog({"server": PolicyEntry(endpoint=url)})
    args = PolicyArgs(policy=extras.pop("name", "server"), success=None, max_seconds=seconds)
    return ex.run(PolicySkill.configured(catalog)(), args, instruction="sweep right",
                  extras={"policy_blocking": True, **extras})


def test_a_step_survives_a_server_restart(server):
    s = server(RampPolicy(latency_s=0.005))
    port = s.port
    remote = RemotePolicy(f"ws://127.0.0.1:{port}", backoff_s=0.05)
    calls = {"n": 0}

    class RestartOnce(Policy):
        """Restarts the server between two requests of the running step."""

        @property
        def metadata(self):
            return remote.metadata

        def infer(self, obs):
            calls["n"] += 1
            if calls["n"] == 3:
                s.stop()
                server(RampPolicy(), port=port)
            return remote.infer(obs)

    outcome, handle = _run_step(f"ws://127.0.0.1:{port}", name="restarting", policies={"restarting": RestartOnce()})
    assert calls["n"] > 3  # the step went on asking after the restart
    assert remote.reconnects == 1
    assert "ran 'ramp' for 1.5 s" in outcome.reason  # it ran to its time limit, no crash
    remote.close()


def test_a_step_fails_cleanly_when_the_server_is_gone(server):
    s = server()
    url = f"ws://127.0.0.1:{s.port}"
    s.stop()
    t0 = time.perf_counter()
    outcome, handle = _run_step(url)
    assert outcome.status.value == "failure"
    assert "policy server" in outcome.reason
    assert time.perf_counter() - t0 < 15
