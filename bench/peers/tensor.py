"""Peer for memento-bench suite `tensor`: the same cases in PyTorch on the CPU.

Protocol (shared by every peer script): print one JSON line {"ready": true, "peer_name": ...}
(or {"ready": false, "reason": ...}); then for each case name read from stdin, run one
measurement and print {"value": x} in the case's unit, or {"error": ...}.
"""
import json
import sys
import time


def main():
    try:
        import torch
    except ImportError:
        print(json.dumps({"ready": False, "reason": "torch is not installed (run bench/setup-peers.sh)"}), flush=True)
        return
    import os
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    mats = {n: (torch.randn(n, n), torch.randn(n, n)) for n in (64, 256, 1024)}

    def timed(body, at_least=0.2):
        calls = 0
        start = time.perf_counter()
        while True:
            body()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= at_least:
                return calls, elapsed

    def matmul(n):
        a, b = mats[n]
        calls, secs = timed(lambda: torch.mm(a, b))
        return 2 * n**3 * calls / secs / 1e9

    a = torch.randn(4, 4, requires_grad=True)
    b = torch.randn(4, 4, requires_grad=True)

    def tiny():
        def body():
            for _ in range(100):
                z = (a * b + a).sum()
                z.backward()
                a.grad = None
                b.grad = None
        calls, secs = timed(body)
        return secs / (calls * 100) * 1e6

    cases = {
        "matmul_64": lambda: matmul(64),
        "matmul_256": lambda: matmul(256),
        "matmul_1024": lambda: matmul(1024),
        "tiny_op_fwd_bwd": tiny,
    }
    print(json.dumps({"ready": True, "peer_name": f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)"}), flush=True)
    for line in sys.stdin:
        name = line.strip()
        if not name:
            continue
        try:
            print(json.dumps({"value": cases[name]()}), flush=True)
        except Exception as e:  # report, keep serving
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)


if __name__ == "__main__":
    main()
