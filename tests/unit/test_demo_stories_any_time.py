"""The demo's stories must be visible whenever the demo is started, whatever the time of day
(rollouts run on a fixed schedule, so a story tied to one pod could vanish with the next rollout)."""
import math

import pytest

from webapp.demo.world import SCALES, World

HOUR = 3600.0
START = 1_790_000_000.0


@pytest.mark.parametrize("hour", range(0, 48, 3))
def test_evicted_pod_is_present_at_every_start_time(hour):
    anchor = START + hour * HOUR
    world = World(SCALES["tiny"], 42, anchor)
    story = world.story["evicted-pod"]
    # asked as the live exporter asks: for "now" only, long after the eviction and maybe after rollouts
    for now in (anchor, anchor + 20 * HOUR):
        pods = [p for p in world.pods(story.cluster, now, now) if "evicted-pod" in p.stories]
        assert len(pods) == 1, now
        pod = pods[0]
        assert pod.failed_at == story.start < anchor and math.isinf(pod.end)


@pytest.mark.parametrize("hour", range(0, 48, 3))
def test_crash_loop_pod_is_present_at_every_start_time(hour):
    anchor = START + hour * HOUR
    world = World(SCALES["tiny"], 42, anchor)
    story = world.story["crashloop-pod"]
    alive = [p for p in world.pods(story.cluster, anchor, anchor)
             if "crashloop-pod" in p.stories and p.created <= anchor < p.end]
    assert alive
