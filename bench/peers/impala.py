"""IMPALA in PyTorch for memento-bench case `impala_cartpole_frames_per_s` (suite `rl`).

The same actor-learner design as Sources/Algorithms/IMPALA.swift in threaded mode: two
actor threads, each stepping 4 CartPole-v1 copies (Gymnasium's) with its own copy of the
network and sending unrolls of 20 steps through a bounded queue (16 unrolls); a learner
taking batches of 8 unrolls, computing V-trace (rho_bar = c_bar = 1, gamma 0.99) and
taking one Adam step (lr 1e-3, entropy 0.01, value 0.5, gradient norm clipped at 40).
Actors take the learner's weights before every unroll (k = 0). The network is
Linear(4 -> 64) -> tanh -> Linear(64 -> 3): two logits and the value.

Actors are Python threads, as the design says; PyTorch releases the GIL inside its
operators, but the Python around them runs one thread at a time (TorchBeast's MonoBeast
uses processes instead). Measured: environment frames consumed by the learner per second
over a budget of FRAMES frames, thread start-up included.
"""
import copy
import math
import queue
import threading
import time

FRAMES = 20_000
ACTORS, COPIES, UNROLL, BATCH, QUEUE = 2, 4, 20, 8, 16
GAMMA, LR, ENTROPY, VALUE, MAX_NORM = 0.99, 1e-3, 0.01, 0.5, 40.0


def impala_frames_per_second(seed):
    import gymnasium as gym
    import numpy as np
    import torch
    import torch.nn as nn
    from torch.distributions import Categorical

    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 3))
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    weights = threading.Lock()
    unrolls = queue.Queue(maxsize=QUEUE)
    stop = threading.Event()
    failures = []

    def actor(index):
        try:
            envs = [gym.make("CartPole-v1") for _ in range(COPIES)]
            obs = [env.reset(seed=seed * 1000 + index * COPIES + j)[0] for j, env in enumerate(envs)]
            local = copy.deepcopy(net)
            while not stop.is_set():
                with weights:
                    local.load_state_dict(net.state_dict())
                o_buf, a_buf, lp_buf, r_buf, d_buf = [], [], [], [], []
                for _ in range(UNROLL):
                    x = torch.tensor(np.array(obs), dtype=torch.float32)
                    with torch.no_grad():
                        out = local(x)
                        dist = Categorical(logits=out[:, :2])
                        actions = dist.sample()
                        logp = dist.log_prob(actions)
                    rewards, dones = [], []
                    for j, env in enumerate(envs):
                        o, r, term, trunc, _ = env.step(int(actions[j]))
                        if term or trunc:
                            o, _ = env.reset()
                        obs[j] = o
                        rewards.append(r)
                        dones.append(term or trunc)
                    o_buf.append(x)
                    a_buf.append(actions)
                    lp_buf.append(logp)
                    r_buf.append(torch.tensor(rewards, dtype=torch.float32))
                    d_buf.append(torch.tensor(dones, dtype=torch.float32))
                last = torch.tensor(np.array(obs), dtype=torch.float32)
                item = (torch.stack(o_buf), torch.stack(a_buf), torch.stack(lp_buf), torch.stack(r_buf), torch.stack(d_buf), last)
                while not stop.is_set():
                    try:
                        unrolls.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        pass
        except Exception as e:  # stop the run with the actor's error
            failures.append(f"actor {index}: {e}")
            stop.set()

    threads = [threading.Thread(target=actor, args=(i,), daemon=True) for i in range(ACTORS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    frames = 0
    while frames + BATCH * UNROLL <= FRAMES and not failures:
        batch = [unrolls.get() for _ in range(BATCH // COPIES)]
        obs = torch.cat([b[0] for b in batch], dim=1)          # [T, B, 4]
        actions = torch.cat([b[1] for b in batch], dim=1)      # [T, B]
        behaviour = torch.cat([b[2] for b in batch], dim=1)
        rewards = torch.cat([b[3] for b in batch], dim=1)
        dones = torch.cat([b[4] for b in batch], dim=1)
        last = torch.cat([b[5] for b in batch], dim=0)         # [B, 4]
        out = net(obs)                                          # [T, B, 3]
        dist = Categorical(logits=out[..., :2])
        logp = dist.log_prob(actions)
        values = out[..., 2]
        with torch.no_grad():
            bootstrap = net(last)[:, 2]
            rhos = torch.exp(logp - behaviour)
            clipped = torch.clamp(rhos, max=1.0)
            cs = torch.clamp(rhos, max=1.0)
            discounts = GAMMA * (1 - dones)
            v = values.detach()
            next_values = torch.cat([v[1:], bootstrap.unsqueeze(0)], dim=0)
            deltas = clipped * (rewards + discounts * next_values - v)
            acc = torch.zeros_like(bootstrap)
            corrections = []
            for t in reversed(range(UNROLL)):
                acc = deltas[t] + discounts[t] * cs[t] * acc
                corrections.append(acc)
            vs = torch.stack(corrections[::-1]) + v
            next_vs = torch.cat([vs[1:], bootstrap.unsqueeze(0)], dim=0)
            advantages = clipped * (rewards + discounts * next_vs - v)
        policy_loss = -(advantages * logp).mean()
        value_loss = 0.5 * ((vs - values) ** 2).mean()
        loss = policy_loss + VALUE * value_loss - ENTROPY * dist.entropy().mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), MAX_NORM)
        with weights:
            opt.step()
        frames += BATCH * UNROLL
    stop.set()
    for t in threads:
        t.join()
    if failures:
        raise RuntimeError(failures[0])
    return frames / (time.perf_counter() - start)
