#!/usr/bin/env python3
"""Lesson 11's negotiation experiment on several seeds, for the figures the lesson quotes.

Runs, per seed, what the lesson runs (logs, tokenizer, language model, BC, %BC, ILQL,
CHAI with N = 1, 4, 16), with every seed of the lesson replaced by the given one, and
prints one line per seed. Settings can be overridden, e.g. `tau=0.7 cql=0.01`;
`task=twenty_questions` runs the same on logged games of twenty questions (context 96,
no price-token diagnostic).

    python3 bench/lesson11_seeds.py [--memento .build/release/memento] [--seeds 0,1,2,3,4] [key=value ...]
"""
import argparse, string, subprocess, sys, tempfile, time

SCRIPT = string.Template(r'''
seed($seed)
let characters = Tokenizer(kind: "character")
let text_corpus = ${task}_dialogues(characters, episodes: $episodes, seed: $seed).texts
let tokenizer = Tokenizer(kind: "bpe", corpus: text_corpus, merges: 120)
let logs = ${task}_dialogues(tokenizer, episodes: $episodes, seed: $seed)
let lm = LanguageModel(tokenizer, context_length: $context, d_model: 48, heads: 2, layers: 2, seed: $seed)
lm.pretrain(logs.texts, steps: 300, batch: 16, lr: 3e-3)
let bc = lm.copy()
fine_tune(bc, logs, steps: 200, lr: 1e-3)
let pbc = lm.copy()
fine_tune(pbc, logs.filter_top(0.1), steps: 200, lr: 1e-3)
let ilql = ILQL(bc, logs, expectile: $tau, gamma: 0.99, cql_weight: $cql, lr: 3e-3, beta: $beta, head_hidden: 96,
                separate_critic: $separate, bc_weight: $bc_weight, target_update_rate: 0.2, seed: $seed)
train(ilql, updates: $updates, progress: false)
$gap_code
let b = $play(bc, episodes: 200, temperature: 0)
let f = $play(pbc, episodes: 200, temperature: 0)
let q = $play(ilql, episodes: 200, temperature: 0)
var chai = []
for n in [1, 4, 16] { chai.append($play(CHAI(bc, ilql, candidates: n), episodes: 100).success_rate) }
print("seed $seed: BC \(b.success_rate)  %BC \(f.success_rate)  ILQL \(q.success_rate) (perplexity \(round(q.perplexity(bc) / b.perplexity(bc), digits: 3))x BC's)  price-token Q gap \(gap_text)  CHAI N=1,4,16 \(chai)")
''')

DEFAULTS = dict(task="negotiation", episodes=5000, tau=0.75, cql=0, beta=16, separate="true", bc_weight=0, updates=2000)

# Where the price is chosen, Q after the counter-offers 80 and 87 (negotiation only).
PRICE_GAP = r'''let p87 = ilql.decoding_terms("seller: it costs 100.\nbuyer: i offer 30.\nseller: no. i can do 87.\nbuyer: i offer")
let p80 = ilql.decoding_terms("seller: it costs 100.\nbuyer: i offer 30.\nseller: no. i can do 80.\nbuyer: i offer")
var gap = 0.0
for p in [" 40", " 50", " 60", " 70"] {
    let i = tokenizer.encode(p)[0]
    gap = max(gap, abs(p87.q[i] - p80.q[i]))
}
let gap_text = round(gap, digits: 3)
'''
TASKS = {
    "negotiation": dict(context=64, play="negotiate", gap_code=PRICE_GAP),
    "twenty_questions": dict(context=96, play="play_twenty_questions", gap_code='let gap_text = "-"'),
}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--memento", default=".build/release/memento")
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("settings", nargs="*", help="key=value overrides of " + ", ".join(DEFAULTS))
    args = ap.parse_args()
    settings = dict(DEFAULTS)
    for kv in args.settings:
        k, _, v = kv.partition("=")
        if k not in settings:
            sys.exit(f"unknown setting {k!r}; known: {', '.join(settings)}")
        settings[k] = v
    print("settings:", settings, flush=True)
    for s in args.seeds.split(","):
        with tempfile.NamedTemporaryFile("w", suffix=".mem", delete=False) as f:
            if settings["task"] not in TASKS:
                sys.exit(f"unknown task {settings['task']!r}; known: {', '.join(TASKS)}")
            f.write(SCRIPT.substitute(settings, **TASKS[settings["task"]], seed=int(s)))
        t = time.time()
        r = subprocess.run([args.memento, "run", f.name], capture_output=True, text=True)
        out = r.stdout.strip().splitlines()
        print(out[-1] if r.returncode == 0 and out else f"seed {s}: failed\n{r.stderr}", f"({time.time() - t:.0f} s)", flush=True)

if __name__ == "__main__":
    main()
