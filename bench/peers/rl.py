"""Peer for memento-bench suite `rl`: the same training runs in PyTorch on the CPU.

Case `drqn_tmaze10_solve`: DRQN on the passive T-maze of length 10 until at least 90% of
the last 100 training episodes succeed, in seconds. Same environment, network and
hyperparameters as Sources/memento-bench/RLSuite.swift (issue 8, item 4):
LSTM(4 -> 64) -> Linear(64 -> 3); whole-episode replay from a zero state; batch of 32
episodes; Double DQN targets; Huber loss; Adam 1e-3; gamma 0.99; hard target sync every
100 updates; one update per episode once 32 episodes are stored; epsilon from 1.0 to 0.05
linearly over the first 600 episodes. The T-maze's deadline (3 * length steps) ends the
episode as a termination, as in Memento: the target there is the reward alone. Each
measurement trains from scratch with the next seed (0, 1, 2, ...); the environment steps
and episodes of each run go to stderr, and the reply carries them as figures beside the
seconds: {"value": seconds, "figures": {"episodes": n, "env_steps": s}}. PyTorch runs on
one thread (see below; MEMENTO_PEER_THREADS overrides).

Protocol: see bench/peers/tensor.py.
"""
import json
import os
import random
import sys
import time


class TMaze:
    """The passive T-maze of Environments/Classic/TMaze.swift: observation
    [cue_left, cue_right, in_corridor, at_junction]; actions 0 forward, 1 left, 2 right;
    every action moves forward in the corridor; at the junction a turn ends the episode with
    +1 (the cued side) or -1, forward is a no-op; -0.01 per other step; terminated (not
    truncated: the deadline is part of the task) after 3 * length steps."""

    def __init__(self, length, rng):
        self.length, self.rng = length, rng

    def reset(self):
        self.cue = self.rng.randrange(2)
        self.position, self.steps = 0, 0
        return [1.0 - self.cue, float(self.cue), 1.0, 0.0]

    def step(self, action):
        self.steps += 1
        reward, terminated = -0.01, False
        if self.position < self.length:
            self.position += 1
        elif action != 0:
            reward = 1.0 if action - 1 == self.cue else -1.0
            terminated = True
        terminated = terminated or self.steps >= 3 * self.length
        at_junction = self.position == self.length
        obs = [0.0, 0.0, float(not terminated and not at_junction), float(not terminated and at_junction)]
        return obs, reward, terminated, False


def main():
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except ImportError:
        print(json.dumps({"ready": False, "reason": "torch is not installed (run bench/setup-peers.sh)"}), flush=True)
        return
    # One thread unless MEMENTO_PEER_THREADS says otherwise: this loop's products are tiny
    # ([32, 64] x [64, 256] per LSTM step, batch 1 when acting), and on the 2-core machine
    # two intra-op threads made the same run about 10x slower (3.0 s -> 36 s for seed 0),
    # so one thread is PyTorch at its best here.
    torch.set_num_threads(int(os.environ.get("MEMENTO_PEER_THREADS", "1")))

    class QNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(4, 64, batch_first=True)
            self.head = nn.Linear(64, 3)

        def forward(self, x, state=None):  # x [B, T, 4] -> q [B, T, 3]
            out, state = self.lstm(x, state)
            return self.head(out), state

    def drqn_solve(seed):
        torch.manual_seed(seed)
        rng = random.Random(seed)
        env = TMaze(10, rng)
        net = QNet()
        target = QNet()
        target.load_state_dict(net.state_dict())
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        gamma, batch, capacity_rows = 0.99, 32, 100_000
        episodes, rows = [], 0          # (obs [T+1, 4], actions [T], rewards [T], terminated [T])
        returns, steps, updates = [], 0, 0
        start = time.perf_counter()
        while True:
            eps = 1.0 + min(len(returns) / 600, 1.0) * (0.05 - 1.0)
            obs = env.reset()
            ep_obs, ep_act, ep_rew, ep_term = [obs], [], [], []
            state, total, done = None, 0.0, False
            while not done:
                with torch.no_grad():
                    q, state = net(torch.tensor([[obs]]), state)
                action = rng.randrange(3) if rng.random() < eps else int(q[0, 0].argmax())
                obs, reward, terminated, truncated = env.step(action)
                steps += 1
                total += reward
                ep_obs.append(obs)
                ep_act.append(action)
                ep_rew.append(reward)
                ep_term.append(float(terminated))
                done = terminated or truncated
            returns.append(total)
            episodes.append((ep_obs, ep_act, ep_rew, ep_term))
            rows += len(ep_obs)
            while rows > capacity_rows:
                rows -= len(episodes.pop(0)[0])
            if len(returns) >= 100 and sum(r > 0 for r in returns[-100:]) >= 90:
                break
            if len(episodes) < batch:
                continue
            # One update on 32 whole episodes, padded to the longest.
            sample = [episodes[rng.randrange(len(episodes))] for _ in range(batch)]
            T = max(len(e[1]) for e in sample)
            o = torch.zeros(batch, T + 1, 4)
            a = torch.zeros(batch, T, dtype=torch.long)
            r = torch.zeros(batch, T)
            d = torch.zeros(batch, T)
            m = torch.zeros(batch, T)
            for i, (eo, ea, er, ed) in enumerate(sample):
                n = len(ea)
                o[i, : n + 1] = torch.tensor(eo)
                a[i, :n] = torch.tensor(ea)
                r[i, :n] = torch.tensor(er)
                d[i, :n] = torch.tensor(ed)
                m[i, :n] = 1
            q, _ = net(o)                                     # [B, T+1, 3]
            with torch.no_grad():
                tq, _ = target(o)
                best = q[:, 1:].argmax(dim=2, keepdim=True)   # Double DQN: online picks, target evaluates
                y = r + gamma * (1 - d) * tq[:, 1:].gather(2, best).squeeze(2)
            pred = q[:, :-1].gather(2, a.unsqueeze(2)).squeeze(2)
            loss = (F.huber_loss(pred, y, reduction="none") * m).sum() / m.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            updates += 1
            if updates % 100 == 0:
                target.load_state_dict(net.state_dict())
        seconds = time.perf_counter() - start
        print(f"  pytorch drqn_tmaze10_solve seed {seed}: {steps} env steps, {len(returns)} episodes, {seconds:.3f} s",
              file=sys.stderr, flush=True)
        return {"value": seconds, "figures": {"episodes": len(returns), "env_steps": steps}}

    seeds = iter(range(1 << 30))
    impala_seeds = iter(range(1 << 30))
    from impala import impala_frames_per_second
    cases = {
        "drqn_tmaze10_solve": lambda: drqn_solve(next(seeds)),
        "impala_cartpole_frames_per_s": lambda: impala_frames_per_second(next(impala_seeds)),
    }
    print(json.dumps({"ready": True, "peer_name": f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"}), flush=True)
    for line in sys.stdin:
        name = line.strip()
        if not name:
            continue
        try:
            result = cases[name]()
            print(json.dumps(result if isinstance(result, dict) else {"value": result}), flush=True)
        except Exception as e:  # report, keep serving
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)


if __name__ == "__main__":
    main()
