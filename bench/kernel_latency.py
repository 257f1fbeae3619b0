"""The Jupyter kernel's latency, measured with jupyter_client: kernel start to
kernel_info_reply, and the round trip of a trivial execute_request (request sent to the
kernel's idle status received), median of many.

usage: JUPYTER_PATH=PREFIX/share/jupyter python bench/kernel_latency.py [--starts N] [--executes N]
(with `memento kernel install --prefix PREFIX` done first)."""
import argparse
import statistics
import time

from jupyter_client.manager import KernelManager

parser = argparse.ArgumentParser()
parser.add_argument("--starts", type=int, default=10)
parser.add_argument("--executes", type=int, default=500)
args = parser.parse_args()

starts = []
for _ in range(args.starts):
    km = KernelManager(kernel_name="memento")
    t = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    # Ask until the first reply (ZeroMQ drops nothing, but the request may be sent before the
    # kernel has bound its port; then it waits in the client's queue until it connects).
    kc.kernel_info()
    reply = kc.get_shell_msg(timeout=30)
    assert reply["msg_type"] == "kernel_info_reply"
    starts.append(time.perf_counter() - t)
    # (jupyter_client's wait_for_ready adds up to 0.4 s of IOPub polling of its own.)
    kc.stop_channels()
    km.shutdown_kernel(now=True)

km = KernelManager(kernel_name="memento")
km.start_kernel()
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=30)
for _ in range(20):
    kc.execute_interactive("1 + 1", timeout=10, output_hook=lambda m: None)
trips = []
for _ in range(args.executes):
    t = time.perf_counter()
    reply = kc.execute_interactive("1 + 1", timeout=10, output_hook=lambda m: None)
    trips.append(time.perf_counter() - t)
    assert reply["content"]["status"] == "ok"
kc.stop_channels()
km.shutdown_kernel(now=True)
print(f"start to kernel_info_reply: median {statistics.median(starts) * 1e3:.0f} ms, "
      f"min {min(starts) * 1e3:.0f} ms, max {max(starts) * 1e3:.0f} ms ({args.starts} starts)")
trips.sort()
print(f"execute round trip (1 + 1): median {statistics.median(trips) * 1e3:.2f} ms, "
      f"p90 {trips[int(len(trips) * 0.9)] * 1e3:.2f} ms ({args.executes} executes)")
