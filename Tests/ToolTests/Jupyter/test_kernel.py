"""The Memento kernel under Jupyter's own conformance suite (jupyter_kernel_test), plus what
that suite does not cover: interrupts (SIGINT and interrupt_request) during `train`, progress
bars as updating displays, and bad input (a bad signature, an unknown or malformed message).

Run by Tests/ToolTests/KernelTests.swift with JUPYTER_PATH pointing at a kernelspec that
`memento kernel install --prefix` wrote:  python -m unittest test_kernel
"""
import json
import time
import unittest

import jupyter_kernel_test as jkt
import zmq
from jupyter_client.manager import start_new_kernel

TIMEOUT = 30


class MementoKernelTests(jkt.KernelTests):
    kernel_name = "memento"
    language_name = "memento"
    file_extension = ".mem"

    code_hello_world = 'print("hello, world")'
    # An unknown REPL command is reported on stderr, as in the REPL.
    code_stderr = ":hlep"
    code_page_something = ":help train"
    code_generate_error = "[1, 2][5]"
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"mem" + "ento"', "result": '"memento"'},
        {"code": "len([1, 2, 3])", "result": "3"},
    ]
    code_display_data = [
        {"code": 'plot([1, 4, 9, 16], title: "squares")', "mime": "image/svg+xml"},
        {"code": 'plot([1, 4, 9, 16], title: "squares")', "mime": "text/plain"},
    ]
    code_history_pattern = "6 *"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "zeros"
    completion_samples = [
        {"text": "zero", "matches": {"zeros"}},
        {"text": "train(agent, on: env, ste", "matches": {"steps:"}},
        {"text": ":he", "matches": {"help"}},
    ]
    complete_code_samples = ["1 + 2", "let x = 3", "fn f(a) {\n  return a\n}"]
    incomplete_code_samples = ["fn f(a) {", "let xs = [1,", "1 + \\"]
    invalid_code_samples = ["let = 3", "let x = )", "1 +* 2"]

    # MARK: beyond the suite

    def execute(self, code, timeout=TIMEOUT):
        self.flush_channels()
        return self.execute_helper(code, timeout=timeout)

    def test_last_value_is_underscore_and_variables_persist(self):
        self.execute("let answer = 40 + 2\nanswer")
        reply, outputs = self.execute("_ + answer")
        self.assertEqual(reply["content"]["status"], "ok")
        results = [m for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(results[0]["content"]["data"]["text/plain"], "84")
        self.assertEqual(results[0]["content"]["execution_count"], reply["content"]["execution_count"])

    def test_error_has_the_repl_diagnostic_with_caret(self):
        reply, outputs = self.execute("let maze = TMaze(length: 4)\nmaze.observation_s")
        self.assertEqual(reply["content"]["status"], "error")
        traceback = "\n".join(outputs[-1]["content"]["traceback"])
        self.assertIn("no member 'observation_s'", traceback)
        self.assertIn("^", traceback)
        self.assertIn("did you mean", traceback)

    def train_and_interrupt(self, interrupt):
        self.execute("let maze = TMaze(length: 4)\nlet net = Linear(4, 16) |> relu |> Linear(16, 3)")
        msg_id = self.kc.execute("let run = train(DQN(net), on: maze, steps: 50_000_000)")
        displays = {}
        # Wait until the progress bar shows training is under way.
        deadline = time.time() + TIMEOUT
        while time.time() < deadline and not any(t == "update_display_data" for t in displays.values()):
            msg = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if msg["parent_header"].get("msg_id") == msg_id and "display" in msg["msg_type"]:
                displays[msg["content"]["transient"]["display_id"]] = msg["msg_type"]
        self.assertEqual(len(displays), 1, "one progress display, updated in place")
        start = time.time()
        interrupt()
        reply = self.get_non_kernel_info_reply(timeout=TIMEOUT)
        answered = time.time() - start
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.assertIn("training stopped", reply["content"]["traceback"][0])
        self.assertLess(answered, 0.5, f"the interrupt took {answered:.3f} s")
        # Every variable is kept, the partly trained network too.
        reply, outputs = self.execute("net(ones([1, 4])).shape")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(outputs[-1]["content"]["data"]["text/plain"], "[1, 3]")

    def test_interrupt_by_signal_keeps_the_model(self):
        self.train_and_interrupt(self.km.interrupt_kernel)

    def test_interrupt_request_keeps_the_model(self):
        def request():
            msg = self.kc.session.msg("interrupt_request", {})
            self.kc.control_channel.send(msg)
            reply = self.kc.control_channel.get_msg(timeout=TIMEOUT)
            self.assertEqual(reply["content"]["status"], "ok")
        self.train_and_interrupt(request)

    def raw_shell(self):
        """A second connection to the shell port, for hand-made frames."""
        info = self.km.get_connection_info()
        sock = zmq.Context.instance().socket(zmq.DEALER)
        sock.linger = 0
        sock.connect(f"tcp://{info['ip']}:{info['shell_port']}")
        return sock

    def frames(self, msg_type, content, sign=True, raw_content=None):
        session = self.kc.session
        msg = session.msg(msg_type, content)
        parts = [session.pack(msg["header"]), session.pack({}), session.pack({}),
                 raw_content if raw_content is not None else session.pack(content)]
        signature = session.sign(parts) if sign else b"0" * 64
        return [b"<IDS|MSG>", signature] + parts

    def test_bad_signature_is_dropped_never_run(self):
        sock = self.raw_shell()
        sock.send_multipart(self.frames("execute_request", {"code": "let smuggled = 1", "silent": False}, sign=False))
        self.assertEqual(sock.poll(1000), 0, "a message with a bad signature got an answer")
        sock.close()
        reply, _ = self.execute("smuggled")
        self.assertEqual(reply["content"]["status"], "error")

    def test_unknown_and_malformed_messages_get_error_replies(self):
        sock = self.raw_shell()
        sock.send_multipart(self.frames("frobnicate_request", {}))
        self.assertNotEqual(sock.poll(5000), 0)
        reply = sock.recv_multipart()
        header, content = json.loads(reply[2]), json.loads(reply[5])
        self.assertEqual(header["msg_type"], "frobnicate_reply")
        self.assertEqual(content["status"], "error")
        sock.send_multipart(self.frames("execute_request", {}, raw_content=b"{not json"))
        self.assertNotEqual(sock.poll(5000), 0)
        reply = sock.recv_multipart()
        self.assertEqual(json.loads(reply[2])["msg_type"], "execute_reply")
        self.assertEqual(json.loads(reply[5])["status"], "error")
        sock.close()
        # The kernel still serves.
        reply, _ = self.execute("1 + 1")
        self.assertEqual(reply["content"]["status"], "ok")


if __name__ == "__main__":
    unittest.main()
