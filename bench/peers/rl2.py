"""RL² in PyTorch for memento-bench case `rl2_bandit_train_steps_per_s` (suite `rl`).

The same training loop as Sources/memento-bench/RL2Case.swift (lesson 9's RL²): recurrent
PPO on trials of 10 pulls of 5-armed Bernoulli bandits with p ~ U[0, 1], the input at each
step (1, one-hot previous arm, previous reward, done) of size 8, the GRU's state zeroed
where a trial starts. 32 trials at a time, rollouts of 10 steps (one whole trial per copy,
so every rollout starts with fresh states), 4 epochs of 2 minibatches of 16 whole
sequences re-run from the zero state, Adam (eps 1e-5) at 3e-3 decaying linearly with the
budget left after each rollout, clip 0.2, gamma 0.99, GAE lambda 0.3, entropy 0.01, value
0.5 (squared error without 1/2), advantages normalised per minibatch, gradient norm 0.5.
Actor GRU(8 -> 64) -> Linear(64 -> 5), critic GRU(8 -> 64) -> Linear(64 -> 1), PyTorch's
default initialisation. Measured: environment steps per second over 64,000 steps, acting
and updates included. One thread (MEMENTO_PEER_THREADS overrides, in rl.py).
"""
import math
import sys
import time

ARMS, PULLS, N, EPOCHS, MINIBATCHES = 5, 10, 32, 4, 2
LR, CLIP, GAMMA, LAM, ENT, VF, MAX_NORM = 3e-3, 0.2, 0.99, 0.3, 0.01, 0.5, 0.5
BUDGET = 64_000
SIZE = 1 + ARMS + 2


def rl2_bandit_steps_per_second(seed):
    import torch
    import torch.nn as nn

    class Net(nn.Module):
        def __init__(self, outputs):
            super().__init__()
            self.gru = nn.GRU(SIZE, 64, batch_first=True)
            self.head = nn.Linear(64, outputs)

        def forward(self, x, h=None):  # x [B, T, SIZE] -> [B, T, outputs], h [1, B, 64]
            out, h = self.gru(x, h)
            return self.head(out), h

    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    actor, critic = Net(ARMS), Net(1)
    params = list(actor.parameters()) + list(critic.parameters())
    opt = torch.optim.Adam(params, lr=LR, eps=1e-5)
    steps, returns = 0, []
    start = time.perf_counter()
    while steps < BUDGET:
        # Rollout: one trial per copy, from fresh states.
        p = torch.rand(N, ARMS, generator=gen)
        x = torch.zeros(N, SIZE)
        x[:, 0] = 1
        ha = hc = None
        b_obs, b_act, b_logp, b_val, b_rew = [], [], [], [], []
        total = torch.zeros(N)
        with torch.no_grad():
            for t in range(PULLS):
                logits, ha = actor(x.unsqueeze(1), ha)
                value, hc = critic(x.unsqueeze(1), hc)
                dist = torch.distributions.Categorical(logits=logits[:, 0])
                a = dist.sample()
                r = (torch.rand(N, generator=gen) < p.gather(1, a.unsqueeze(1)).squeeze(1)).float()
                b_obs.append(x); b_act.append(a); b_logp.append(dist.log_prob(a)); b_val.append(value[:, 0, 0]); b_rew.append(r)
                total += r
                x = torch.zeros(N, SIZE)
                x[:, 0] = 1
                x[torch.arange(N), 1 + a] = 1
                x[:, 1 + ARMS] = r
                steps += N
        returns.extend(total.tolist())
        # GAE: the trial ends at its last pull (terminated), nothing to bootstrap.
        values, rewards = torch.stack(b_val, 1), torch.stack(b_rew, 1)   # [N, T]
        adv = torch.zeros(N, PULLS)
        last = torch.zeros(N)
        for t in reversed(range(PULLS)):
            next_value = values[:, t + 1] if t + 1 < PULLS else torch.zeros(N)
            not_done = 1.0 if t + 1 < PULLS else 0.0
            delta = rewards[:, t] + GAMMA * next_value * not_done - values[:, t]
            last = delta + GAMMA * LAM * not_done * last
            adv[:, t] = last
        ret = adv + values
        obs, act, logp = torch.stack(b_obs, 1), torch.stack(b_act, 1), torch.stack(b_logp, 1)
        # Update: K epochs of minibatches of whole sequences.
        remaining = max(1.0 - steps / BUDGET, 0.0)
        for g in opt.param_groups:
            g["lr"] = LR * remaining
        size = N // MINIBATCHES
        for _ in range(EPOCHS):
            order = torch.randperm(N, generator=gen)
            for m in range(MINIBATCHES):
                idx = order[m * size:(m + 1) * size]
                logits, _ = actor(obs[idx])
                values_new, _ = critic(obs[idx])
                dist = torch.distributions.Categorical(logits=logits)
                ratio = (dist.log_prob(act[idx]) - logp[idx]).exp()
                a = adv[idx]
                a = (a - a.mean()) / (a.std() + 1e-8)
                pg = torch.max(-a * ratio, -a * ratio.clamp(1 - CLIP, 1 + CLIP)).mean()
                v_loss = ((values_new[..., 0] - ret[idx]) ** 2).mean()
                loss = pg + VF * v_loss - ENT * dist.entropy().mean()
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(params, MAX_NORM)
                opt.step()
    seconds = time.perf_counter() - start
    last = returns[-3200:]
    print(f"  pytorch rl2_bandit_train_steps_per_s seed {seed}: {steps} steps in {seconds:.3f} s, "
          f"mean trial return of the last 3,200 trials {sum(last) / len(last):.3f}", file=sys.stderr, flush=True)
    return steps / seconds
