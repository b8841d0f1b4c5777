"""A process-runtime handler that probes its own sandbox: the unit tests
(`Tests/GatehouseRuntimesTests/ProcessSandboxTests.swift`) and the end-to-end ones
(`test_process_runtime.py`) both deploy it. The last path segment says what to try; each
answer says what happened (an errno name where the kernel refused)."""
import ctypes
import errno
import os
import subprocess
import time


def handle(request):
    libc = ctypes.CDLL(None, use_errno=True)
    what = request.path.rsplit("/", 1)[-1]
    if what == "fill":  # ?DIR,MEGABYTES: one file, 1 MiB at a time, until an error
        directory, megabytes = request.query.split(",")
        path = os.path.join(os.environ["TMPDIR"] if directory == "TMPDIR" else directory, "fill")
        written = 0
        try:
            with open(path, "wb") as f:
                for _ in range(int(megabytes)):
                    f.write(b"x" * (1 << 20))
                    f.flush()
                    written += 1
            return {"written": written}
        except OSError as error:
            return {"written": written, "errno": errno.errorcode[error.errno]}
        finally:
            if os.path.exists(path):
                os.unlink(path)
    if what == "ptrace":  # PTRACE_TRACEME
        return {"result": libc.ptrace(0, 0, 0, 0), "errno": errno.errorcode.get(ctypes.get_errno(), "0")}
    if what == "unshare":  # CLONE_NEWUSER
        return {"result": libc.unshare(0x10000000), "errno": errno.errorcode.get(ctypes.get_errno(), "0")}
    if what == "fork":  # forks until the kernel refuses (maxProcesses), then reaps
        children, failure = [], None
        try:
            for _ in range(200):
                pid = os.fork()
                if pid == 0:
                    time.sleep(5)
                    os._exit(0)
                children.append(pid)
        except OSError as error:
            failure = errno.errorcode[error.errno]
        for pid in children:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        return {"forked": len(children), "errno": failure}
    if what == "nested":
        r = subprocess.run(["unshare", "--user", "true"], capture_output=True, text=True)
        return {"status": r.returncode, "stderr": r.stderr}
    if what == "fds":
        fds = {}
        for fd in os.listdir("/proc/self/fd"):
            try:
                fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                pass
        return fds
    if what == "mounts":
        with open("/proc/self/mounts") as f:
            return f.read()
    return "ok"
