"""One RLHF iteration in PyTorch for memento-bench case `rlhf_ppo_iteration` (suite `rl`).

The loop of Sources/Algorithms/RLHF/LanguagePPO.swift on lesson 12's model (vocabulary 111,
context 32, d_model 64, 4 heads, 2 layers, tied head, untrained): sample 64 continuations
of 24 tokens with a key-value cache, score them with a reward model (a GPT trunk of the same
size with a scalar head read at the last token), the frozen reference's log-probabilities,
per-token rewards -beta * (log pi - log pi_ref) plus the score at the last token, GAE
(gamma 1, lambda 0.95) over the tokens, whitened advantages, then 4 PPO epochs over
minibatches of 32 (clipped surrogate, value loss 0.5, gradient norm clipped at 1, Adam
3e-4). Rows are sampled for the whole budget (an untrained model rarely ends a text early,
and Memento steps the batch until its last row ends). Returns milliseconds per iteration.
"""
import copy
import math
import time

VOCAB, CTX, D, HEADS, LAYERS = 111, 32, 64, 4, 2
BATCH, NEW_TOKENS, EPOCHS, MINIBATCH = 64, 24, 4, 32
BETA, CLIP, GAMMA, LAM, LR = 0.1, 0.2, 1.0, 0.95, 3e-4
EOS = 1


def rlhf_ppo_iteration_ms(at_least=0.25):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.manual_seed(0)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
            self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
            self.fc, self.fc_out = nn.Linear(D, 4 * D), nn.Linear(4 * D, D)

        def forward(self, x):
            b, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
            q, k, v = (m.view(b, t, HEADS, c // HEADS).transpose(1, 2) for m in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
            return x + self.fc_out(F.gelu(self.fc(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(VOCAB, D)
            self.pos = nn.Parameter(torch.randn(CTX, D) * 0.02)
            self.blocks = nn.ModuleList([Block() for _ in range(LAYERS)])
            self.ln_f = nn.LayerNorm(D)

        def hidden(self, idx):  # [B, T] -> [B, T, C]
            h = self.tok(idx) + self.pos[: idx.shape[1]]
            for blk in self.blocks:
                h = blk(h)
            return self.ln_f(h)

        def logits(self, h):
            return h @ self.tok.weight.t()

    policy, reference, reward_trunk = GPT(), None, GPT()
    reference = copy.deepcopy(policy).eval()
    for p in reference.parameters():
        p.requires_grad_(False)
    value_head, reward_head = nn.Linear(D, 1), nn.Linear(D, 1)
    opt = torch.optim.Adam(list(policy.parameters()) + list(value_head.parameters()), lr=LR)
    hs = D // HEADS

    def generate():
        # Returns tokens [B, 1 + NEW_TOKENS] (a leading <eos> as the prompt).
        with torch.inference_mode():
            ck = [torch.empty(BATCH, HEADS, CTX, hs) for _ in range(LAYERS)]
            cv = [torch.empty(BATCH, HEADS, CTX, hs) for _ in range(LAYERS)]
            tokens = torch.full((BATCH,), EOS, dtype=torch.long)
            out = [tokens]
            for pos in range(NEW_TOKENS):
                h = policy.tok(tokens) + policy.pos[pos]
                for l, blk in enumerate(policy.blocks):
                    q, k, v = blk.qkv(blk.ln1(h)).split(D, dim=1)
                    ck[l][:, :, pos] = k.view(BATCH, HEADS, hs)
                    cv[l][:, :, pos] = v.view(BATCH, HEADS, hs)
                    att = (ck[l][:, :, : pos + 1] @ q.view(BATCH, HEADS, hs, 1)).squeeze(-1) / math.sqrt(hs)
                    y = (att.softmax(-1).unsqueeze(2) @ cv[l][:, :, : pos + 1]).reshape(BATCH, D)
                    h = h + blk.proj(y)
                    h = h + blk.fc_out(F.gelu(blk.fc(blk.ln2(h))))
                logits = policy.ln_f(h) @ policy.tok.weight.t()
                tokens = torch.multinomial(logits.softmax(-1), 1).squeeze(1)
                out.append(tokens)
            return torch.stack(out, dim=1)

    def token_log_probs_and_values(model, idx, with_values):
        h = model.hidden(idx[:, :-1])
        lp = model.logits(h).log_softmax(-1).gather(2, idx[:, 1:].unsqueeze(-1)).squeeze(-1)  # [B, T-1]
        return lp, (value_head(h).squeeze(-1) if with_values else None)

    def iteration():
        idx = generate()                                                   # [B, 25]
        with torch.no_grad():
            scored = torch.cat([idx, torch.full((BATCH, 1), EOS, dtype=torch.long)], dim=1)
            score = reward_head(reward_trunk.hidden(scored)[:, -1]).squeeze(-1)   # [B]
            ref_lp, _ = token_log_probs_and_values(reference, idx, False)
            old_lp, old_v = token_log_probs_and_values(policy, idx, True)
            rewards = -BETA * (old_lp - ref_lp)
            rewards[:, -1] += score
            adv = torch.zeros_like(rewards)
            gae, next_v = torch.zeros(BATCH), torch.zeros(BATCH)
            for t in range(NEW_TOKENS - 1, -1, -1):
                delta = rewards[:, t] + GAMMA * next_v - old_v[:, t]
                gae = delta + GAMMA * LAM * gae
                adv[:, t] = gae
                next_v = old_v[:, t]
            returns = adv + old_v
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        for _ in range(EPOCHS):
            order = torch.randperm(BATCH)
            for start in range(0, BATCH, MINIBATCH):
                rows = order[start: start + MINIBATCH]
                lp, v = token_log_probs_and_values(policy, idx[rows], True)
                ratio = (lp - old_lp[rows]).exp()
                a = adv[rows]
                pg = -torch.min(ratio * a, ratio.clamp(1 - CLIP, 1 + CLIP) * a).mean()
                v_loss = 0.5 * ((v - returns[rows]) ** 2).mean()
                loss = pg + 0.5 * v_loss
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(list(policy.parameters()) + list(value_head.parameters()), 1.0)
                opt.step()

    iteration()  # warm-up
    calls, start = 0, time.perf_counter()
    while True:
        iteration()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= at_least:
            return elapsed / calls * 1e3
