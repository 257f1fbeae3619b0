#!/usr/bin/env python3
"""Peer for memento-bench's `env` suite: Gymnasium's CartPole-v1, stepped the same way.

Protocol (one JSON object per line on stdout, flushed after each):
  start:         {"ready": true, "peer_name": "Gymnasium <version>"}
                 or {"ready": false, "reason": "..."} and exit 0
  per stdin line (a case name): one measurement of about 0.2 s,
                 {"value": <steps per second>} or {"error": "..."}
  EOF on stdin:  exit.

Both cases step with uniformly random actions and reset when an episode ends, counting
environment steps per second, as the Swift side (Sources/memento-bench/EnvSuite.swift):
  cartpole_steps       one gym.make("CartPole-v1") (with its TimeLimit and checkers)
  cartpole_vec8_steps  gymnasium.vector.SyncVectorEnv of 8 CartPole-v1 (next-step autoreset)
"""
import json
import random
import sys
import time

SAMPLE_SECONDS = 0.2


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


try:
    import gymnasium as gym
    import numpy as np
except ImportError:
    emit({"ready": False, "reason": "gymnasium not installed"})
    sys.exit(0)


def cartpole_steps(state):
    env = state.get("single")
    if env is None:
        env = state["single"] = gym.make("CartPole-v1")
        env.reset(seed=0)
    rng = random.Random(0)
    steps = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < SAMPLE_SECONDS:
        for _ in range(1000):
            _, _, terminated, truncated, _ = env.step(rng.getrandbits(1))
            if terminated or truncated:
                env.reset()
        steps += 1000
        elapsed = time.perf_counter() - start
    return steps / elapsed


def cartpole_vec8_steps(state):
    copies = 8
    envs = state.get("vec8")
    if envs is None:
        envs = state["vec8"] = gym.vector.SyncVectorEnv(
            [lambda: gym.make("CartPole-v1") for _ in range(copies)])
        envs.reset(seed=0)
    rng = np.random.default_rng(0)
    steps = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < SAMPLE_SECONDS:
        for _ in range(200):
            envs.step(rng.integers(0, 2, size=copies))
        steps += 200 * copies
        elapsed = time.perf_counter() - start
    return steps / elapsed


CASES = {"cartpole_steps": cartpole_steps, "cartpole_vec8_steps": cartpole_vec8_steps}


def main():
    emit({"ready": True, "peer_name": f"Gymnasium {gym.__version__}"})
    state = {}
    for line in sys.stdin:
        name = line.strip()
        if not name:
            continue
        case = CASES.get(name)
        if case is None:
            emit({"error": f"unknown case {name!r}; known: {', '.join(sorted(CASES))}"})
            continue
        try:
            emit({"value": case(state)})
        except Exception as exc:  # report, keep serving
            emit({"error": f"{type(exc).__name__}: {exc}"})


if __name__ == "__main__":
    main()
