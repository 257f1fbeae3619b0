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

Case `ppo_lstm_stateless_cartpole_solve`: recurrent PPO on position-only CartPole-v1
(Gymnasium's CartPole-v1 with the two velocities dropped, as the RL Zoo's CartPoleNoVel)
until the mean return of the last 20 episodes reaches 475, capped at 200,000 steps, in
seconds. The zoo's RecurrentPPO settings, as Sources/memento-bench/RLSuite.swift: 8
environments with same-step autoreset, n_steps 32, one minibatch of the 8 sequences of 32,
gamma 0.98, lambda 0.8, 20 epochs, lr 1e-3 and clip 0.2 decaying linearly over the 200,000
steps, no entropy bonus, vf_coef 0.5, max_grad_norm 0.5, Adam eps 1e-5; an LSTM(2 -> 64) for
the actor and another for the critic, each followed by Linear(64, 64) + ReLU and the output
layer; observations and rewards normalised as VecNormalize does. Written in CleanRL's
structure (ppo_atari_lstm.py): the LSTM is stepped through time with the state multiplied
by (1 - episode_start) before every step, when acting and when re-running a sequence from
the state stored at its start.

Protocol: see bench/peers/tensor.py.
"""
import json
import math
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

    class RunningMeanStd:
        """Stable Baselines' running mean and variance (parallel merge of batches)."""

        def __init__(self, shape):
            self.mean = torch.zeros(shape, dtype=torch.float64)
            self.var = torch.ones(shape, dtype=torch.float64)
            self.count = 1e-4

        def update(self, x):  # x [B, ...]
            x = x.double()
            bm, bv, bc = x.mean(0), x.var(0, unbiased=False), x.shape[0]
            delta, total = bm - self.mean, self.count + bc
            self.mean = self.mean + delta * bc / total
            self.var = (self.var * self.count + bv * bc + delta ** 2 * self.count * bc / total) / total
            self.count = total

    class Agent(nn.Module):
        """sb3-contrib's MlpLstmPolicy with enable_critic_lstm, net_arch pi=[64], vf=[64], ReLU."""

        def __init__(self):
            super().__init__()
            self.actor_lstm = nn.LSTM(2, 64)
            self.critic_lstm = nn.LSTM(2, 64)
            self.actor = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 2))
            self.critic = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

        @staticmethod
        def unroll(lstm, x, state, starts):
            """x [L, B, 2], starts [L, B]: the state is zeroed before every flagged step."""
            h, c = state
            outs = []
            for t in range(x.shape[0]):
                keep = (1.0 - starts[t]).view(1, -1, 1)
                out, (h, c) = lstm(x[t].unsqueeze(0), (h * keep, c * keep))
                outs.append(out)
            return torch.cat(outs), (h, c)

        def forward(self, x, states, starts):
            a, sa = self.unroll(self.actor_lstm, x, states[0], starts)
            v, sv = self.unroll(self.critic_lstm, x, states[1], starts)
            return self.actor(a), self.critic(v).squeeze(-1), (sa, sv)

    def ppo_lstm_solve(seed):
        import gymnasium as gym
        import numpy as np
        torch.manual_seed(seed)
        N, T, epochs, gamma, lam, lr0, clip0, budget = 8, 32, 20, 0.98, 0.8, 1e-3, 0.2, 200_000
        envs = [gym.make("CartPole-v1") for _ in range(N)]
        raw = np.array([e.reset(seed=seed + i)[0][[0, 2]] for i, e in enumerate(envs)], dtype=np.float32)
        obs_rms, ret_rms = RunningMeanStd((2,)), RunningMeanStd(())
        running_return = torch.zeros(N, dtype=torch.float64)

        def normalize(o):
            o = torch.as_tensor(o)
            return ((o.double() - obs_rms.mean) / torch.sqrt(obs_rms.var + 1e-8)).clamp(-10, 10).float()

        obs_rms.update(torch.as_tensor(raw))
        next_obs = normalize(raw)
        agent = Agent()
        opt = torch.optim.Adam(agent.parameters(), lr=lr0, eps=1e-5)
        zeros = lambda: (torch.zeros(1, N, 64), torch.zeros(1, N, 64))
        state = (zeros(), zeros())
        next_start = torch.ones(N)
        episode_return, episode_length = np.zeros(N), np.zeros(N, dtype=int)
        returns, steps = [], 0
        start = time.perf_counter()
        solved = False
        while steps < budget and not solved:
            stored = tuple((h.clone(), c.clone()) for h, c in state)
            b_obs, b_act, b_logp, b_val, b_rew, b_start, b_end = [], [], [], [], [], [], []
            # Rollout.
            for t in range(T):
                with torch.no_grad():
                    logits, value, state = agent(next_obs.unsqueeze(0), state, next_start.unsqueeze(0))
                    dist = torch.distributions.Categorical(logits=logits[0])
                    action = dist.sample()
                b_obs.append(next_obs); b_act.append(action); b_logp.append(dist.log_prob(action))
                b_val.append(value[0]); b_start.append(next_start)
                raw_next, rewards, ends, finals, terms = [], [], [], [], []
                for i, e in enumerate(envs):
                    o, r, term, trunc, _ = e.step(int(action[i]))
                    episode_return[i] += r
                    episode_length[i] += 1
                    done = term or trunc
                    if done:
                        returns.append(episode_return[i])
                        episode_return[i], episode_length[i] = 0, 0
                        finals.append((i, o[[0, 2]], trunc and not term))
                        o, _ = e.reset()
                    raw_next.append(o[[0, 2]]); rewards.append(r); ends.append(float(done))
                steps += N
                raw_next = np.array(raw_next, dtype=np.float32)
                obs_rms.update(torch.as_tensor(raw_next))
                next_obs = normalize(raw_next)
                r = torch.tensor(rewards, dtype=torch.float64)
                running_return = running_return * gamma + r
                ret_rms.update(running_return)
                r = (r / math.sqrt(float(ret_rms.var) + 1e-8)).clamp(-10, 10).float()
                # A time limit is not a terminal state: fold gamma * V(s_final) into the reward.
                for i, o, cut in finals:
                    if cut:
                        with torch.no_grad():
                            s1 = ((state[0][0][:, i:i + 1], state[0][1][:, i:i + 1]), (state[1][0][:, i:i + 1], state[1][1][:, i:i + 1]))
                            _, v, _ = agent(normalize(o[None]).unsqueeze(0), s1, torch.zeros(1, 1))
                        r[i] += gamma * v[0, 0]
                end = torch.tensor(ends)
                running_return = running_return * (1 - end.double())
                b_rew.append(r); b_end.append(end)
                next_start = end
                if len(returns) >= 20 and sum(returns[-20:]) / 20 >= 475:
                    solved = True
                    break
            if solved:
                break
            # GAE(gamma, lambda).
            with torch.no_grad():
                _, last_value, _ = agent(next_obs.unsqueeze(0), state, torch.zeros(1, N))
            values, rewards_t, ends_t = torch.stack(b_val), torch.stack(b_rew), torch.stack(b_end)
            adv = torch.zeros(T, N)
            last, next_value = torch.zeros(N), last_value[0]
            for t in reversed(range(T)):
                not_done = 1.0 - ends_t[t]
                delta = rewards_t[t] + gamma * next_value * not_done - values[t]
                last = delta + gamma * lam * not_done * last
                adv[t] = last
                next_value = values[t]
            ret = adv + values
            # Update: 20 epochs of one minibatch (all 8 sequences of 32).
            remaining = 1.0 - steps / budget
            for g in opt.param_groups:
                g["lr"] = lr0 * remaining
            clip = clip0 * remaining
            obs_b, act_b, logp_b = torch.stack(b_obs), torch.stack(b_act), torch.stack(b_logp)
            start_b = torch.stack(b_start)
            for _ in range(epochs):
                logits, new_v, _ = agent(obs_b, stored, start_b)
                dist = torch.distributions.Categorical(logits=logits)
                logratio = dist.log_prob(act_b) - logp_b
                ratio = logratio.exp()
                a = (adv - adv.mean()) / (adv.std() + 1e-8)
                pg = torch.max(-a * ratio, -a * ratio.clamp(1 - clip, 1 + clip)).mean()
                v_loss = ((new_v - ret) ** 2).mean()
                loss = pg + 0.5 * v_loss
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), 0.5)
                opt.step()
        seconds = time.perf_counter() - start
        print(f"  pytorch ppo_lstm_stateless_cartpole_solve seed {seed}: {steps} env steps, {len(returns)} episodes, {seconds:.3f} s",
              file=sys.stderr, flush=True)
        if not solved:
            raise RuntimeError(f"not solved in {steps} steps (seed {seed})")
        return seconds

    seeds = iter(range(1 << 30))
    impala_seeds = iter(range(1 << 30))
    ppo_seeds = iter(range(1 << 30))
    from impala import impala_frames_per_second
    from rl2 import rl2_bandit_steps_per_second
    rl2_seeds = iter(range(1 << 30))
    from rlhf import rlhf_ppo_iteration_ms
    cases = {
        "drqn_tmaze10_solve": lambda: drqn_solve(next(seeds)),
        "impala_cartpole_frames_per_s": lambda: impala_frames_per_second(next(impala_seeds)),
        "ppo_lstm_stateless_cartpole_solve": lambda: ppo_lstm_solve(next(ppo_seeds)),
        "rl2_bandit_train_steps_per_s": lambda: rl2_bandit_steps_per_second(next(rl2_seeds)),
        "rlhf_ppo_iteration": lambda: rlhf_ppo_iteration_ms(),
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
