"""Round trip: each lesson exported as a notebook (`memento export --to ipynb --no-run`),
executed through the Memento kernel by `jupyter nbconvert --execute`, must show the same text
as `memento run LESSON` prints: the printed text and each figure's text drawing (its
text/plain form, which is what `memento run` prints for a figure), in order. Values of final
expressions (`Out[n]`) are extra in a notebook and progress bars go to stderr in `memento
run`, so neither is compared. A cell may fail only where `memento run` fails with the same
error (a lesson whose own `expect` fails is the lesson tests' concern; here the kernel must
agree with `memento run`).

usage: python roundtrip.py MEMENTO REPO_ROOT WORK_DIR LESSON...   (JUPYTER_PATH set)
Each lesson's `memento run` goes on beside its notebook's execution (two processes, two cores).
"""
import json
import os
import re
import subprocess
import sys
import time

memento, root, work = sys.argv[1:4]
lessons = sys.argv[4:]
bindir = os.path.dirname(sys.executable)
failures = []


def notebook_text(path):
    nb = json.load(open(path))
    text, errors = [], []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            kind = out["output_type"]
            if kind == "stream" and out["name"] == "stdout":
                text.append("".join(out["text"]))
            elif kind == "display_data" and "image/svg+xml" in out["data"]:
                text.append("".join(out["data"]["text/plain"]) + "\n")
            elif kind == "error":
                # `memento run` stops at its first error: so does the comparison.
                return "".join(text), ["\n".join(out["traceback"])]
    return "".join(text), errors


for lesson in lessons:
    start = time.time()
    name = os.path.splitext(os.path.basename(lesson))[0]
    folder = os.path.join(work, name)
    os.makedirs(folder, exist_ok=True)
    ipynb = os.path.join(folder, name + ".ipynb")
    subprocess.run([memento, "export", lesson, "--to", "ipynb", "--no-run", "-o", ipynb], cwd=root, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run = subprocess.Popen([memento, "run", lesson, "--out", os.path.join(folder, "run-out")], cwd=root,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    convert = subprocess.run([os.path.join(bindir, "jupyter"), "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
                              "--ExecutePreprocessor.timeout=900", "--output", name + ".executed.ipynb", ipynb],
                             cwd=folder, capture_output=True, text=True)
    expected, run_errors = run.communicate()
    if convert.returncode != 0:
        failures.append(f"{lesson}: nbconvert --execute failed:\n{convert.stderr[-3000:]}")
        continue
    got, errors = notebook_text(os.path.join(folder, name + ".executed.ipynb"))
    first_error = re.sub(r"\x1b\[[0-9;]*m", "", errors[0]).splitlines()[0] if errors else None
    if first_error and (run.returncode == 0 or first_error not in run_errors):
        failures.append(f"{lesson}: a cell failed in the kernel but not so in memento run:\n{errors[0]}")
    elif run.returncode != 0 and not first_error:
        failures.append(f"{lesson}: memento run exited {run.returncode} but every cell ran in the kernel")
    elif got != expected:
        a, b = got.splitlines(), expected.splitlines()
        k = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
        failures.append(f"{lesson}: outputs differ at line {k + 1}:\n  kernel: {a[k] if k < len(a) else '<end>'!r}\n"
                        f"  run:    {b[k] if k < len(b) else '<end>'!r}")
    agreed = "" if not first_error else f" (both stop at: {first_error})"
    print(f"{lesson}: {'ok' if not failures or not failures[-1].startswith(lesson) else 'FAILED'} "
          f"in {time.time() - start:.1f} s{agreed}", flush=True)

for f in failures:
    print(f, file=sys.stderr)
sys.exit(1 if failures else 0)
