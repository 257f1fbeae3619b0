"""Peer for memento-bench suite `lang`: the same programs in CPython, and the start-up
time of `python3 -c 'print(1)'`. Protocol: see bench/peers/tensor.py.

The programs are run by the system's `python3` (the interpreter students compare with),
each in a fresh subprocess so that no warm state carries over; the time reported is
measured inside that process around the program itself, as Memento's is.
"""
import json
import platform
import subprocess
import sys
import time

PROGRAMS = {
    "fib27": """
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
result = fib(27)
""",
    "sum_loop_10m": """
s = 0
for i in range(10_000_000):
    s = s + i
result = s
""",
    "list_build_sort_1m": """
xs = []
x = 12345
for i in range(1_000_000):
    x = (x * 1103515245 + 12345) % 2147483648
    xs.append(x)
xs.sort()
result = xs[0]
""",
}

TIMER = """
import time
_src = {src!r}
_code = compile(_src, "<bench>", "exec")
_t = time.perf_counter()
exec(_code, {{}})
print(time.perf_counter() - _t)
"""


def run_program(name):
    out = subprocess.run(["python3", "-c", TIMER.format(src=PROGRAMS[name])], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def startup():
    total = 0.0
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run(["python3", "-c", "print(1)"], stdout=subprocess.DEVNULL, check=True)
        total += (time.perf_counter() - t) * 1e3
    return total / 5


def main():
    version = subprocess.run(["python3", "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True).stdout.strip()
    print(json.dumps({"ready": True, "peer_name": f"CPython {version}"}), flush=True)
    for line in sys.stdin:
        name = line.strip()
        if not name:
            continue
        try:
            value = startup() if name == "startup" else run_program(name)
            print(json.dumps({"value": value}), flush=True)
        except Exception as e:
            print(json.dumps({"error": f"{type(e).__name__}: {e}"}), flush=True)


if __name__ == "__main__":
    main()
