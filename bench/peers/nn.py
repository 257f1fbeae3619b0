"""Peer for memento-bench suite `nn`: the same training steps in PyTorch on the CPU.

Same models, sizes and optimizers as Sources/memento-bench/NNSuite.swift. Protocol: see
bench/peers/tensor.py.
"""
import json
import math
import os
import sys
import time


def main():
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except ImportError:
        print(json.dumps({"ready": False, "reason": "torch is not installed (run bench/setup-peers.sh)"}), flush=True)
        return
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)

    def timed(body, at_least=0.25):
        calls, start = 0, time.perf_counter()
        while True:
            body()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= at_least:
                return calls, elapsed

    def lstm_case(inp, hidden, batch, steps):
        lstm = nn.LSTM(inp, hidden, batch_first=True)
        head = nn.Linear(hidden, 4)
        opt = torch.optim.Adam(list(lstm.parameters()) + list(head.parameters()), lr=1e-3)
        x, y = torch.randn(batch, steps, inp), torch.randn(batch, steps, 4)

        def step():
            opt.zero_grad()
            out, _ = lstm(x)
            loss = F.mse_loss(head(out), y)
            loss.backward()
            opt.step()

        calls, secs = timed(step)
        return secs / calls * 1e3

    class Block(nn.Module):
        def __init__(self, d, heads):
            super().__init__()
            self.heads = heads
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc, self.fc_out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def forward(self, x):
            b, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
            q, k, v = (m.view(b, t, self.heads, c // self.heads).transpose(1, 2) for m in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(y.transpose(1, 2).reshape(b, t, c))
            return x + self.fc_out(F.gelu(self.fc(self.ln2(x))))

    class DropoutBlock(Block):
        """The block with dropout on the attention and MLP outputs, as Memento's TransformerBlock."""
        def __init__(self, d, heads, p):
            super().__init__(d, heads)
            self.drop = nn.Dropout(p)

        def forward(self, x):
            b, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
            q, k, v = (m.view(b, t, self.heads, c // self.heads).transpose(1, 2) for m in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.drop(self.proj(y.transpose(1, 2).reshape(b, t, c)))
            return x + self.drop(self.fc_out(F.gelu(self.fc(self.ln2(x)))))

    class DecisionTransformer(nn.Module):
        """kzl/decision-transformer's model as Memento's DecisionTransformerModel builds it."""
        def __init__(self, obs, act, k, d, heads, layers, p, max_t):
            super().__init__()
            self.embed_timestep = nn.Embedding(max_t, d)
            self.embed_return, self.embed_state, self.embed_action = nn.Linear(1, d), nn.Linear(obs, d), nn.Linear(act, d)
            self.embed_ln = nn.LayerNorm(d)
            self.pos = nn.Parameter(torch.randn(3 * k, d) * 0.02)
            self.blocks = nn.ModuleList([DropoutBlock(d, heads, p) for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d)
            self.predict_action = nn.Linear(d, act)

        def forward(self, returns, states, actions, timesteps):
            b, k = states.shape[0], states.shape[1]
            time = self.embed_timestep(timesteps)
            r = self.embed_return(returns.unsqueeze(-1)) + time
            s = self.embed_state(states) + time
            a = self.embed_action(actions) + time
            h = self.embed_ln(torch.stack([r, s, a], dim=2).reshape(b, 3 * k, -1)) + self.pos
            for blk in self.blocks:
                h = blk(h)
            h = self.ln_f(h).reshape(b, k, 3, -1)[:, :, 1]
            return torch.tanh(self.predict_action(h))

    def dt_case(batch=64, k=20, obs=11, act=3):
        model = DecisionTransformer(obs, act, k, 128, 1, 3, 0.1, 1000)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-4)
        returns, states = torch.randn(batch, k), torch.randn(batch, k, obs)
        actions = torch.rand(batch, k, act) * 2 - 1
        timesteps = torch.randint(0, 1000, (batch, k))

        def step():
            opt.zero_grad()
            loss = F.mse_loss(model(returns, states, actions, timesteps), actions)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            opt.step()

        calls, secs = timed(step)
        return secs / calls * 1e3

    class GPT(nn.Module):
        def __init__(self, vocab, ctx, d, heads, layers):
            super().__init__()
            self.tok = nn.Embedding(vocab, d)
            self.pos = nn.Parameter(torch.randn(ctx, d) * 0.02)
            self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
            self.ln_f = nn.LayerNorm(d)

        def forward(self, idx):
            h = self.tok(idx) + self.pos[: idx.shape[1]]
            for blk in self.blocks:
                h = blk(h)
            return self.ln_f(h) @ self.tok.weight.t()  # tied head

    def gpt_case(vocab, ctx, d, heads, layers, batch, ctx_used=None):
        model = GPT(vocab, ctx, d, heads, layers)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
        tokens = torch.randint(0, vocab, (batch, (ctx_used or ctx) + 1))
        inp, tgt = tokens[:, :-1], tokens[:, 1:]

        def step():
            opt.zero_grad()
            logits = model(inp)
            loss = F.cross_entropy(logits.reshape(-1, vocab), tgt.reshape(-1))
            loss.backward()
            opt.step()

        calls, secs = timed(step)
        return secs / calls * 1e3

    def lm_generate(vocab, ctx, d, heads, layers, batch, new_tokens):
        # The same GPT sampled with a key-value cache: each step feeds one token per row,
        # appends its keys and values to preallocated per-layer buffers, and attends over them.
        model = GPT(vocab, ctx, d, heads, layers).eval()
        hs = d // heads

        def step(tokens, pos, cache_k, cache_v):
            h = model.tok(tokens) + model.pos[pos]                      # [B, C]
            for l, blk in enumerate(model.blocks):
                q, k, v = blk.qkv(blk.ln1(h)).split(d, dim=1)
                cache_k[l][:, :, pos] = k.view(batch, heads, hs)
                cache_v[l][:, :, pos] = v.view(batch, heads, hs)
                att = (cache_k[l][:, :, : pos + 1] @ q.view(batch, heads, hs, 1)).squeeze(-1) / math.sqrt(hs)  # [B, nh, T]
                y = (att.softmax(-1).unsqueeze(2) @ cache_v[l][:, :, : pos + 1]).reshape(batch, d)
                h = h + blk.proj(y)
                h = h + blk.fc_out(F.gelu(blk.fc(blk.ln2(h))))
            return model.ln_f(h) @ model.tok.weight.t()

        def generate():
            with torch.inference_mode():
                cache_k = [torch.empty(batch, heads, ctx, hs) for _ in range(layers)]
                cache_v = [torch.empty(batch, heads, ctx, hs) for _ in range(layers)]
                tokens = torch.ones(batch, dtype=torch.long)
                for pos in range(new_tokens):
                    logits = step(tokens, pos, cache_k, cache_v)
                    tokens = torch.multinomial(logits.softmax(-1), 1).squeeze(1)

        calls, secs = timed(generate)
        return calls * batch * new_tokens / secs

    def ilql_case(vocab=148, ctx=64, d=48, heads=2, layers=2, batch=32, length=57, gamma=0.99, tau=0.75, cql=0.0, hidden=96):
        # ILQL's update as lesson 11 runs it: the critic's own GPT trunk (the policy, the BC
        # model, is not trained), two Q-heads and a V-head that are MLPs (d -> 96 -> out) on
        # its last hidden states, Polyak-averaged target Q-heads (rate 0.2), on a fixed batch
        # of random tokens shaped like the lesson's (32 dialogues of 57 positions, the
        # agent's tokens about a third of them).
        model = GPT(vocab, ctx, d, heads, layers)
        def head(out):
            return nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Linear(hidden, out))
        q1, q2, vh = head(vocab), head(vocab), head(1)
        t1, t2 = head(vocab), head(vocab)
        t1.load_state_dict(q1.state_dict()); t2.load_state_dict(q2.state_dict())
        params = list(model.parameters()) + list(q1.parameters()) + list(q2.parameters()) + list(vh.parameters())
        opt = torch.optim.AdamW(params, lr=3e-3, weight_decay=0)
        tokens = torch.randint(3, vocab, (batch, length + 1))
        inp, tgt = tokens[:, :-1], tokens[:, 1:]
        mask = (torch.rand(batch, length) < 0.35).float()
        reward = torch.rand(batch, length) * mask * 0.2
        nxt = torch.clamp(torch.arange(length) + 1, max=length - 1).expand(batch, length)
        done = torch.zeros(batch, length)
        done[:, -1] = 1

        def step():
            opt.zero_grad()
            h = model.tok(inp) + model.pos[:length]
            for blk in model.blocks:
                h = blk(h)
            h = model.ln_f(h)                                                   # [B, T, C]
            y = tgt.unsqueeze(-1)
            q1all, q2all = q1(h), q2(h)
            q1a, q2a = q1all.gather(2, y).squeeze(-1), q2all.gather(2, y).squeeze(-1)
            v = vh(h).squeeze(-1)
            with torch.no_grad():
                hd = h.detach()
                tq = torch.minimum(t1(hd).gather(2, y), t2(hd).gather(2, y)).squeeze(-1)
                backup = reward + gamma * (1 - done) * v.detach().gather(1, nxt)
            n = mask.sum().clamp(min=1)
            q_loss = (((q1a - backup) ** 2 + (q2a - backup) ** 2) * mask).sum() / n
            u = tq - v
            v_loss = ((torch.where(u < 0, 1 - tau, tau) * u * u) * mask).sum() / n
            loss = q_loss + v_loss
            if cql > 0:   # the conservative term, off in the lesson (and then not computed, as in Memento)
                loss = loss + cql * ((q1all.logsumexp(-1) - q1a + q2all.logsumexp(-1) - q2a) * mask).sum() / n
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            with torch.no_grad():
                for t, q in ((t1, q1), (t2, q2)):
                    for pt, pq in zip(t.parameters(), q.parameters()):
                        pt.mul_(0.8).add_(pq, alpha=0.2)

        calls, secs = timed(step)
        return secs / calls * 1e3

    cases = {
        "lstm_train_step": lambda: lstm_case(16, 128, 32, 64),
        "lstm_train_step_small": lambda: lstm_case(16, 32, 16, 16),
        "gpt_train_step": lambda: gpt_case(64, 64, 128, 4, 2, 32),
        "gpt_train_step_tiny": lambda: gpt_case(64, 32, 64, 4, 1, 16),
        "lm_generate_tokens_per_s": lambda: lm_generate(201, 64, 128, 4, 2, 32, 64),
        "lm_train_step": lambda: gpt_case(201, 64, 128, 4, 2, 32),
        "dt_train_step": lambda: dt_case(),
        "ilql_train_step": lambda: ilql_case(),
    }
    print(json.dumps({"ready": True, "peer_name": f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"}), flush=True)
    for line in sys.stdin:
        name = line.strip()
        if not name:
            continue
        try:
            print(json.dumps({"value": cases[name]()}), flush=True)
        except Exception as e:
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)


if __name__ == "__main__":
    main()
